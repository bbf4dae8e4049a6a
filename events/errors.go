package events

import (
	"errors"
	"strings"
)

// Sentinel errors. A *FieldError wraps one of them.
var (
	// ErrSyntax means the bytes are not JSON (or not one JSON value).
	ErrSyntax = errors.New("invalid JSON")
	// ErrRequired means a required field is missing or empty.
	ErrRequired = errors.New("required field missing")
	// ErrType means a field holds the wrong JSON type (text for a
	// number, a fraction for a whole number, an array for an object).
	ErrType = errors.New("wrong type")
	// ErrInvalid means a field has the right type but breaks a rule
	// (range, format, length, allowed values).
	ErrInvalid = errors.New("invalid value")
	// ErrUnknownField means a field the model does not define (in data),
	// or an extension attribute whose name CloudEvents does not allow.
	ErrUnknownField = errors.New("unknown field")
	// ErrConflict means fields that cannot be used together (sku and
	// item, location and location_code).
	ErrConflict = errors.New("conflicting fields")
	// ErrTooMany means a batch holds more events than allowed.
	ErrTooMany = errors.New("too many events")
)

// FieldError is one problem of one event, at the JSON path of the field
// ("events[3].data.quantity"; "data.quantity" for a single event; "" for
// the body as a whole). It wraps a sentinel error.
type FieldError struct {
	// Path is the JSON path of the field.
	Path string
	// Index is the event's position in the batch (0 for a single event,
	// -1 for a problem of the whole body).
	Index int
	// Msg says what is wrong ("must be a positive integer").
	Msg string
	// Err is the sentinel.
	Err error
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Unwrap returns the sentinel.
func (e *FieldError) Unwrap() error { return e.Err }

// Errors is the list of problems of a body. Its Error joins the first few.
type Errors []*FieldError

func (es Errors) Error() string {
	const show = 3
	var b strings.Builder
	for i, e := range es {
		if i == show {
			b.WriteString("; and more")
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the problems, so errors.Is finds their sentinels.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// errorsIs is errors.Is, named for Code's loop.
func errorsIs(err, target error) bool { return errors.Is(err, target) }
