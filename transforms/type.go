package transforms

import (
	"fmt"
	"time"
)

// Type is the type of a column or of an expression's value.
type Type string

// The types an expression can read; all but Timestamp can be a feature's
// output type.
const (
	Float64   Type = "float64"
	Int64     Type = "int64"
	Bool      Type = "bool"
	String    Type = "string"
	Timestamp Type = "timestamp"
)

// OutputTypes lists the types a feature may declare.
var OutputTypes = []Type{Float64, Int64, Bool, String}

// ParseType parses a feature's declared output type. It accepts a few
// common aliases (float, double, int, integer, boolean, str).
func ParseType(s string) (Type, error) {
	switch s {
	case "float64", "float", "double":
		return Float64, nil
	case "int64", "int", "integer":
		return Int64, nil
	case "bool", "boolean":
		return Bool, nil
	case "string", "str":
		return String, nil
	}
	return "", fmt.Errorf("unknown type %q (want one of float64, int64, bool, string)", s)
}

// zero returns a Go value of the type expr sees for t at run time.
func (t Type) zero() any {
	switch t {
	case Float64:
		return float64(0)
	case Int64:
		return int(0)
	case Bool:
		return false
	case String:
		return ""
	case Timestamp:
		return time.Time{}
	}
	return nil
}
