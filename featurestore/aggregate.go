package featurestore

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fs-dev/fs/transforms"
)

// Aggregation makes a feature a windowed aggregation over a source's
// events: for an entity row at time t, the events with its join keys, an
// event time in [t - Window, t] and created by the cutoff, where Where is
// true, reduced by Function over the feature's expression (docs/
// materialize.md states the rule).
type Aggregation struct {
	Function string        `json:"function"` // one of AggregateFunctions
	Window   time.Duration `json:"window"`
	// Where is the filter over the event row as written ("" for none); a
	// null counts as false. WhereCanonical is its canonical text, hashed.
	Where          string `json:"where,omitempty"`
	WhereCanonical string `json:"where_canonical,omitempty"`
}

// The aggregate functions.
const (
	AggCount         = "count"          // events (with an expression: its non-null values); 0 when none
	AggCountDistinct = "count_distinct" // distinct non-null values; 0 when none
	AggSum           = "sum"            // the correctly rounded sum
	AggMean          = "mean"           // the sum divided by the count, one IEEE division
	AggMin           = "min"
	AggMax           = "max"
	AggStddev        = "stddev" // sample (n-1), null for fewer than two values
	AggFirst         = "first"  // the earliest event's value in the as-of order, null included
	AggLast          = "last"   // the latest event's value: the as-of feature with ttl Window
)

// AggregateFunctions lists the aggregate functions, in the order the
// documentation gives them.
var AggregateFunctions = []string{AggCount, AggCountDistinct, AggSum, AggMean, AggMin, AggMax, AggStddev, AggFirst, AggLast}

// IsAggregateFunction reports whether name is an aggregate function.
func IsAggregateFunction(name string) bool { return slices.Contains(AggregateFunctions, name) }

// AggregateType is the type of an aggregation's result over values of
// type value ("" for count without an expression), and whether the
// function takes such values.
func AggregateType(function string, value transforms.Type) (transforms.Type, bool) {
	numeric := value == transforms.Float64 || value == transforms.Int64
	switch function {
	case AggCount:
		return transforms.Int64, true
	case AggCountDistinct:
		return transforms.Int64, value != ""
	case AggSum, AggMean, AggStddev:
		return transforms.Float64, numeric
	case AggMin, AggMax:
		return value, numeric || value == transforms.String
	case AggFirst, AggLast:
		return value, value != "" && value != transforms.Timestamp
	}
	return "", false
}

// descriptorFields are the lines an aggregation adds to its feature's
// descriptor: the function, the window in nanoseconds and the filter.
func (a *Aggregation) descriptorFields(d *descriptor) {
	d.field("aggregate", a.Function)
	d.field("window", strconv.FormatInt(int64(a.Window), 10))
	if a.WhereCanonical != "" {
		d.field("where", a.WhereCanonical)
	}
}

// function, window and where are an aggregation's fields as diffs and
// tables show them ("" for a row-level feature, a nil aggregation).
func (a *Aggregation) function() string {
	if a == nil {
		return ""
	}
	return a.Function
}

func (a *Aggregation) window() string {
	if a == nil {
		return ""
	}
	return FormatTTL(a.Window)
}

func (a *Aggregation) where() string {
	if a == nil {
		return ""
	}
	return strings.Join(strings.Fields(a.Where), " ")
}

// Describe is an aggregation of expr as one line ("mean of fare over 7d
// where n > 2", "count of events over 1d"), or expr itself for a nil one.
func (a *Aggregation) Describe(expr string) string {
	expr = strings.Join(strings.Fields(expr), " ")
	if a == nil {
		return expr
	}
	if expr == "" {
		expr = "events"
	}
	s := a.Function + " of " + expr + " over " + a.window()
	if a.Where != "" {
		s += " where " + a.where()
	}
	return s
}
