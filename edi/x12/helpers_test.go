package x12

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
)

// isaWith builds a fixed-width 106-byte ISA (terminator included) with the
// given element separator, ISA11, version, control number, component
// separator and terminator.
func isaWith(sep byte, isa11, version, control string, comp byte, term string) string {
	els := []string{"ISA", "00", "          ", "00", "          ", "ZZ", "SENDER         ", "ZZ", "RECEIVER       ",
		"260101", "1200", isa11, version, control, "0", "T", string(comp)}
	return strings.Join(els, string(sep)) + term
}

// stdISA is a 00401 ISA with * > ~ and control number 000000001.
func stdISA(term string) string { return isaWith('*', "U", "00401", "000000001", '>', term) }

// interchange builds a whole interchange from body segments (without
// terminators), each followed by term and suffix.
func interchange(isa, term, suffix string, body ...string) string {
	var b strings.Builder
	b.WriteString(isa)
	b.WriteString(suffix)
	for _, s := range body {
		b.WriteString(s)
		b.WriteString(term)
		b.WriteString(suffix)
	}
	return b.String()
}

// sample846 is a small valid 846 interchange with * > ~ and the given
// suffix after every terminator.
func sample846(suffix string) string {
	return interchange(stdISA("~"), "~", suffix,
		"GS*IB*SENDER*RECEIVER*20260101*1200*1*X*004010",
		"ST*846*0001",
		"BIA*00*DD*REF0001*20260101",
		"DTM*405*20260101",
		"N1*WH*Main*92*WH1",
		"LIN**SK*SKU0000001*UP*012345678905",
		"PID*F****Widget 1",
		"QTY*17*25*EA",
		"QTY*33*20*EA",
		"LIN**SK*SKU0000002*UP*012345678912",
		"PID*F****ISAAC",
		"QTY*17*5*EA",
		"CTT*2",
		"SE*13*0001",
		"GE*1*1",
		"IEA*1*000000001")
}

// tokenTrace is everything a Reader says about an input, for comparing two
// ways of reading it.
type tokenTrace struct {
	Segments []string // id, elements and place of every segment
	Warnings []string
	Err      string // the error that ended the reading ("" at io.EOF)
}

func (t tokenTrace) String() string {
	return fmt.Sprintf("%d segments, %d warnings, err %q", len(t.Segments), len(t.Warnings), t.Err)
}

func describeSegment(s *Segment) string { return string(appendSegment(nil, s)) }

// appendSegment appends a description of s: id, raw bytes, place and
// elements. Appends, not fmt: the boundary tests describe millions of
// segments.
func appendSegment(b []byte, s *Segment) []byte {
	b = append(b, s.ID...)
	b = append(b, " raw="...)
	b = append(b, s.Raw()...)
	b = append(b, " @"...)
	b = strconv.AppendInt(b, s.Pos.Offset, 10)
	b = append(b, " L"...)
	b = strconv.AppendInt(b, int64(s.Pos.Line), 10)
	b = append(b, " C"...)
	b = strconv.AppendInt(b, int64(s.Pos.Column), 10)
	b = append(b, " #"...)
	b = strconv.AppendInt(b, int64(s.Pos.Index), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(s.Pos.SetIndex), 10)
	for i := 1; i <= s.Len(); i++ {
		b = append(b, " ["...)
		b = append(b, s.Element(i)...)
		b = append(b, ']')
	}
	return b
}

// traceBytes is traceReader flattened into dst, for cheap comparisons.
func traceBytes(dst []byte, r *Reader) []byte {
	for range 1 << 20 {
		seg, err := r.Next()
		for _, w := range r.TakeWarnings() {
			dst = append(dst, "\nwarning "...)
			dst = append(dst, w.String()...)
		}
		if errors.Is(err, io.EOF) {
			return dst
		}
		if err != nil {
			dst = append(dst, "\nerror "...)
			return append(dst, err.Error()...)
		}
		dst = append(dst, '\n')
		dst = appendSegment(dst, seg)
	}
	return append(dst, "\ntoo many segments"...)
}

// traceReader reads r to the end (at most limit segments).
func traceReader(r *Reader) tokenTrace {
	var t tokenTrace
	for len(t.Segments) < 1<<20 {
		seg, err := r.Next()
		for _, w := range r.TakeWarnings() {
			t.Warnings = append(t.Warnings, w.String())
		}
		if errors.Is(err, io.EOF) {
			return t
		}
		if err != nil {
			t.Err = err.Error()
			return t
		}
		t.Segments = append(t.Segments, describeSegment(seg))
	}
	t.Err = "too many segments"
	return t
}

func traceString(s string, opts *ReaderOptions) tokenTrace {
	return traceReader(NewReader(strings.NewReader(s), opts))
}

// readAll reads every segment of s as clones, failing the test on error.
func readAll(t *testing.T, s string, opts *ReaderOptions) ([]Segment, []Warning) {
	t.Helper()
	r := NewReader(strings.NewReader(s), opts)
	var segs []Segment
	var warns []Warning
	for {
		seg, err := r.Next()
		warns = append(warns, r.TakeWarnings()...)
		if errors.Is(err, io.EOF) {
			return segs, warns
		}
		if err != nil {
			t.Fatalf("reading: %v", err)
		}
		segs = append(segs, seg.Clone())
	}
}

// readErr reads s to its end and returns the error that stopped it (nil at
// a clean end).
func readErr(s string, opts *ReaderOptions) error {
	r := NewReader(strings.NewReader(s), opts)
	for range 1 << 20 {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return errors.New("no end")
}

func ids(segs []Segment) string {
	var out []string
	for i := range segs {
		out = append(out, segs[i].ID)
	}
	return strings.Join(out, " ")
}
