package specs

import (
	"errors"
	"fmt"
)

// ErrBadData means the embedded (or supplied) spec data is inconsistent: a
// file does not parse, or something it refers to does not exist.
var ErrBadData = errors.New("inconsistent spec data")

// DataError is a problem in one spec data file, with the place inside it.
type DataError struct {
	File  string // e.g. "004010/846.json"
	Where string // e.g. "segment BIA element 3" or "structure LIN/QTY"
	Msg   string
}

func (e *DataError) Error() string {
	if e.Where == "" {
		return fmt.Sprintf("specs: %s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("specs: %s: %s: %s", e.File, e.Where, e.Msg)
}

// Unwrap returns ErrBadData, so errors.Is(err, ErrBadData) holds.
func (e *DataError) Unwrap() error { return ErrBadData }
