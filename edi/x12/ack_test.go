package x12

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkGolden compares got with testdata/golden/name, or rewrites it with
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./edi/x12 -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\n%s", name, diffLines(string(want), string(got)))
	}
}

// ackInterchange is a received 940 interchange: what the acks answer.
func ackInterchange(version string) *Interchange {
	return &Interchange{SenderQualifier: "ZZ", SenderID: "ACME", ReceiverQualifier: "ZZ", ReceiverID: "DOCKSIDE",
		Date: "260101", Time: "1200", Version: version, Control: "000009221", Usage: "P"}
}

// writeAck writes one acknowledgement interchange for res with kind.
func writeAck(t *testing.T, kind AckKind, res *GroupResult) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, DefaultDelimiters)
	if err != nil {
		t.Fatal(err)
	}
	h := AckHeader(res.Group.Interchange, 5)
	h.Time = writeTime
	gh := AckGroupHeader(res.Group, kind, 6)
	gh.Time = writeTime
	for _, err := range []error{w.BeginInterchange(h), w.BeginGroup(gh), WriteFunctionalAck(w, kind, res, "0001"), w.EndGroup(), w.EndInterchange(), w.Flush()} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestWriteFunctionalAck997(t *testing.T) {
	ic := ackInterchange("00401")
	g := &Group{FunctionalID: "OW", AppSender: "ACME", AppReceiver: "DOCKSIDE", Control: "9221", Version: "004010", Interchange: ic, Sets: 3, Trailer: &Trailer{Count: "3", Control: "9221"}}
	ok := SetResult{SetID: "940", Control: "20066"}
	ok.Finish()
	bad := SetResult{SetID: "940", Control: "20067", Segments: []SegmentError{
		{SegmentID: "N9", Position: 5, Code: SegHasElementError, Elements: []ElementError{{Position: 1, Reference: "128", Code: ElemMandatoryMissing}}},
		{SegmentID: "W66", Position: 7, LoopID: "0100", Code: SegHasElementError, Elements: []ElementError{
			{Position: 6, Reference: "335", Code: ElemTooLong, Value: "43.00"},
			{Position: 2, Component: 1, Reference: "C040", Code: ElemInvalidChar, Value: "A*B~C>D\r\n"},
		}},
		{SegmentID: "ZZZ", Position: 8, Code: SegUnrecognized},
	}}
	bad.Finish()
	count := SetResult{SetID: "940", Control: "20068", Codes: []string{SetSegmentCountWrong}}
	count.Finish()
	res := &GroupResult{Group: g, Sets: []SetResult{ok, bad, count}}
	if res.Status() != StatusPartial || res.Accepted() != 1 {
		t.Fatalf("status %s, accepted %d", res.Status(), res.Accepted())
	}
	got := writeAck(t, Ack997, res)
	checkGolden(t, "ack-997.edi", got)
	for _, want := range []string{"AK1*OW*9221~", "AK3*N9*5**8~", "AK4*1*128*1~", "AK3*W66*7*0100*8~", "AK4*6*335*5*43.00~",
		"AK4*2>1*C040*6*A B C D  ~", "AK5*R*5~", "AK5*R*4~", "AK9*P*3*3*1~", "SE*16*0001~"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("997 lacks %q:\n%s", want, got)
		}
	}
	assertAckReadsBack(t, got)
}

func TestWriteFunctionalAck999(t *testing.T) {
	ic := ackInterchange("00501")
	g := &Group{FunctionalID: "HC", AppSender: "ACME", AppReceiver: "DOCKSIDE", Control: "17", Version: "005010X222A1", Interchange: ic, Sets: 1, Trailer: &Trailer{Count: "1", Control: "17"}}
	bad := SetResult{SetID: "837", Control: "0001", ImplRef: "005010X222A1", Segments: []SegmentError{
		{SegmentID: "CLM", Position: 12, LoopID: "2300", Code: SegHasElementError, Elements: []ElementError{
			{Position: 5, Component: 3, Reference: "1325", Code: ElemInvalidCode, ImplCode: "I12", Value: "Z"},
			{Position: 11, Component: 1, Repetition: 2, Reference: "1362", Code: ElemInvalidCode, Value: "XX"},
		}},
		{SegmentID: "REF", Position: 14, Code: SegNotInSet, ImplCode: "I6"},
	}}
	bad.Finish()
	res := &GroupResult{Group: g, Sets: []SetResult{bad}}
	if kind := AckAuto.Resolve(g.Version); kind != Ack999 {
		t.Fatalf("auto for 005010 = %s", kind)
	}
	got := writeAck(t, AckAuto, res)
	checkGolden(t, "ack-999.edi", got)
	for _, want := range []string{"GS*FA*DOCKSIDE*ACME*20260102*0304*6*X*005010X231~", "ST*999*0001*005010X231~", "AK1*HC*17*005010X222A1~",
		"AK2*837*0001*005010X222A1~", "IK3*CLM*12*2300*8~", "IK4*5>3*1325*I12*Z~", "IK4*11>1>2*1362*7*XX~", "IK3*REF*14**I6~", "IK5*R*5~", "AK9*R*1*1*0~"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("999 lacks %q:\n%s", want, got)
		}
	}
	assertAckReadsBack(t, got)
}

// assertAckReadsBack reads a written acknowledgement back: a clean
// envelope in strict mode.
func assertAckReadsBack(t *testing.T, ack []byte) {
	t.Helper()
	rep, err := Check(bytes.NewReader(ack), EnvelopeOnly, &DecoderOptions{Reader: ReaderOptions{Strict: true}}, nil)
	if err != nil || !rep.Accepted() {
		t.Errorf("acknowledgement does not read back clean: %v %v %q", err, rep.Err, problems(rep))
	}
	if g := rep.Interchanges[0].Groups[0].Group; !IsAcknowledgement(g) {
		t.Errorf("acknowledgement group %q is not FA", g.FunctionalID)
	}
}

func TestAckKindResolve(t *testing.T) {
	for _, tt := range []struct {
		kind    AckKind
		version string
		want    AckKind
	}{
		{AckAuto, "004010", Ack997}, {AckAuto, "005010X222A1", Ack999}, {"", "005010", Ack999}, {"", "003040", Ack997},
		{Ack997, "005010", Ack997}, {Ack999, "004010", Ack999},
	} {
		if got := tt.kind.Resolve(tt.version); got != tt.want {
			t.Errorf("%q.Resolve(%q) = %q, want %q", tt.kind, tt.version, got, tt.want)
		}
	}
}

func TestTA1(t *testing.T) {
	ic := ackInterchange("00401")
	if got := strings.Join(TA1(ic), "*"); got != "000009221*260101*1200*A*000" {
		t.Errorf("accepted TA1 %q", got)
	}
	ic.Errors = []EnvelopeError{{Code: NoteControlMismatch, Segment: "IEA", Element: 2}, {Code: NoteBadGroupCount}}
	if got := strings.Join(TA1(ic), "*"); got != "000009221*260101*1200*R*001" {
		t.Errorf("rejected TA1 %q", got)
	}
	ic.Errors = []EnvelopeError{{Segment: "XX", Msg: "no code"}}
	if got := TA1(ic)[4]; got != NoteBadContent {
		t.Errorf("TA1 note without a code: %q", got)
	}
	// The TA1 of a conformance file, written as a whole interchange.
	rep, _ := checkFile(t, filepath.Join("testdata", "conformance", "olmelabs__EdiEngine", "ControlNumbersMismatch.edi"), nil)
	var buf bytes.Buffer
	if _, err := WriteAcks(&buf, rep, AckOptions{Kind: AckAuto, Control: 100, Time: writeTime}); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	checkGolden(t, "acks-ControlNumbersMismatch.edi", got)
	for _, want := range []string{"TA1*000003438*101127*1719*R*001~", "AK1*OW*3314~", "AK2*940*0001~", "AK5*R*3~", "AK9*R*1*1*0*4~"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("acks lack %q:\n%s", want, got)
		}
	}
	assertAckReadsBack(t, got)
}

func TestWriteAcksSkipsAcknowledgements(t *testing.T) {
	rep, _ := checkFile(t, filepath.Join("testdata", "conformance", "xlate__staedi", "simple997.edi"), nil)
	var buf bytes.Buffer
	n, err := WriteAcks(&buf, rep, AckOptions{Time: writeTime})
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 || buf.Len() != 0 {
		t.Errorf("acknowledged a 997: %d interchanges\n%s", n, buf.String())
	}
}
