package x12

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// envelope builds an 004010 interchange from body segments with "~\n".
func envelope(body ...string) string { return interchange(stdISA("~"), "~", "\n", body...) }

// goodBody is a valid group with two sets; tests break one thing in it.
var goodBody = []string{
	"GS*IB*SENDER*RECEIVER*20260101*1200*7*X*004010",
	"ST*846*0001", "BIA*00*DD*R1*20260101", "SE*3*0001",
	"ST*846*0002", "BIA*00*DD*R2*20260101", "LIN**SK*A", "SE*4*0002",
	"GE*2*7",
	"IEA*1*000000001",
}

// edit returns goodBody with segment old replaced by new ("" deletes it).
func edit(pairs ...string) []string {
	body := slices.Clone(goodBody)
	for i := 0; i < len(pairs); i += 2 {
		k := slices.Index(body, pairs[i])
		if k < 0 {
			panic("no segment " + pairs[i])
		}
		if pairs[i+1] == "" {
			body = slices.Delete(body, k, k+1)
		} else {
			body[k] = pairs[i+1]
		}
	}
	return body
}

// found is one problem reported by Check, as "level segment element code".
func problems(rep *Report) []string {
	var out []string
	for _, icr := range rep.Interchanges {
		for _, e := range icr.Interchange.Errors {
			out = append(out, "TA1 "+e.Segment+itoa(e.Element)+" "+e.Code)
		}
		for _, g := range icr.Groups {
			for _, e := range g.Group.Errors {
				out = append(out, "AK9 "+e.Segment+itoa(e.Element)+" "+e.Code)
			}
			for _, s := range g.Sets {
				for _, e := range s.Envelope {
					out = append(out, "AK5 "+s.Control+" "+e.Segment+itoa(e.Element)+" "+e.Code)
				}
			}
		}
	}
	return out
}

func TestEnvelopeChecks(t *testing.T) {
	isa := func(old, new string) string { return strings.Replace(stdISA("~"), old, new, 1) }
	tests := []struct {
		name   string
		in     string
		strict bool
		want   []string // problems, in order
		warn   string   // a warning expected
	}{
		{"valid", envelope(goodBody...), true, nil, ""},
		{"IEA01 wrong", envelope(edit("IEA*1*000000001", "IEA*2*000000001")...), false, []string{"TA1 IEA1 021"}, ""},
		{"IEA01 not a number", envelope(edit("IEA*1*000000001", "IEA*X*000000001")...), false, []string{"TA1 IEA1 021"}, ""},
		{"IEA02 differs", envelope(edit("IEA*1*000000001", "IEA*1*000000002")...), false, []string{"TA1 IEA2 001"}, ""},
		{"IEA02 unpadded", envelope(edit("IEA*1*000000001", "IEA*1*1")...), false, nil, "only without zero padding"},
		{"IEA02 unpadded, strict", envelope(edit("IEA*1*000000001", "IEA*1*1")...), true, []string{"TA1 IEA2 001"}, ""},
		{"IEA missing", strings.TrimSuffix(envelope(edit("IEA*1*000000001", "")...), ""), false, []string{"TA1 IEA0 023"}, ""},
		{"GE01 wrong", envelope(edit("GE*2*7", "GE*3*7")...), false, []string{"AK9 GE1 5"}, ""},
		{"GE02 differs", envelope(edit("GE*2*7", "GE*2*8")...), false, []string{"AK9 GE2 4"}, ""},
		{"GE02 not numeric", envelope(edit("GE*2*7", "GE*2*SEVEN")...), false, []string{"AK9 GE2 6", "AK9 GE2 4"}, ""},
		{"GE02 too long", envelope(edit("GE*2*7", "GE*2*0000000007")...), false, []string{"AK9 GE2 6"}, "zero padding"},
		{"GE02 unpadded, strict", envelope(edit("GE*2*7", "GE*2*007")...), true, []string{"AK9 GE2 4"}, ""},
		{"GE missing", envelope(edit("GE*2*7", "")...), false, []string{"AK9 GE0 3"}, ""},
		{"GS06 not numeric", envelope(edit("GS*IB*SENDER*RECEIVER*20260101*1200*7*X*004010", "GS*IB*SENDER*RECEIVER*20260101*1200*A7*X*004010", "GE*2*7", "GE*2*A7")...), false, []string{"AK9 GS6 6", "AK9 GE2 6"}, ""},
		{"GS01 wrong length", envelope(edit("GS*IB*SENDER*RECEIVER*20260101*1200*7*X*004010", "GS*IBX*SENDER*RECEIVER*20260101*1200*7*X*004010")...), false, []string{"AK9 GS1 1"}, ""},
		{"GS04 GS05 bad", envelope(edit("GS*IB*SENDER*RECEIVER*20260101*1200*7*X*004010", "GS*IB*SENDER*RECEIVER*20260231*2460*7*X*004010")...), false, []string{"AK9 GS4 ", "AK9 GS5 "}, ""},
		{"GS08 empty", envelope(edit("GS*IB*SENDER*RECEIVER*20260101*1200*7*X*004010", "GS*IB*SENDER*RECEIVER*20260101*1200*7*X*")...), false, []string{"AK9 GS8 2"}, ""},
		{"SE01 wrong", envelope(edit("SE*3*0001", "SE*4*0001")...), false, []string{"AK5 0001 SE1 4"}, ""},
		{"SE02 differs", envelope(edit("SE*4*0002", "SE*4*0003")...), false, []string{"AK5 0002 SE2 3"}, ""},
		{"SE missing", envelope(edit("SE*4*0002", "")...), false, []string{"AK5 0002 SE0 2"}, ""},
		{"ST01 not a set id", envelope(edit("ST*846*0001", "ST*84X*0001")...), false, []string{"AK5 0001 ST1 6"}, ""},
		{"ST02 too short", envelope(edit("ST*846*0001", "ST*846*001", "SE*3*0001", "SE*3*001")...), false, []string{"AK5 001 ST2 7"}, ""},
		{"ST outside a group", envelope("ST*846*0001", "SE*2*0001", "IEA*0*000000001"), false, []string{"TA1 ST0 024"}, ""},
		{"GE without GS", envelope("GE*0*1", "IEA*0*000000001"), false, []string{"TA1 GE0 022"}, ""},
		{"segment between sets", envelope(slices.Insert(slices.Clone(goodBody), 4, "REF*ZZ*X")...), false, []string{"AK9 REF0 "}, ""},
		{"SE without ST", envelope(edit("ST*846*0002", "", "BIA*00*DD*R2*20260101", "", "LIN**SK*A", "", "GE*2*7", "GE*1*7")...), false, []string{"AK9 SE0 "}, ""},
		{"ISA09 bad date", envelope(goodBody...)[:0] + interchange(isa("*260101*", "*261301*"), "~", "\n", goodBody...), false, []string{"TA1 ISA9 014"}, ""},
		{"ISA10 bad time", interchange(isa("*1200*", "*2500*"), "~", "\n", goodBody...), false, []string{"TA1 ISA10 015"}, ""},
		{"ISA11 not U before 00402", interchange(isa("*U*", "*^*"), "~", "\n", goodBody...), false, []string{"TA1 ISA11 016"}, ""},
		{"ISA12 not a version", interchange(isa("*00401*", "*0040A*"), "~", "\n", goodBody...), false, []string{"TA1 ISA12 017"}, ""},
		{"ISA13 not digits", interchange(isa("*000000001*", "*00000000A*"), "~", "\n", edit("IEA*1*000000001", "IEA*1*00000000A")...), false, []string{"TA1 ISA13 018"}, ""},
		{"ISA14 not 0 or 1", interchange(isa("*0*T*", "*2*T*"), "~", "\n", goodBody...), false, []string{"TA1 ISA14 019"}, ""},
		{"ISA15 not P T I", interchange(isa("*0*T*", "*0*X*"), "~", "\n", goodBody...), false, []string{"TA1 ISA15 020"}, ""},
		{"ISA06 too long (107-byte ISA)", interchange(isa("SENDER         ", "SENDER-LONG-ID-X"), "~", "\n", goodBody...), false, []string{"TA1 ISA6 006"}, "not the fixed 106"},
		{"ISA06 blank", interchange(isa("SENDER         ", "               "), "~", "\n", goodBody...), false, []string{"TA1 ISA6 006"}, ""},
		{"ISB ISE lenient", envelope(append([]string{"ISB*1", "ISE*200601*0515*04"}, goodBody...)...), false, nil, "interchange service segment ISB"},
		{"ISB ISE strict", envelope(append([]string{"ISB*1", "ISE*200601*0515*04"}, goodBody...)...), true, []string{"TA1 ISB0 024", "TA1 ISE0 024"}, ""},
		{"TA1 inside interchange", envelope(append([]string{"TA1*000000009*260101*1200*A*000"}, goodBody...)...), true, nil, "interchange service segment TA1"},
		{"two ISAs without IEA", envelope(goodBody[:len(goodBody)-1]...) + envelope(goodBody...), false, []string{"TA1 IEA0 023"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Check(strings.NewReader(tt.in), EnvelopeOnly, &DecoderOptions{Reader: ReaderOptions{Strict: tt.strict}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Err != nil {
				t.Fatalf("syntax error %v", rep.Err)
			}
			got := problems(rep)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("problems %q, want %q", got, tt.want)
			}
			var warns []string
			for _, icr := range rep.Interchanges {
				for _, w := range icr.Interchange.Warnings {
					warns = append(warns, w.String())
				}
			}
			if tt.warn != "" && !strings.Contains(strings.Join(warns, "\n"), tt.warn) {
				t.Errorf("warnings %q, want one about %q", warns, tt.warn)
			}
			if tt.warn == "" && len(warns) > 0 {
				t.Errorf("unexpected warnings %q", warns)
			}
			if accepted := rep.Accepted(); accepted != (len(tt.want) == 0) {
				t.Errorf("Accepted() = %v with problems %q", accepted, got)
			}
		})
	}
}

func TestEnvelopeErrorsHavePlaces(t *testing.T) {
	in := envelope(edit("SE*3*0001", "SE*9*0001", "GE*2*7", "GE*1*8", "IEA*1*000000001", "IEA*5*000000001")...)
	rep, err := Check(strings.NewReader(in), EnvelopeOnly, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	icr := rep.Interchanges[0]
	se := icr.Groups[0].Sets[0].Envelope[0]
	if se.Pos.Line != 5 || se.Pos.SetIndex != 3 || se.Segment != "SE" || se.Element != 1 {
		t.Errorf("SE error at %+v", se)
	}
	if msg := se.Error(); !strings.Contains(msg, "line 5") || !strings.Contains(msg, "SE01 (code 4)") {
		t.Errorf("SE error message %q", msg)
	}
	ge := icr.Groups[0].Group.Errors
	if len(ge) != 2 || ge[0].Pos.Line != 10 || ge[1].Pos.Line != 10 {
		t.Errorf("GE errors %+v", ge)
	}
	iea := icr.Interchange.Errors[0]
	if iea.Pos.Line != 11 || iea.Code != NoteBadGroupCount {
		t.Errorf("IEA error %+v", iea)
	}
	if got := TA1(icr.Interchange); strings.Join(got, "*") != "000000001*260101*1200*R*021" {
		t.Errorf("TA1 %q", got)
	}
}

func TestDecoderEvents(t *testing.T) {
	in := envelope(goodBody...) + interchange(isaWith('*', "^", "00501", "000000002", ':', "~"), "~", "\n",
		"GS*FA*S*R*20260101*1200*9*X*005010X231", "ST*999*0001*005010X231", "AK1*IB*7*004010", "AK9*A*2*2*2", "SE*4*0001", "GE*1*9", "IEA*1*000000002")
	d := NewDecoder(strings.NewReader(in), nil)
	var kinds []string
	var kept []*Transaction
	for {
		ev, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Interchange == nil {
			t.Fatalf("event %d without interchange", ev.Kind)
		}
		name := map[EventKind]string{InterchangeStart: "ISA", GroupStart: "GS", SetRead: "set", GroupEnd: "GE", InterchangeEnd: "IEA"}[ev.Kind]
		if ev.Kind == SetRead {
			name += " " + ev.Transaction.SetID + "/" + ev.Transaction.Control
			if ev.Group == nil || ev.Transaction.Group != ev.Group {
				t.Errorf("set without its group")
			}
			kept = append(kept, ev.Transaction.Clone())
		}
		kinds = append(kinds, name)
	}
	want := "ISA GS set 846/0001 set 846/0002 GE IEA ISA GS set 999/0001 GE IEA"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	// Clones survive later reads; segments keep their elements and places.
	tx := kept[1]
	if len(tx.Segments) != 4 || tx.Segments[2].ID != "LIN" || tx.Segments[2].Text(3) != "A" || tx.Segments[2].Pos.SetIndex != 3 || tx.Segments[2].Pos.Line != 8 {
		t.Errorf("kept set: %d segments, %q at %+v", len(tx.Segments), tx.Segments[2].Raw(), tx.Segments[2].Pos)
	}
	ack := kept[2]
	if ack.ImplRef != "005010X231" || ack.Group.Release() != "005010" || ack.Group.Interchange.Delimiters.Repetition != '^' {
		t.Errorf("999 set: impl %q release %q", ack.ImplRef, ack.Group.Release())
	}
	if _, err := d.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the end: %v", err)
	}
}

func TestDecoderSetsMatchReader(t *testing.T) {
	// Every segment between ST and SE reaches the set exactly as the reader
	// read it, also when lines were unwrapped.
	for name, in := range map[string]string{"plain": sample846("\n"), "wrapped": wrapAt(sample846(""), 80), "ellipsis": strings.ReplaceAll(sample846("\r\n"), "~", "…")} {
		segs, _ := readAll(t, in, nil)
		d := NewDecoder(strings.NewReader(in), &DecoderOptions{Reader: ReaderOptions{BufferSize: 32}})
		for {
			ev, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != SetRead {
				continue
			}
			tx := ev.Transaction
			if len(tx.Errors) > 0 {
				t.Errorf("%s: set errors %v", name, tx.Errors)
			}
			first := tx.Segments[0].Pos.Index - 1
			for i := range tx.Segments {
				if !sameElements(&tx.Segments[i], &segs[first+i]) || tx.Segments[i].Pos != segs[first+i].Pos {
					t.Errorf("%s: set segment %d = %q at %+v, reader read %q at %+v", name, i, tx.Segments[i].Raw(), tx.Segments[i].Pos, segs[first+i].Raw(), segs[first+i].Pos)
				}
			}
		}
	}
}

func TestDecoderTransactionTooLarge(t *testing.T) {
	body := []string{"GS*IB*S*R*20260101*1200*1*X*004010", "ST*846*0001"}
	for range 200 {
		body = append(body, "LIN**SK*"+strings.Repeat("X", 40))
	}
	body = append(body, "SE*202*0001", "GE*1*1", "IEA*1*000000001")
	rep, err := Check(strings.NewReader(envelope(body...)), EnvelopeOnly, &DecoderOptions{MaxTransactionSize: 4096}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(rep.Err, ErrTransactionTooLarge) {
		t.Fatalf("error %v, want ErrTransactionTooLarge", rep.Err)
	}
	var se *SyntaxError
	if !errors.As(rep.Err, &se) || se.Pos.Line < 3 {
		t.Errorf("error place %v", rep.Err)
	}
	// The interrupted interchange is listed, with the error.
	if len(rep.Interchanges) != 1 || rep.Interchanges[0].Interchange.Accepted() || rep.Accepted() {
		t.Errorf("report %+v", rep)
	}
}

func TestCheckCallbackAndIOErrors(t *testing.T) {
	stop := errors.New("stop here")
	calls := 0
	_, err := Check(strings.NewReader(envelope(goodBody...)), EnvelopeOnly, nil, func(tx *Transaction, res *SetResult) error {
		calls++
		if res.Status != StatusAccepted {
			t.Errorf("set %s status %q", tx.Control, res.Status)
		}
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("callback error %v after %d calls", err, calls)
	}
	boom := errors.New("network down")
	in := envelope(goodBody...)
	_, err = Check(io.MultiReader(strings.NewReader(in[:200]), errReader{boom}), EnvelopeOnly, nil, nil)
	if !errors.Is(err, boom) {
		t.Errorf("I/O error %v", err)
	}
	// A validator's findings decide the set status.
	v := SetValidatorFunc(func(tx *Transaction) SetResult {
		r := NewSetResult(tx)
		if tx.Control == "0002" {
			r.Segments = append(r.Segments, SegmentError{SegmentID: "LIN", Position: 3, Code: SegHasElementError})
		}
		r.Finish()
		return r
	})
	rep, err := Check(strings.NewReader(in), v, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := rep.Interchanges[0].Groups[0]
	if g.Sets[1].Status != StatusRejected || !slices.Equal(g.Sets[1].Codes, []string{SetSegmentsInError}) || g.Status() != StatusPartial || g.Accepted() != 1 {
		t.Errorf("group %s, set 2 %+v", g.Status(), g.Sets[1])
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestCheckSyntaxErrorInsideInterchange(t *testing.T) {
	in := envelope(goodBody...)
	in = in[:strings.Index(in, "LIN")+3] // ends inside a segment
	rep, err := Check(strings.NewReader(in), EnvelopeOnly, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(rep.Err, ErrTruncated) {
		t.Fatalf("report error %v", rep.Err)
	}
	ic := rep.Interchanges[0].Interchange
	if len(ic.Errors) == 0 || ic.Errors[len(ic.Errors)-1].Code != NoteEarlyEOF || ic.Errors[len(ic.Errors)-1].Pos.Line != 8 {
		t.Errorf("interchange errors %+v", ic.Errors)
	}
	if got := TA1(ic); got[3] != StatusRejected || got[4] != NoteEarlyEOF {
		t.Errorf("TA1 %q", got)
	}
}

// TestDecoderSetWithoutSEKeepsItsSegments: a set closed by the next ST (no
// SE) is delivered after that ST was read; its segments must still be its
// own (the decoder reuses its buffers between sets).
func TestDecoderSetWithoutSEKeepsItsSegments(t *testing.T) {
	in := envelope("GS*IB*S*R*20260101*1200*1*X*004010",
		"ST*846*0001", "BIA*00*DD*FIRST*20260101", "LIN**SK*A1",
		"ST*846*0002", "BIA*00*DD*SECOND*20260101", "SE*3*0002",
		"GE*2*1", "IEA*1*000000001")
	for _, in := range []string{in, "ISA****************!~GS*~ST~0*~ST*~"} {
		d := NewDecoder(strings.NewReader(in), nil)
		want, _ := readAll(t, in, nil)
		for {
			ev, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != SetRead {
				continue
			}
			for i := range ev.Transaction.Segments {
				s := &ev.Transaction.Segments[i]
				w := &want[s.Pos.Index-1]
				if !sameElements(s, w) || string(s.Raw()) != string(w.Raw()) {
					t.Errorf("set %s segment %d is %q, read %q", ev.Transaction.Control, i+1, s.Raw(), w.Raw())
				}
			}
		}
	}
}
