package x12

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Writer errors.
var (
	// ErrDelimiterInData means an element holds one of the interchange's
	// delimiters; X12 has no escape, so it cannot be written.
	ErrDelimiterInData = errors.New("element contains a delimiter")
	// ErrEnvelopeOrder means Begin/End calls are not nested properly.
	ErrEnvelopeOrder = errors.New("envelope segments out of order")
	// ErrBadSegmentID means a segment id is empty or holds a delimiter.
	ErrBadSegmentID = errors.New("invalid segment id")
	// ErrBadHeader means an ISA or GS field cannot be written: too long
	// for its fixed width, or out of range.
	ErrBadHeader = errors.New("invalid envelope header field")
)

// InterchangeHeader is what a Writer needs to write an ISA.
type InterchangeHeader struct {
	SenderQualifier   string // ISA05, e.g. ZZ
	SenderID          string // ISA06
	ReceiverQualifier string // ISA07
	ReceiverID        string // ISA08
	Version           string // ISA12, e.g. 00401 (default) or 00501
	Control           int64  // ISA13, 1..999999999
	AckRequested      bool   // ISA14
	Usage             string // ISA15: P (default), T or I
	Time              time.Time
}

// GroupHeader is what a Writer needs to write a GS.
type GroupHeader struct {
	FunctionalID string // GS01, e.g. IB, FA
	AppSender    string // GS02
	AppReceiver  string // GS03
	Control      int64  // GS06
	Version      string // GS08, e.g. 004010 or 005010X231
	Time         time.Time
}

// Writer writes X12 segments with chosen delimiters, and keeps the counts
// and control numbers that the trailers repeat.
type Writer struct {
	w *bufio.Writer
	d Delimiters
	// bad marks the one-byte delimiters: 1 for the element separator and
	// the terminator, which no element may hold; 2 for the component and
	// repetition separators, which elements hold to write composites and
	// repetitions but plain text may not. A multi-byte terminator is
	// checked as a string.
	bad       [256]uint8
	multiTerm string

	isaControl string
	gsControl  string
	stControl  string
	groups     int
	sets       int
	segments   int
	inISA      bool
	inGS       bool
	inST       bool
}

// NewWriter returns a Writer that writes to w with delimiters d.
func NewWriter(w io.Writer, d Delimiters) (*Writer, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("writer delimiters: %w", err)
	}
	size := 64 << 10
	if _, ok := w.(*bytes.Buffer); ok {
		size = 4 << 10 // in memory already: the buffer only batches copies
	}
	wr := &Writer{w: bufio.NewWriterSize(w, size), d: d}
	wr.bad[d.Component] = inElement
	if d.Repetition != 0 {
		wr.bad[d.Repetition] = inElement
	}
	wr.bad[d.Element] = structural
	if len(d.Segment) == 1 {
		wr.bad[d.Segment[0]] = structural
	} else {
		wr.multiTerm = d.Segment
	}
	return wr, nil
}

// Delimiter kinds in Writer.bad.
const (
	structural = 1 // element separator, terminator
	inElement  = 2 // component and repetition separators
)

// hasDelimiter reports whether s holds a delimiter of kind at most level
// (structural: only those that would split the segment). Bytes are
// checked, not characters: the reader splits bytes.
func (w *Writer) hasDelimiter(s string, level uint8) bool {
	for i := 0; i < len(s); i++ {
		if b := w.bad[s[i]]; b != 0 && b <= level {
			return true
		}
	}
	return w.multiTerm != "" && strings.Contains(s, w.multiTerm)
}

// CheckText reports ErrDelimiterInData when s, a plain value for a simple
// element or one component, holds any delimiter, component and repetition
// separators included (WriteSegment lets those through: they build
// composites and repetitions).
func (w *Writer) CheckText(s string) error {
	if w.hasDelimiter(s, inElement) {
		return fmt.Errorf("%q: %w", s, ErrDelimiterInData)
	}
	return nil
}

// Delimiters returns the writer's delimiters.
func (w *Writer) Delimiters() Delimiters { return w.d }

// WriteSegment writes one segment. Trailing empty elements are dropped, as
// X12 requires. Inside a transaction set the segment is counted for SE01.
// An element holding the element separator or the segment terminator is
// refused with ErrDelimiterInData; the component and repetition separators
// are written as they are, since composites (see Composite) and repetitions
// are made of them: check plain text with CheckText.
func (w *Writer) WriteSegment(id string, elements ...string) error {
	n := len(elements)
	for n > 0 && elements[n-1] == "" {
		n--
	}
	if id == "" || w.hasDelimiter(id, inElement) {
		return fmt.Errorf("writing segment id %q: %w", id, ErrBadSegmentID)
	}
	for i, e := range elements[:n] {
		if w.hasDelimiter(e, structural) {
			return fmt.Errorf("writing %s%02d %q: %w", id, i+1, e, ErrDelimiterInData)
		}
	}
	// Build the segment in the buffer's free space and hand it over in one
	// Write (append moves it elsewhere if it does not fit).
	b := w.w.AvailableBuffer()
	b = append(b, id...)
	for _, e := range elements[:n] {
		b = append(b, w.d.Element)
		b = append(b, e...)
	}
	b = append(b, w.d.Segment...)
	b = append(b, w.d.Suffix...)
	w.w.Write(b)
	if w.inST {
		w.segments++
	}
	return nil
}

// Composite joins components with the component separator, dropping
// trailing empty ones.
func (w *Writer) Composite(components ...string) string {
	n := len(components)
	for n > 0 && components[n-1] == "" {
		n--
	}
	return strings.Join(components[:n], string(w.d.Component))
}

// BeginInterchange writes an ISA with fixed-width, padded elements.
func (w *Writer) BeginInterchange(h InterchangeHeader) error {
	if w.inISA {
		return fmt.Errorf("ISA inside an interchange: %w", ErrEnvelopeOrder)
	}
	if h.Control <= 0 || h.Control > 999999999 {
		return fmt.Errorf("ISA13 control number %d out of range 1..999999999: %w", h.Control, ErrBadHeader)
	}
	version := def(h.Version, "00401")
	if len(version) != 5 || !isDigits(version) {
		return fmt.Errorf("ISA12 version %q is not 5 digits: %w", version, ErrBadHeader)
	}
	for _, f := range []struct {
		name, value string
		width       int
	}{{"ISA05", h.SenderQualifier, 2}, {"ISA06", h.SenderID, 15}, {"ISA07", h.ReceiverQualifier, 2}, {"ISA08", h.ReceiverID, 15}, {"ISA15", h.Usage, 1}} {
		if len(f.value) > f.width {
			return fmt.Errorf("%s %q is longer than %d: %w", f.name, f.value, f.width, ErrBadHeader)
		}
		if w.hasDelimiter(f.value, inElement) {
			return fmt.Errorf("writing %s %q: %w", f.name, f.value, ErrDelimiterInData)
		}
	}
	standards := "U"
	if version >= "00402" && w.d.Repetition != 0 {
		standards = string(w.d.Repetition)
	}
	ack := "0"
	if h.AckRequested {
		ack = "1"
	}
	w.isaControl = fmt.Sprintf("%09d", h.Control)
	t := h.Time.UTC()
	el := []string{"00", pad("", 10), "00", pad("", 10),
		pad(def(h.SenderQualifier, "ZZ"), 2), pad(h.SenderID, 15),
		pad(def(h.ReceiverQualifier, "ZZ"), 2), pad(h.ReceiverID, 15),
		t.Format("060102"), t.Format("1504"), standards, version, w.isaControl,
		ack, def(h.Usage, "P"), string(w.d.Component)}
	// ISA16 is the component separator itself: write it without the
	// delimiter check that WriteSegment applies.
	w.w.WriteString("ISA")
	for _, e := range el {
		w.w.WriteByte(w.d.Element)
		w.w.WriteString(e)
	}
	w.w.WriteString(w.d.Segment)
	w.w.WriteString(w.d.Suffix)
	w.inISA, w.groups = true, 0
	return nil
}

// BeginGroup writes a GS.
func (w *Writer) BeginGroup(h GroupHeader) error {
	if !w.inISA || w.inGS {
		return fmt.Errorf("GS: %w", ErrEnvelopeOrder)
	}
	if h.Control < 0 || h.Control > 999999999 {
		return fmt.Errorf("GS06 control number %d out of range 0..999999999: %w", h.Control, ErrBadHeader)
	}
	w.gsControl = strconv.FormatInt(h.Control, 10)
	t := h.Time.UTC()
	w.inGS, w.sets = true, 0
	w.groups++
	return w.WriteSegment("GS", h.FunctionalID, h.AppSender, h.AppReceiver,
		t.Format("20060102"), t.Format("1504"), w.gsControl, "X", h.Version)
}

// BeginTransaction writes an ST; implRef (ST03) may be empty.
func (w *Writer) BeginTransaction(setID, control, implRef string) error {
	if !w.inGS || w.inST {
		return fmt.Errorf("ST: %w", ErrEnvelopeOrder)
	}
	w.inST, w.segments, w.stControl = true, 0, control
	w.sets++
	return w.WriteSegment("ST", setID, control, implRef)
}

// EndTransaction writes the SE with the segment count.
func (w *Writer) EndTransaction() error {
	if !w.inST {
		return fmt.Errorf("SE: %w", ErrEnvelopeOrder)
	}
	count := strconv.Itoa(w.segments + 1)
	err := w.WriteSegment("SE", count, w.stControl)
	w.inST = false
	return err
}

// EndGroup writes the GE with the transaction set count.
func (w *Writer) EndGroup() error {
	if !w.inGS || w.inST {
		return fmt.Errorf("GE: %w", ErrEnvelopeOrder)
	}
	w.inGS = false
	return w.WriteSegment("GE", strconv.Itoa(w.sets), w.gsControl)
}

// EndInterchange writes the IEA with the group count.
func (w *Writer) EndInterchange() error {
	if !w.inISA || w.inGS {
		return fmt.Errorf("IEA: %w", ErrEnvelopeOrder)
	}
	w.inISA = false
	return w.WriteSegment("IEA", strconv.Itoa(w.groups), w.isaControl)
}

// Flush writes buffered data to the underlying writer.
func (w *Writer) Flush() error { return w.w.Flush() }

func pad(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(" ", n-len(s))
}

func def(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
