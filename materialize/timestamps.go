package materialize

import (
	"fmt"
	"strings"
	"time"

	"github.com/fs-dev/fs/featurestore"
)

// timeLayouts are the accepted timestamp forms. Fractional seconds are
// accepted after the seconds in every form; a form without a zone is UTC.
var timeLayouts = []string{
	time.RFC3339,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// ParseTime parses a timestamp in RFC 3339 or `2021-04-16 20:29:28+00:00`
// form, or a date; a timestamp without a zone is UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if !featurestore.TimeInRange(t) {
				return time.Time{}, fmt.Errorf("%s is outside the time range fs represents (%s to %s)", s,
					featurestore.MinTime.Format("2006-01-02"), featurestore.MaxTime.Format("2006-01-02"))
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a timestamp", s)
}
