package documents

import (
	"github.com/dockside-edi/dockside/edi/x12"
)

// setReader holds what every typed decoder needs: the set's segments
// between ST and SE, the string table, and the interchange's separators
// (to write Extra and Other with '>' and '^').
type setReader struct {
	setID   string
	segs    []x12.Segment
	strs    strtab
	comp    byte
	rep     byte
	scratch []byte
	// Chunks the warehouse lines' ids and first references are cut from
	// (a line's slice has its own capacity: appending to it never writes
	// into its neighbour's).
	idChunk  []ProductID
	refChunk []Reference
}

// newSetReader checks that t is a set with id want and returns a reader
// over its segments between ST and SE.
func newSetReader(t *x12.Transaction, want string) (*setReader, error) {
	if t == nil || len(t.Segments) == 0 || t.Segments[0].ID != "ST" {
		return nil, &DecodeError{SetID: want, Segment: "ST", Position: 1, Err: ErrWrongSet}
	}
	st := &t.Segments[0]
	if t.SetID != want {
		return nil, &DecodeError{SetID: want, Segment: "ST", Position: st.Pos.SetIndex, Line: st.Pos.Line, Element: 1, Value: t.SetID, Err: ErrWrongSet}
	}
	segs := t.Segments[1:]
	if n := len(segs); n > 0 && segs[n-1].ID == "SE" {
		segs = segs[:n-1]
	}
	r := &setReader{setID: want, segs: segs, comp: '>', rep: '^'}
	if d := st.Delimiters(); d != nil {
		r.comp, r.rep = d.Component, d.Repetition
	}
	return r, nil
}

// noID returns the error for a segment with an empty id. The typed
// decoders check every segment's id as they reach it.
func (r *setReader) noID(s *x12.Segment) *DecodeError {
	return &DecodeError{SetID: r.setID, Position: s.Pos.SetIndex, Line: s.Pos.Line, Err: ErrNoSegmentID}
}

// fail returns a DecodeError for element elem (0: the whole segment) of s.
func (r *setReader) fail(s *x12.Segment, elem int, err error) *DecodeError {
	e := &DecodeError{SetID: r.setID, Segment: s.ID, Position: s.Pos.SetIndex, Line: s.Pos.Line, Element: elem, Err: err}
	if elem > 0 {
		e.Value = string(s.Element(elem))
	}
	return e
}

// text returns element i of s as an owned string.
func (r *setReader) text(s *x12.Segment, i int) string { return r.strs.str(s.Element(i)) }

// code returns element i of s, a code, as an owned string.
func (r *setReader) code(s *x12.Segment, i int) string { return r.strs.code(s.Element(i)) }

// need fails when element i of s is empty.
func (r *setReader) need(s *x12.Segment, i int) error {
	if len(s.Element(i)) == 0 {
		return r.fail(s, i, ErrMissingElement)
	}
	return nil
}

// decimal returns element i of s, which must be empty or a decimal number.
func (r *setReader) decimal(s *x12.Segment, i int) (Decimal, error) {
	e := s.Element(i)
	if len(e) == 0 {
		return "", nil
	}
	n, ok := r.strs.decimal(e)
	if !ok {
		return "", r.fail(s, i, ErrBadNumber)
	}
	return Decimal(n), nil
}

// integer returns element i of s, which must be empty or a whole number
// (type N0).
func (r *setReader) integer(s *x12.Segment, i int) (string, error) {
	e := s.Element(i)
	if len(e) == 0 {
		return "", nil
	}
	if !validInteger(e) {
		return "", r.fail(s, i, ErrBadNumber)
	}
	return r.strs.code(e), nil
}

// raw returns an element with its components joined by '>' and its
// repetitions by '^'.
func (r *setReader) raw(e []byte) string {
	if r.comp == '>' && (r.rep == '^' || r.rep == 0) {
		return r.strs.code(e)
	}
	b := append(r.scratch[:0], e...)
	for i, c := range b {
		switch {
		case c == r.comp:
			b[i] = '>'
		case c == r.rep && r.rep != 0:
			b[i] = '^'
		}
	}
	r.scratch = b
	return r.strs.code(b)
}

// positions is a set of element positions (1..63), as a bit mask.
type positions uint64

// upTo returns the positions 1..n.
func upTo(n int) positions { return positions(1)<<(n+1) - 2 }

// and returns p with the positions ps added.
func (p positions) and(ps ...int) positions {
	for _, i := range ps {
		p |= 1 << i
	}
	return p
}

// extra returns the non-empty elements of s outside named, or nil.
func (r *setReader) extra(s *x12.Segment, named positions) Extra {
	n := s.Len()
	if n < 64 && upTo(n)&^named == 0 {
		// Fast path: every element present has a field.
		return nil
	}
	var x Extra
	for i := 1; i <= n; i++ {
		if i < 64 && named&(1<<i) != 0 {
			continue
		}
		if e := s.Element(i); len(e) > 0 {
			if x == nil {
				x = Extra{}
			}
			x[i] = r.raw(e)
		}
	}
	return x
}

// segment returns s as data, without trailing empty elements. s has an
// id.
func (r *setReader) segment(s *x12.Segment) Segment {
	n := s.Len()
	for n > 0 && len(s.Element(n)) == 0 {
		n--
	}
	g := Segment{ID: s.ID} // the reader interns segment ids: they alias no buffer
	if n > 0 {
		g.Elements = make([]string, n)
		for i := range g.Elements {
			g.Elements[i] = r.raw(s.Element(i + 1))
		}
	}
	return g
}

// after keeps the segments after a set's summary in *out.
func (r *setReader) after(segs []x12.Segment, out *[]Segment) error {
	for i := range segs {
		if segs[i].ID == "" {
			return r.noID(&segs[i])
		}
		*out = append(*out, r.segment(&segs[i]))
	}
	return nil
}
