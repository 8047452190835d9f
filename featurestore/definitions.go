package featurestore

import (
	"fmt"
	"strings"
)

// Definitions is the content of a definition file.
type Definitions struct {
	File        string // the path as the user gave it, for messages
	Dir         string // the directory relative source paths resolve against
	Entities    []Entity
	Sources     []Source
	Features    []Feature
	FeatureSets []FeatureSet

	// Locate returns where a field is written, by its path such as
	// "features[2].expr"; nil or a zero Location when unknown.
	Locate func(field string) Location
	// Problems holds what the reader found wrong in fields it converts
	// (a ttl, a type); PlanRegister reports them with its own.
	Problems Errors

	// LocateIn maps a 1-based line and column inside the expression at a
	// field path (features[2].expr, features[2].where) to its place in the
	// file; nil locates the field only.
	LocateIn func(field string, line, col int) Location
}

// Location is a place in a definition file.
type Location struct {
	Line, Column int
	Text         string // the whole line, for an excerpt
}

func (d *Definitions) locate(field string) Location {
	if d.Locate == nil {
		return Location{}
	}
	return d.Locate(field)
}

// errorAt returns an EINVALID error that names the file, line and column of
// loc, shows the line with a caret under the column, and carries hint.
func (d *Definitions) errorAt(loc Location, hint, format string, args ...any) *Error {
	return LocatedError(d.File, loc, hint, format, args...)
}

// LocatedError returns an EINVALID error for a place in file: the message
// starts with file:line:col, and Detail shows the line with a caret.
func LocatedError(file string, loc Location, hint, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	e := &Error{Code: EINVALID, Hint: hint}
	switch {
	case loc.Line > 0:
		e.Message = fmt.Sprintf("%s:%d:%d: %s", file, loc.Line, loc.Column, msg)
	default:
		e.Message = fmt.Sprintf("%s: %s", file, msg)
	}
	if loc.Text != "" && loc.Column > 0 {
		num := fmt.Sprintf("%d", loc.Line)
		text := strings.ReplaceAll(loc.Text, "\t", " ")
		e.Detail = []string{
			fmt.Sprintf(" %s | %s", num, text),
			fmt.Sprintf(" %s | %s^", strings.Repeat(" ", len(num)), strings.Repeat(" ", max(loc.Column-1, 0))),
		}
	}
	return e
}

// fieldError is errorAt at the location of a field path.
func (d *Definitions) fieldError(field, hint, format string, args ...any) *Error {
	return d.errorAt(d.locate(field), hint, format, args...)
}
