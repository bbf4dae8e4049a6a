package x12

import "bytes"

// Segment is one X12 segment as read. Its byte slices alias the Reader's
// buffer and stay valid only until the next call to Reader.Next; call Clone
// to keep a segment longer.
type Segment struct {
	// ID is the segment identifier ("ST", "LIN", ...).
	ID string
	// Pos is where the segment starts in the input.
	Pos Position

	// data holds the id and the elements, one separator byte apart; ends[i]
	// is the offset in data just past element i (ends[0]: past the id), so
	// element i starts at ends[i-1]+1. Offsets instead of slices: the
	// reader stores four bytes per element, without pointers.
	data []byte
	ends []int32
	// delims are the interchange's delimiters, nil for a segment built
	// with NewSegment. A read segment's data is its raw bytes (see Raw).
	delims *Delimiters
}

// NewSegment builds a segment from its id and element values, as a Writer
// takes them. Components within an element are joined with the component
// separator by the caller (or use Composite).
func NewSegment(id string, elements ...string) Segment {
	size := len(id)
	for _, e := range elements {
		size += 1 + len(e)
	}
	data := make([]byte, 0, size)
	ends := make([]int32, 0, len(elements)+1)
	data = append(data, id...)
	ends = append(ends, int32(len(data)))
	for _, e := range elements {
		data = append(data, '*')
		data = append(data, e...)
		ends = append(ends, int32(len(data)))
	}
	return Segment{ID: id, data: data, ends: ends}
}

// Len returns the number of elements after the segment id, as written
// (trailing empty elements included when the sender wrote them).
func (s *Segment) Len() int { return len(s.ends) - 1 }

// Element returns element i (1-based) or nil when the segment has fewer
// elements. An element that is present but empty is a non-nil empty slice;
// test emptiness with len.
func (s *Segment) Element(i int) []byte {
	if i <= 0 || i >= len(s.ends) {
		return nil
	}
	start, end := s.ends[i-1]+1, s.ends[i]
	return s.data[start:end:end]
}

// Text returns element i as a string (a copy), "" when absent.
func (s *Segment) Text(i int) string { return string(s.Element(i)) }

// Raw returns the segment's bytes without its terminator, as read (nil for
// a segment built with NewSegment).
func (s *Segment) Raw() []byte {
	if s.delims == nil {
		return nil
	}
	return s.data
}

// Delimiters returns the delimiters of the segment's interchange, or nil for
// a segment built with NewSegment.
func (s *Segment) Delimiters() *Delimiters { return s.delims }

// Component returns component c (1-based) of the first repetition of
// element i. Component 1 of a simple element is the element itself.
func (s *Segment) Component(i, c int) []byte {
	e := s.Element(i)
	if e == nil || c <= 0 {
		return nil
	}
	if s.delims != nil && s.delims.Repetition != 0 {
		if k := bytes.IndexByte(e, s.delims.Repetition); k >= 0 {
			e = e[:k]
		}
	}
	sep := byte('>')
	if s.delims != nil {
		sep = s.delims.Component
	}
	return nthField(e, sep, c)
}

// Repetitions returns the repetitions of element i (a single one when the
// interchange has no repetition separator).
func (s *Segment) Repetitions(i int) [][]byte {
	e := s.Element(i)
	if e == nil {
		return nil
	}
	if s.delims == nil || s.delims.Repetition == 0 {
		return [][]byte{e}
	}
	return bytes.Split(e, []byte{s.delims.Repetition})
}

// Clone returns a deep copy of the segment that does not alias the reader.
func (s *Segment) Clone() Segment {
	c := *s
	c.data = append([]byte(nil), s.data...)
	c.ends = append([]int32(nil), s.ends...)
	return c
}

// nthField returns field n (1-based) of b split by sep, or nil.
func nthField(b []byte, sep byte, n int) []byte {
	for ; n > 1; n-- {
		k := bytes.IndexByte(b, sep)
		if k < 0 {
			return nil
		}
		b = b[k+1:]
	}
	if k := bytes.IndexByte(b, sep); k >= 0 {
		return b[:k]
	}
	return b
}
