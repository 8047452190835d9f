package app

import (
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/materialize"
)

// Time is a time in a request: read in every form the command line's
// --as-of takes (RFC 3339, "2021-04-16 20:29:28+00:00", a date; no zone
// is UTC), written in RFC 3339, so that a client of a server and the
// command line accept the same times.
type Time struct{ time.Time }

// MarshalText writes RFC 3339 with the fraction it needs.
func (t Time) MarshalText() ([]byte, error) { return []byte(t.UTC().Format(time.RFC3339Nano)), nil }

// UnmarshalText reads any form materialize.ParseTime takes.
func (t *Time) UnmarshalText(b []byte) error {
	v, err := materialize.ParseTime(string(b))
	if err != nil {
		return featurestore.Errorf(featurestore.EINVALID, "%v", err).
			WithHint("give a time as 2021-08-01T00:00:00Z, 2021-08-01 00:00:00, or a date 2021-08-01 (UTC)")
	}
	t.Time = v
	return nil
}

// ParseTime reads a time as the command line and the API take it: RFC
// 3339, a date, or a date and time without a zone (UTC).
func ParseTime(s string) (time.Time, error) { return materialize.ParseTime(s) }
