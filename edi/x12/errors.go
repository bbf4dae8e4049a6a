package x12

import (
	"errors"
	"fmt"
)

// Sentinel errors. A *SyntaxError wraps one of them, so callers test with
// errors.Is.
var (
	// ErrNoISA means the input does not start with an ISA segment (after an
	// optional BOM and white space): it is not X12.
	ErrNoISA = errors.New("no ISA segment: not an X12 interchange")
	// ErrBadISA means the ISA segment cannot be read: too short, wrong
	// element count, or delimiters that cannot be told apart.
	ErrBadISA = errors.New("malformed ISA segment")
	// ErrBadTerminator means the segment terminator is unusable (a letter,
	// a digit, or the same as another delimiter).
	ErrBadTerminator = errors.New("invalid segment terminator")
	// ErrTruncated means the input ended inside a segment.
	ErrTruncated = errors.New("input ends inside a segment (truncated)")
	// ErrSegmentTooLong means a segment exceeds the reader's size limit.
	ErrSegmentTooLong = errors.New("segment too long")
	// ErrGarbageAfterIEA means bytes other than white space follow the last
	// IEA and do not start a new interchange.
	ErrGarbageAfterIEA = errors.New("data after IEA that is not a new interchange")
	// ErrTransactionTooLarge means one transaction set exceeds the decoder's
	// memory limit.
	ErrTransactionTooLarge = errors.New("transaction set too large")
	// ErrStrict means the input needs a leniency (a BOM, indentation, a
	// non-ASCII terminator, wrapped lines, ISB/ISE segments, unpadded
	// control numbers...) and ReaderOptions.Strict is set.
	ErrStrict = errors.New("not accepted in strict mode")
)

// SyntaxError is an input error that stops reading, with its place.
type SyntaxError struct {
	Pos Position // where the problem is
	Err error    // one of the sentinel errors above
	Msg string   // detail for a person; may be empty
}

func (e *SyntaxError) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("%s: %v", e.Pos, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", e.Pos, e.Err, e.Msg)
}

// Unwrap returns the sentinel error.
func (e *SyntaxError) Unwrap() error { return e.Err }
