package featurestore

import (
	"math"
	"time"

	"github.com/fs-dev/fs/transforms"
)

// Table is a columnar, in-memory table: what fs reads from sources and
// entity files and what it writes as a dataset.
type Table struct {
	Series []*Series
	Rows   int
}

// Lookup returns the column named name, or nil.
func (t *Table) Lookup(name string) *Series {
	for _, c := range t.Series {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Series holds one column's values in the slice that fits its type:
// Float64 in F64, Int64 in I64, Bool in Bool, String in Str, Timestamp in
// I64 as nanoseconds since the Unix epoch, UTC. Valid marks non-null rows;
// nil means no row is null.
type Series struct {
	Name     string
	Type     transforms.Type
	Physical string // as in the source's footer; "" for computed columns

	F64   []float64
	I64   []int64
	Bool  []bool
	Str   []string
	Valid []bool
}

// Null reports whether row i is null.
func (c *Series) Null(i int) bool { return c.Valid != nil && !c.Valid[i] }

// Value returns row i as a Go value expressions take (float64, int, bool,
// string, time.Time in UTC), or nil.
func (c *Series) Value(i int) any {
	if c.Null(i) {
		return nil
	}
	switch c.Type {
	case transforms.Float64:
		return c.F64[i]
	case transforms.Int64:
		return int(c.I64[i])
	case transforms.Bool:
		return c.Bool[i]
	case transforms.String:
		return c.Str[i]
	case transforms.Timestamp:
		return time.Unix(0, c.I64[i]).UTC()
	}
	return nil
}

// NewSeries returns an empty column of n rows of type t, all valid.
func NewSeries(name string, t transforms.Type, n int) *Series {
	c := &Series{Name: name, Type: t}
	switch t {
	case transforms.Float64:
		c.F64 = make([]float64, n)
	case transforms.Int64, transforms.Timestamp:
		c.I64 = make([]int64, n)
	case transforms.Bool:
		c.Bool = make([]bool, n)
	case transforms.String:
		c.Str = make([]string, n)
	}
	return c
}

// Set sets row i (of n) to v: a float64, int64, bool or string as the
// column holds it, nil for a null (another type leaves the row as it was).
func (c *Series) Set(i, n int, v any) {
	switch x := v.(type) {
	case nil:
		c.SetNull(i, n)
	case float64:
		c.F64[i] = x
	case int64:
		c.I64[i] = x
	case bool:
		c.Bool[i] = x
	case string:
		c.Str[i] = x
	}
}

// SetNull marks row i null, allocating Valid on first use.
func (c *Series) SetNull(i, n int) {
	if c.Valid == nil {
		c.Valid = make([]bool, n)
		for j := range c.Valid {
			c.Valid[j] = true
		}
	}
	c.Valid[i] = false
}

// The range of time fs represents: timestamps are int64 nanoseconds since
// 1970-01-01 UTC, so 1677-09-21T00:12:43.145224192Z to
// 2262-04-11T23:47:16.854775807Z. A value outside it is refused, never
// wrapped.
var (
	MinTime = time.Unix(0, math.MinInt64).UTC()
	MaxTime = time.Unix(0, math.MaxInt64).UTC()
)

// TimeInRange reports whether t can be held as int64 nanoseconds.
func TimeInRange(t time.Time) bool { return !t.Before(MinTime) && !t.After(MaxTime) }

// TimeRangeError is the error for a time outside [MinTime, MaxTime].
func TimeRangeError(what string, t time.Time) *Error {
	return Errorf(EINVALID, "%s: %s is outside the time range fs represents (%s to %s)", what,
		t.Format(time.RFC3339Nano), MinTime.Format("2006-01-02"), MaxTime.Format("2006-01-02")).
		WithHint("timestamps are held as nanoseconds since 1970 (as pandas does); correct the value or drop the row")
}
