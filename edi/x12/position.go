package x12

import "fmt"

// Position is the place of a segment in its input.
type Position struct {
	Offset int64 // byte offset of the segment's first byte, from 0
	Line   int   // line of the segment's first byte, from 1
	Column int   // column (byte) of the segment's first byte, from 1
	Index  int   // segment number in the input, from 1
	// SetIndex is the segment's number in its transaction set, ST = 1, as
	// AK302/IK302 count it; 0 for segments outside a transaction set.
	SetIndex int
}

// String formats the position as "line L, column C (segment N)".
func (p Position) String() string {
	return fmt.Sprintf("line %d, column %d (segment %d)", p.Line, p.Column, p.Index)
}
