package x12

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

var writeTime = time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)

func TestWriterWritesEnvelope(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, DefaultDelimiters)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.BeginInterchange(InterchangeHeader{SenderID: "DOCKSIDE", ReceiverQualifier: "01", ReceiverID: "ACME", Version: "00501", Control: 42, AckRequested: true, Usage: "T", Time: writeTime}))
	must(w.BeginGroup(GroupHeader{FunctionalID: "IB", AppSender: "DOCKSIDE", AppReceiver: "ACME", Control: 7, Version: "005010", Time: writeTime}))
	must(w.BeginTransaction("846", "0001", ""))
	must(w.WriteSegment("BIA", "00", "DD", "REF1", "20260102"))
	must(w.WriteSegment("LIN", "", "SK", "A1", "", ""))
	must(w.WriteSegment("QTY", "33", "5", w.Composite("EA", "", "")))
	must(w.WriteSegment("MEA", "", "", w.Composite("LB", "", "2")))
	must(w.EndTransaction())
	must(w.EndGroup())
	must(w.EndInterchange())
	must(w.Flush())
	want := "ISA*00*          *00*          *ZZ*DOCKSIDE       *01*ACME           *260102*0304*^*00501*000000042*1*T*>~\n" +
		"GS*IB*DOCKSIDE*ACME*20260102*0304*7*X*005010~\n" +
		"ST*846*0001~\n" +
		"BIA*00*DD*REF1*20260102~\n" +
		"LIN**SK*A1~\n" +
		"QTY*33*5*EA~\n" +
		"MEA***LB>>2~\n" +
		"SE*6*0001~\n" +
		"GE*1*7~\n" +
		"IEA*1*000000042~\n"
	if got := buf.String(); got != want {
		t.Errorf("wrote:\n%s\nwant:\n%s", got, want)
	}
	if n := strings.Index(buf.String(), "\n"); n != isaLength {
		t.Errorf("ISA is %d bytes with terminator, want %d", n, isaLength)
	}
	rep, err := Check(strings.NewReader(buf.String()), EnvelopeOnly, &DecoderOptions{Reader: ReaderOptions{Strict: true}}, nil)
	if err != nil || !rep.Accepted() {
		t.Fatalf("written interchange not accepted: %v %+v", err, rep.Err)
	}
	ic := rep.Interchanges[0].Interchange
	if !ic.IsTest() || ic.AckRequested != "1" || ic.Delimiters.Repetition != '^' {
		t.Errorf("ISA fields: usage %q ack %q delimiters %+v", ic.Usage, ic.AckRequested, ic.Delimiters)
	}
}

func TestWriterRejects(t *testing.T) {
	newW := func() *Writer {
		w, err := NewWriter(io.Discard, DefaultDelimiters)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	hdr := InterchangeHeader{SenderID: "S", ReceiverID: "R", Control: 1}
	tests := []struct {
		name string
		do   func(w *Writer) error
		want error
	}{
		{"element separator in data", func(w *Writer) error { return w.WriteSegment("N1", "ST", "A*B") }, ErrDelimiterInData},
		{"terminator in data", func(w *Writer) error { return w.WriteSegment("N1", "ST", "A~B") }, ErrDelimiterInData},
		{"component separator in text", func(w *Writer) error { return w.CheckText("A>B") }, ErrDelimiterInData},
		{"repetition separator in text", func(w *Writer) error { return w.CheckText("A^B") }, ErrDelimiterInData},
		{"terminator in text", func(w *Writer) error { return w.CheckText("A~B") }, ErrDelimiterInData},
		{"plain text", func(w *Writer) error { return w.CheckText("ACME & SONS, INC.") }, nil},
		{"composite and repetition", func(w *Writer) error {
			return w.WriteSegment("HI", w.Composite("ABK", "I10")+"^"+w.Composite("ABF", "E11"))
		}, nil},
		{"delimiter in segment id", func(w *Writer) error { return w.WriteSegment("N*1", "ST") }, ErrBadSegmentID},
		{"empty segment id", func(w *Writer) error { return w.WriteSegment("", "ST") }, ErrBadSegmentID},
		{"delimiter in sender id", func(w *Writer) error {
			h := hdr
			h.SenderID = "AC*ME"
			return w.BeginInterchange(h)
		}, ErrDelimiterInData},
		{"sender id too long", func(w *Writer) error {
			h := hdr
			h.SenderID = "ABCDEFGHIJKLMNOP"
			return w.BeginInterchange(h)
		}, ErrBadHeader},
		{"ISA13 zero", func(w *Writer) error {
			h := hdr
			h.Control = 0
			return w.BeginInterchange(h)
		}, ErrBadHeader},
		{"ISA13 too big", func(w *Writer) error {
			h := hdr
			h.Control = 1e9
			return w.BeginInterchange(h)
		}, ErrBadHeader},
		{"ISA12 not 5 digits", func(w *Writer) error {
			h := hdr
			h.Version = "4010"
			return w.BeginInterchange(h)
		}, ErrBadHeader},
		{"GS before ISA", func(w *Writer) error { return w.BeginGroup(GroupHeader{Control: 1}) }, ErrEnvelopeOrder},
		{"ST before GS", func(w *Writer) error {
			_ = w.BeginInterchange(hdr)
			return w.BeginTransaction("846", "0001", "")
		}, ErrEnvelopeOrder},
		{"SE without ST", func(w *Writer) error { return w.EndTransaction() }, ErrEnvelopeOrder},
		{"GE with open ST", func(w *Writer) error {
			_ = w.BeginInterchange(hdr)
			_ = w.BeginGroup(GroupHeader{Control: 1})
			_ = w.BeginTransaction("846", "0001", "")
			return w.EndGroup()
		}, ErrEnvelopeOrder},
		{"IEA with open GS", func(w *Writer) error {
			_ = w.BeginInterchange(hdr)
			_ = w.BeginGroup(GroupHeader{Control: 1})
			return w.EndInterchange()
		}, ErrEnvelopeOrder},
		{"ISA inside ISA", func(w *Writer) error {
			_ = w.BeginInterchange(hdr)
			return w.BeginInterchange(hdr)
		}, ErrEnvelopeOrder},
		{"GS06 negative", func(w *Writer) error {
			_ = w.BeginInterchange(hdr)
			return w.BeginGroup(GroupHeader{Control: -1})
		}, ErrBadHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(newW()); !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
	// A non-ASCII one-byte separator is checked as a byte, not as part of
	// a character: the reader splits bytes.
	w, err := NewWriter(io.Discard, Delimiters{Element: 0xA7, Component: ':', Segment: "~"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteSegment("N1", "ST", "Paragraph § sign"); !errors.Is(err, ErrDelimiterInData) {
		t.Errorf("byte 0xA7 inside UTF-8 data: %v", err)
	}
	w, err = NewWriter(io.Discard, Delimiters{Element: '*', Component: ':', Segment: "…"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteSegment("N1", "ST", "Wait…"); !errors.Is(err, ErrDelimiterInData) {
		t.Errorf("multi-byte terminator in data: %v", err)
	}
	if err := w.WriteSegment("N1", "ST", "En – dash"); err != nil {
		t.Errorf("character sharing the terminator's first byte: %v", err)
	}
}

func TestDelimitersValidate(t *testing.T) {
	tests := []struct {
		d  Delimiters
		ok bool
	}{
		{DefaultDelimiters, true},
		{Delimiters{Element: '*', Component: '>', Segment: "\n"}, true},
		{Delimiters{Element: '*', Component: '>', Segment: "~", Suffix: "\r\n"}, true},
		{Delimiters{Element: 0x1d, Component: 0x1f, Segment: "\x1c"}, true},
		{Delimiters{Element: '*', Component: '>', Segment: "…"}, true},
		{Delimiters{Element: '*', Component: '>', Segment: "\xd6"}, true}, // Latin-1 Ö, one byte
		{Delimiters{Element: '*', Component: '>'}, false},
		{Delimiters{Element: '*', Component: '>', Segment: "~~"}, false},
		{Delimiters{Element: '*', Component: '>', Segment: "\xe2\x80"}, false},
		{Delimiters{Element: '*', Component: '*', Segment: "~"}, false},
		{Delimiters{Element: '*', Component: '>', Repetition: '~', Segment: "~"}, false},
		{Delimiters{Element: 'A', Component: '>', Segment: "~"}, false},
		{Delimiters{Element: '*', Component: '1', Segment: "~"}, false},
		{Delimiters{Element: '*', Component: ' ', Segment: "~"}, false},
		{Delimiters{Element: '\n', Component: '>', Segment: "~"}, false},
		{Delimiters{Element: '*', Component: '\r', Segment: "~"}, false},
		{Delimiters{Element: '*', Component: '>', Segment: "~", Suffix: " "}, false},
	}
	for _, tt := range tests {
		if err := tt.d.Validate(); (err == nil) != tt.ok {
			t.Errorf("Validate(%+v) = %v, want ok %v", tt.d, err, tt.ok)
		}
		if _, err := NewWriter(io.Discard, tt.d); (err == nil) != tt.ok {
			t.Errorf("NewWriter(%+v) = %v, want ok %v", tt.d, err, tt.ok)
		}
	}
}

// randomDelimiters draws delimiters that pass Validate.
func randomDelimiters(rng *rand.Rand) Delimiters {
	pool := []byte("*|^~!:>+;,'`@#$%&=_?/\\\"{}[]<()\x1c\x1d\x1e\x1f\x07")
	for {
		rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		d := Delimiters{Element: pool[0], Component: pool[1], Segment: string(pool[2])}
		switch rng.IntN(6) {
		case 0:
			d.Segment = "\n"
		case 1:
			d.Segment = "…"
		}
		if rng.IntN(2) == 0 {
			d.Repetition = pool[3]
		}
		d.Suffix = []string{"", "\n", "\r\n"}[rng.IntN(3)]
		if d.Segment == "\n" && d.Suffix != "" {
			d.Suffix = ""
		}
		if d.Validate() == nil {
			return d
		}
	}
}

// randomText draws a value of safe characters that holds none of d.
func randomText(rng *rand.Rand, d Delimiters, maxLen int) string {
	const safe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .-/()&#@,'!?+=%$*|^~:>;_"
	n := rng.IntN(maxLen + 1)
	b := make([]byte, 0, n)
	for len(b) < n {
		c := safe[rng.IntN(len(safe))]
		if c == d.Element || c == d.Component || c == d.Repetition || c == d.Segment[0] {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func randomSegmentID(rng *rand.Rand) string {
	for {
		n := 2 + rng.IntN(2)
		b := []byte{byte('A' + rng.IntN(26))}
		for len(b) < n {
			b = append(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[rng.IntN(36)])
		}
		switch id := string(b); id {
		case "ISA", "IEA", "GS", "GE", "ST", "SE", "ISB", "ISE", "TA1":
		default:
			return id
		}
	}
}

type writtenSet struct {
	id, control string
	segments    [][]string // id then elements, trailing empty ones dropped
}

// TestWriterRoundTrip writes random interchanges with random delimiters and
// reads them back with the Decoder: same segments, no envelope errors.
func TestWriterRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(20260101, 846))
	for iter := range 300 {
		d := randomDelimiters(rng)
		var buf bytes.Buffer
		w, err := NewWriter(&buf, d)
		if err != nil {
			t.Fatal(err)
		}
		version := []string{"00401", "00501"}[rng.IntN(2)]
		var want []writtenSet
		nICs := 1 + rng.IntN(2)
		for ic := range nICs {
			h := InterchangeHeader{SenderID: randomText(rng, d, 15), ReceiverID: "R" + randomText(rng, d, 14),
				Version: version, Control: 1 + rng.Int64N(999999999), Usage: "T", Time: writeTime}
			if h.SenderID == "" || strings.TrimSpace(h.SenderID) == "" {
				h.SenderID = "S"
			}
			if err := w.BeginInterchange(h); err != nil {
				t.Fatalf("iteration %d: %v", iter, err)
			}
			for g := range 1 + rng.IntN(2) {
				if err := w.BeginGroup(GroupHeader{FunctionalID: "IB", AppSender: "S", AppReceiver: "R", Control: int64(ic*10 + g + 1), Version: "004010", Time: writeTime}); err != nil {
					t.Fatal(err)
				}
				for s := range 1 + rng.IntN(3) {
					ws := writtenSet{id: "846", control: fmt.Sprintf("%04d", s+1)}
					if err := w.BeginTransaction(ws.id, ws.control, ""); err != nil {
						t.Fatal(err)
					}
					ws.segments = append(ws.segments, []string{"ST", ws.id, ws.control})
					for range rng.IntN(12) {
						id := randomSegmentID(rng)
						var els []string
						for range rng.IntN(8) {
							els = append(els, randomText(rng, d, 12))
						}
						if err := w.WriteSegment(id, els...); err != nil {
							t.Fatalf("iteration %d: %v", iter, err)
						}
						for len(els) > 0 && els[len(els)-1] == "" {
							els = els[:len(els)-1]
						}
						ws.segments = append(ws.segments, append([]string{id}, els...))
					}
					if err := w.EndTransaction(); err != nil {
						t.Fatal(err)
					}
					ws.segments = append(ws.segments, []string{"SE", strconv.Itoa(len(ws.segments) + 1), ws.control})
					want = append(want, ws)
				}
				if err := w.EndGroup(); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.EndInterchange(); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		data := buf.String()
		opts := &DecoderOptions{Reader: ReaderOptions{Strict: len(d.Segment) == 1, BufferSize: 1 + rng.IntN(300)}}
		got, icErrs := decodeSets(t, data, opts)
		if icErrs != "" {
			t.Fatalf("iteration %d (delimiters %+v): envelope problems: %s\n%q", iter, d, icErrs, data)
		}
		if len(got) != len(want) {
			t.Fatalf("iteration %d: read %d sets, wrote %d", iter, len(got), len(want))
		}
		for i := range want {
			if got[i].id != want[i].id || got[i].control != want[i].control || len(got[i].segments) != len(want[i].segments) {
				t.Fatalf("iteration %d set %d: read %+v, wrote %+v", iter, i, got[i], want[i])
			}
			for j := range want[i].segments {
				if strings.Join(got[i].segments[j], "\x00") != strings.Join(want[i].segments[j], "\x00") {
					t.Fatalf("iteration %d (delimiters %+v) set %d segment %d: read %q, wrote %q", iter, d, i, j, got[i].segments[j], want[i].segments[j])
				}
			}
		}
	}
}

// decodeSets decodes data and returns its sets, plus every envelope error
// and warning as one string ("" when there are none).
func decodeSets(t *testing.T, data string, opts *DecoderOptions) ([]writtenSet, string) {
	t.Helper()
	dec := NewDecoder(strings.NewReader(data), opts)
	var sets []writtenSet
	var problems []string
	for {
		ev, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sets, err.Error()
		}
		switch ev.Kind {
		case SetRead:
			tx := ev.Transaction
			ws := writtenSet{id: tx.SetID, control: tx.Control}
			for i := range tx.Segments {
				s := &tx.Segments[i]
				els := []string{s.ID}
				for k := 1; k <= s.Len(); k++ {
					els = append(els, s.Text(k))
				}
				ws.segments = append(ws.segments, els)
			}
			for _, e := range tx.Errors {
				problems = append(problems, e.Error())
			}
			sets = append(sets, ws)
		case GroupEnd:
			for _, e := range ev.Group.Errors {
				problems = append(problems, e.Error())
			}
		case InterchangeEnd:
			for _, e := range ev.Interchange.Errors {
				problems = append(problems, e.Error())
			}
			for _, w := range ev.Interchange.Warnings {
				if !strings.Contains(w.Msg, "non-ASCII") {
					problems = append(problems, w.String())
				}
			}
		}
	}
	return sets, strings.Join(problems, "; ")
}
