package documents

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors. A *DecodeError wraps one of them, so callers test with
// errors.Is.
var (
	// ErrWrongSet means a typed decoder was given another transaction set
	// (Decode846 given an 856, or a set without an ST).
	ErrWrongSet = errors.New("not the expected transaction set")
	// ErrMissingSegment means a segment the document needs is absent.
	ErrMissingSegment = errors.New("mandatory segment missing")
	// ErrMissingElement means an element the document needs is empty.
	ErrMissingElement = errors.New("mandatory element missing")
	// ErrBadNumber means an element that must be a number is not one.
	ErrBadNumber = errors.New("invalid number")
	// ErrNotWhole means a quantity has a fraction (or is too large) where
	// a whole number is wanted.
	ErrNotWhole = errors.New("not a whole number")
	// ErrMisplaced means a segment stands where it cannot belong to any
	// loop of the document (a QTY before the first LIN, an SN1 before the
	// first HL, ...).
	ErrMisplaced = errors.New("segment out of place")
	// ErrUnknownParent means an HL names a parent (HL02) that no earlier
	// HL has as its id.
	ErrUnknownParent = errors.New("HL parent not found")
	// ErrDuplicateID means two HL segments have the same id (HL01).
	ErrDuplicateID = errors.New("HL id used twice")
	// ErrNoSegmentID means a segment of the set has an empty id.
	ErrNoSegmentID = errors.New("segment without an id")
	// ErrTooDeep means an 856 HL is nested deeper than the decoder's
	// limit (see DefaultMaxHLDepth). A *DepthError carries the detail.
	ErrTooDeep = errors.New("HL nesting too deep")
)

// DepthError is the detail of ErrTooDeep, kept in DecodeError.Err: the HL
// that goes past the limit. It wraps ErrTooDeep.
type DepthError struct {
	HL    string // HL01 of the HL one level too deep
	Limit int    // the deepest nesting accepted
}

func (e *DepthError) Error() string {
	return fmt.Sprintf("%v: HL %s is at level %d, over the limit of %d levels", ErrTooDeep, e.HL, e.Limit+1, e.Limit)
}

// Unwrap returns ErrTooDeep.
func (e *DepthError) Unwrap() error { return ErrTooDeep }

// DecodeError is a problem with the content of a transaction set, with its
// place. It wraps a sentinel error.
type DecodeError struct {
	SetID    string // the transaction set, e.g. "846"
	Segment  string // the segment id, e.g. "QTY"
	Position int    // the segment's number in the set, ST = 1 (AK302)
	Line     int    // the segment's line in the input, 0 when unknown
	Element  int    // the element position, 0 for the whole segment
	Value    string // the offending value, when there is one
	Err      error  // one of the sentinel errors
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString(e.SetID)
	if e.SetID != "" && e.Segment != "" {
		b.WriteByte(' ')
	}
	b.WriteString(e.Segment)
	if e.Element > 0 {
		if e.Element < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.Itoa(e.Element))
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString("(segment ")
	b.WriteString(strconv.Itoa(e.Position))
	b.WriteString(" of the set")
	if e.Line > 0 {
		b.WriteString(", line ")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString("): ")
	b.WriteString(e.Err.Error())
	if e.Value != "" {
		b.WriteString(": ")
		b.WriteString(strconv.Quote(e.Value))
	}
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *DecodeError) Unwrap() error { return e.Err }
