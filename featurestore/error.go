package featurestore

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Every error a service returns either carries one of these
// codes or is an internal error.
const (
	EINVALID  = "invalid"   // bad input: a definition, a flag, a file
	EUSAGE    = "usage"     // a request refused before anything ran: a missing, bad or inapplicable parameter
	ENOTFOUND = "not_found" // a name, version or id that does not exist
	ECONFLICT = "conflict"  // the input contradicts what the store holds
	ELOCKED   = "locked"    // another process holds the store
	ENOSTORE  = "no_store"  // the store has not been created
	EDAMAGED  = "damaged"   // the store's files are damaged; nothing was changed
	EINTERNAL = "internal"  // a bug or an I/O failure
)

// Error is the application error. Message is written for the person at the
// terminal; Hint, when set, says what to do about it; Detail holds extra
// lines such as a source excerpt with a caret.
type Error struct {
	Code    string
	Message string
	Detail  []string
	Hint    string
	Err     error // the underlying cause, if any
}

func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithHint sets the hint and returns e.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorHint returns the hint of the first *Error in err's chain that has one.
func ErrorHint(err error) string {
	for err != nil {
		if e, ok := err.(*Error); ok && e.Hint != "" {
			return e.Hint
		}
		if l, ok := err.(Errors); ok && len(l) > 0 {
			return ErrorHint(l[0])
		}
		err = errors.Unwrap(err)
	}
	return ""
}

// Errors is a list of independent problems found in one input, such as
// every bad feature of a definition file. It is reported as a whole so a
// user can fix them all in one pass.
type Errors []error

func (l Errors) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap exposes the list to errors.Is and errors.As.
func (l Errors) Unwrap() []error { return l }

// Err returns nil for an empty list, the only error for a list of one, and
// the list itself otherwise.
func (l Errors) Err() error {
	switch len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	}
	return l
}
