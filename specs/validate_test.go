package specs

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/dockside-edi/dockside/edi/x12"
)

// interchange wraps set bodies (segments without ST/SE) into an
// interchange with correct counts. version is the GS08 value; 005010
// interchanges use ^ as repetition separator and : for components.
func interchange(version, setID string, bodies ...[]string) string {
	isa12, rep, comp := "00401", "U", ">"
	if strings.HasPrefix(version, "005") {
		isa12, rep, comp = "00501", "^", ":"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*%s*%s*000000001*0*P*%s~\n", rep, isa12, comp)
	fmt.Fprintf(&b, "GS*XX*SENDER*RECEIVER*20240101*1200*1*X*%s~\n", version)
	for i, body := range bodies {
		ctl := fmt.Sprintf("%04d", i+1)
		fmt.Fprintf(&b, "ST*%s*%s~\n", setID, ctl)
		for _, s := range body {
			b.WriteString(s + "~\n")
		}
		fmt.Fprintf(&b, "SE*%d*%s~\n", len(body)+2, ctl)
	}
	fmt.Fprintf(&b, "GE*%d*1~\nIEA*1*000000001~\n", len(bodies))
	return b.String()
}

// checkOne decodes a one-set interchange and checks the set.
func checkOne(t *testing.T, c *Catalog, version, setID string, body ...string) Outcome {
	t.Helper()
	dec := x12.NewDecoder(strings.NewReader(interchange(version, setID, body)), nil)
	for {
		ev, err := dec.Next()
		if errors.Is(err, io.EOF) {
			t.Fatal("no transaction set decoded")
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind == x12.SetRead {
			return c.Check(ev.Transaction.Clone())
		}
	}
}

const (
	w05 = "W05*N*ORDER1*PO1"
	w01 = "W01*1*EA*000100022220*VC*110220*UP*871209028795"
	bia = "BIA*00*SI*INV1*20240101*1200"
)

func TestStructureErrors(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		name    string
		version string
		set     string
		body    []string
		seg     string // AK301
		pos     int    // AK302
		loop    string // AK303
		code    string // AK304
		msg     string // substring of the message
	}{
		{"unrecognized id", "004010", "940", []string{w05, "ZZZ*1"}, "ZZZ", 3, "", x12.SegUnrecognized, "not recognized"},
		{"malformed id", "004010", "940", []string{w05, "TEST*1"}, "TEST", 3, "", x12.SegUnrecognized, "not recognized"},
		{"unexpected: loop segment without its loop", "004010", "940", []string{w05, "G69*WIDGET"}, "G69", 3, "", x12.SegUnexpected, "inside a loop"},
		{"mandatory segment missing", "004010", "940", []string{"N9*PO*1"}, "W05", 2, "", x12.SegMandatoryMiss, "mandatory segment W05"},
		{"mandatory loop missing", "004010", "856", []string{"BSN*00*SHIP1*20240101*1200"}, "HL", 3, "HL", x12.SegMandatoryMiss, "mandatory loop HL"},
		{"mandatory segment missing inside a loop", "004010", "997", []string{"AK1*OW*1", "AK2*940*0001", "AK9*R*1*1*0"}, "AK5", 4, "AK2", x12.SegMandatoryMiss, "in loop AK2"},
		{"mandatory segment missing in the second iteration only", "004010", "997", []string{"AK1*OW*1", "AK2*940*0001", "AK5*A", "AK2*940*0002", "AK3*N9*7**8", "AK9*P*2*2*1"}, "AK5", 7, "AK2", x12.SegMandatoryMiss, "in loop AK2"},
		{"W01-loop segment after LX started a new iteration", "004010", "940", []string{w05, "LX*1", "W01*1*EA*000100022220", "LX*2", "G69*WIDGET"}, "G69", 6, "LX", x12.SegUnexpected, "inside a loop"},
		{"loop over max", "004010", "940", append([]string{w05}, repeat("N1*ST*NAME", 11)...), "N1", 13, "N1", x12.SegLoopOverMax, "loop N1 repeats 11 times, at most 10"},
		{"segment over max use", "004010", "940", append([]string{w05}, repeat("N9*PO*1", 11)...), "N9", 13, "", x12.SegOverMaxUse, "max use is 10"},
		{"segment not in set", "004010", "940", []string{w05, bia}, "BIA", 3, "", x12.SegNotInSet, "not used in transaction set 940"},
		{"out of sequence", "004010", "940", []string{w05, "W66*PP*M", "N9*PO*1"}, "N9", 4, "", x12.SegOutOfSequence, "out of sequence"},
		{"segment error in a nested loop carries its loop id", "004010", "940", []string{w05, "LX*1", w01, "N9**3"}, "N9", 5, "W01", x12.SegHasElementError, "N901"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := checkOne(t, c, tc.version, tc.set, tc.body...)
			if o.Support != Supported {
				t.Fatalf("support %v", o.Support)
			}
			res := o.Result
			if res.Status != x12.StatusRejected || !hasCode(res.Codes, x12.SetSegmentsInError) {
				t.Errorf("status %s codes %v, want R with code 5", res.Status, res.Codes)
			}
			if len(res.Segments) != 1 {
				t.Fatalf("got %d segment errors, want 1: %+v", len(res.Segments), res.Segments)
			}
			e := res.Segments[0]
			if e.SegmentID != tc.seg || e.Position != tc.pos || e.LoopID != tc.loop || e.Code != tc.code {
				t.Errorf("got AK3*%s*%d*%s*%s, want AK3*%s*%d*%s*%s (%s)", e.SegmentID, e.Position, e.LoopID, e.Code, tc.seg, tc.pos, tc.loop, tc.code, e.Msg)
			}
			if !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", e.Msg, tc.msg)
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func hasCode(codes []string, c string) bool {
	for _, x := range codes {
		if x == c {
			return true
		}
	}
	return false
}

func TestElementErrors(t *testing.T) {
	c := mustLoad(t)
	long31 := strings.Repeat("R", 31)
	tests := []struct {
		name    string
		version string
		set     string
		body    []string
		seg     string
		pos     int // AK302
		el      x12.ElementError
		msg     string // exact message when set
	}{
		{"mandatory missing", "004010", "940", []string{w05, "N9**3"}, "N9", 3,
			x12.ElementError{Position: 1, Reference: "128", Code: x12.ElemMandatoryMissing}, "N901 (reference identification qualifier, element 128) is mandatory but missing"},
		{"conditional required (R0203)", "004010", "940", []string{w05, "N1*ST"}, "N1", 3,
			x12.ElementError{Position: 2, Reference: "93", Code: x12.ElemConditionalMissing}, "at least one of N102, N103 is required (syntax rule R0203)"},
		{"conditional required (P0304)", "004010", "940", []string{w05, "N1*ST*NAME*92"}, "N1", 3,
			x12.ElementError{Position: 4, Reference: "67", Code: x12.ElemConditionalMissing}, "N104 (identification code, element 67) is required when N103 is present (paired, syntax rule P0304)"},
		{"conditional required (W01 R0304)", "004010", "940", []string{w05, "LX*1", "W01*1*EA"}, "W01", 4,
			x12.ElementError{Position: 3, Reference: "438", Code: x12.ElemConditionalMissing}, ""},
		{"too many elements", "004010", "940", []string{w05, "LX*1*2"}, "LX", 3,
			x12.ElementError{Position: 2, Code: x12.ElemTooMany, Value: "2"}, ""},
		{"too short", "004010", "940", []string{w05, "LX*1", "W01*1*EA*123"}, "W01", 4,
			x12.ElementError{Position: 3, Reference: "438", Code: x12.ElemTooShort, Value: "123"}, `W0103 (U.P.C. case code, element 438) "123" is too short: 3 characters, minimum 12`},
		{"too long (BIA03 is 1/30 in 004010)", "004010", "846", []string{"BIA*00*SI*" + long31 + "*20240101"}, "BIA", 2,
			x12.ElementError{Position: 3, Reference: "127", Code: x12.ElemTooLong, Value: long31}, ""},
		{"invalid character in N0", "004010", "940", []string{w05, "LX*1A"}, "LX", 3,
			x12.ElementError{Position: 1, Reference: "554", Code: x12.ElemInvalidChar, Value: "1A"}, ""},
		{"decimal point in N2", "004010", "940", []string{w05, "W66*PP*M*******43.00"}, "W66", 3,
			x12.ElementError{Position: 9, Reference: "610", Code: x12.ElemInvalidChar, Value: "43.00"}, ""},
		{"control character in AN", "004010", "940", []string{w05, "N1*ST*NA\x01ME"}, "N1", 3,
			x12.ElementError{Position: 2, Reference: "93", Code: x12.ElemInvalidChar, Value: "NA\x01ME"}, ""},
		{"invalid code", "004010", "846", []string{"BIA*99*SI*INV1*20240101"}, "BIA", 2,
			x12.ElementError{Position: 1, Reference: "353", Code: x12.ElemInvalidCode, Value: "99"}, `BIA01 (transaction set purpose code, element 353) "99" is not a valid code`},
		{"invalid date", "004010", "846", []string{"BIA*00*SI*INV1*20231350"}, "BIA", 2,
			x12.ElementError{Position: 4, Reference: "373", Code: x12.ElemInvalidDate, Value: "20231350"}, `BIA04 (date, element 373) "20231350" is not a valid date CCYYMMDD`},
		{"invalid time", "004010", "846", []string{"BIA*00*SI*INV1*20240101*2561"}, "BIA", 2,
			x12.ElementError{Position: 5, Reference: "337", Code: x12.ElemInvalidTime, Value: "2561"}, ""},
		{"exclusion (QTY E0204)", "004010", "846", []string{bia, "LIN**SK*A1", "QTY*17*5*EA*FREE"}, "QTY", 4,
			x12.ElementError{Position: 4, Reference: "61", Code: x12.ElemExclusionViolated}, "QTY04 (free-form message, element 61) may not be present together with QTY02 (exclusion, syntax rule E0204)"},
		{"R too long: digits counted without sign and point", "004010", "846", []string{bia, "LIN**SK*A1", "QTY*17*-1234567890.123456*EA"}, "QTY", 4,
			x12.ElementError{Position: 2, Reference: "380", Code: x12.ElemTooLong, Value: "-1234567890.123456"}, ""},
		{"R with two points", "004010", "846", []string{bia, "LIN**SK*A1", "QTY*17*1.2.3*EA"}, "QTY", 4,
			x12.ElementError{Position: 2, Reference: "380", Code: x12.ElemInvalidChar, Value: "1.2.3"}, ""},
		{"composite component code", "004010", "846", []string{bia, "LIN**SK*A1", "QTY*17*5*E"}, "QTY", 4,
			x12.ElementError{Position: 3, Component: 1, Reference: "355", Code: x12.ElemInvalidCode, Value: "E"}, ""},
		{"composite syntax rule (C001 C0504)", "004010", "846", []string{bia, "LIN**SK*A1", "QTY*17*5*EA>>>>2"}, "QTY", 4,
			x12.ElementError{Position: 3, Component: 4, Reference: "355", Code: x12.ElemConditionalMissing}, "QTY03-4 (unit of measure, element 355): composite C001 breaks syntax rule C0504 (components [5 4])"},
		{"mandatory composite missing (AK401)", "005010", "997", []string{"AK1*OW*1", "AK2*940*0001", "AK3*N9*7**8", "AK4**128*1", "AK5*R*5", "AK9*R*1*1*0"}, "AK4", 5,
			x12.ElementError{Position: 1, Code: x12.ElemMandatoryMissing}, ""},
		{"bad component (AK401-2)", "005010", "997", []string{"AK1*OW*1", "AK2*940*0001", "AK3*N9*7**8", "AK4*1:X*128*1", "AK5*R*5", "AK9*R*1*1*0"}, "AK4", 5,
			x12.ElementError{Position: 1, Component: 2, Reference: "1528", Code: x12.ElemInvalidChar, Value: "X"}, ""},
		{"too many repetitions (CTX01 allows 10)", "005010", "999", []string{"AK1*HC*1*005010X222", "AK2*837*0001", "IK3*CLM*3**8", "CTX*" + strings.TrimSuffix(strings.Repeat("A^", 11), "^"), "IK5*R*5", "AK9*R*1*1*0"}, "CTX", 5,
			x12.ElementError{Position: 1, Repetition: 11, Code: "12", Value: "A"}, ""},
		{"repetition in a non-repeating element", "005010", "997", []string{"AK1*OW^IB*1", "AK9*R*1*1*0"}, "AK1", 2,
			x12.ElementError{Position: 1, Reference: "479", Code: "12", Value: "OW^IB"}, ""},
		{"component separator in a simple element (005010)", "005010", "997", []string{"AK1*O:W*1", "AK9*R*1*1*0"}, "AK1", 2,
			x12.ElementError{Position: 1, Reference: "479", Code: "13", Value: "O:W"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := checkOne(t, c, tc.version, tc.set, tc.body...)
			res := o.Result
			if res.Status != x12.StatusRejected {
				t.Errorf("status %s, want R", res.Status)
			}
			if len(res.Segments) != 1 {
				t.Fatalf("got %d segment errors, want 1: %+v", len(res.Segments), res.Segments)
			}
			s := res.Segments[0]
			if s.SegmentID != tc.seg || s.Position != tc.pos || s.Code != x12.SegHasElementError {
				t.Errorf("got AK3*%s*%d**%s, want AK3*%s*%d**8", s.SegmentID, s.Position, s.Code, tc.seg, tc.pos)
			}
			if len(s.Elements) != 1 {
				t.Fatalf("got %d element errors, want 1: %+v", len(s.Elements), s.Elements)
			}
			e := s.Elements[0]
			msg := e.Msg
			e.Msg = ""
			if e != tc.el {
				t.Errorf("got %+v\nwant %+v\n(%s)", e, tc.el, msg)
			}
			if tc.msg != "" && msg != tc.msg {
				t.Errorf("message\n got %q\nwant %q", msg, tc.msg)
			}
			if msg == "" {
				t.Error("empty message")
			}
		})
	}
}

// TestLengthsFollowTheVersion: BIA03 is AN 1/30 in 004010 and 1/50 in
// 005010.
func TestLengthsFollowTheVersion(t *testing.T) {
	c := mustLoad(t)
	body := "BIA*00*SI*" + strings.Repeat("R", 40) + "*20240101"
	if o := checkOne(t, c, "004010", "846", body); o.Result.Status != x12.StatusRejected {
		t.Errorf("004010: status %s, want R", o.Result.Status)
	}
	if o := checkOne(t, c, "005010", "846", body); o.Result.Status != x12.StatusAccepted {
		t.Errorf("005010: status %s, want A: %+v", o.Result.Status, o.Result.Segments)
	}
}

func TestValidSets(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		name, version, set string
		body               []string
	}{
		{"846 items with nested QTY and location N1 loops", "004010", "846", []string{bia, "DTM*007*20240101", "N1*WH*WAREHOUSE*92*WH1",
			"LIN**SK*A1*UP*012345678905", "PID*F****WIDGET", "QTY*17*5*EA", "QTY*33*4*EA", "N1*WH*STORE 2*92*S2", "QTY*33*1*EA",
			"LIN**SK*A2", "QTY*17*-3*EA", "CTT*2"}},
		{"940 with optional loops absent", "004010", "940", []string{w05}},
		{"940 with LX but no W01 (optional loop)", "004010", "940", []string{w05, "LX*1"}},
		{"997 without AK2 (AK5 only required in AK2)", "004010", "997", []string{"AK1*OW*1", "AK9*A*1*1*1"}},
		{"999 with CTX repetitions and composites", "005010X231", "999", []string{"AK1*HC*1*005010X222", "AK2*837*0001*005010X222A1",
			"IK3*CLM*3**8", "CTX*SITUATIONAL TRIGGER^CLM01:X", "IK4*2:1*782*1", "CTX*CLM01:123", "IK5*R*5", "AK9*R*1*1*0"}},
		{"N2 amount without a decimal point", "004010", "940", []string{w05, "W66*PP*M*******4300*UPSN"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := checkOne(t, c, tc.version, tc.set, tc.body...)
			if o.Result.Status != x12.StatusAccepted {
				t.Errorf("status %s codes %v: %+v", o.Result.Status, o.Result.Codes, o.Result.Segments)
			}
		})
	}
}

func TestVersionResolution(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		release, want string
		ok            bool
	}{
		{"004010", "004010", true},
		{"004010VICS", "004010", true},
		{"004060", "004010", true},
		{"004050", "004010", true},
		{"005010X231", "005010", true},
		{"005050", "005010", true},
		{"003040", "", false},
		{"004000", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, ok := c.Resolve(tc.release)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Resolve(%q) = %q, %v; want %q, %v", tc.release, got, ok, tc.want, tc.ok)
		}
	}
	o := checkOne(t, c, "004060", "940", w05)
	if o.Support != Supported || o.Version != "004010" || o.Release != "004060" || !o.Fallback() {
		t.Errorf("004060: %+v", o)
	}
	if s, ok := c.Lookup("999", "004010"); ok {
		t.Errorf("Lookup(999, 004010) = %s %s, want none", s.ID, s.Version)
	}
	if s, ok := c.Lookup("999", "005010"); !ok || s.Version != "005010" {
		t.Error("Lookup(999, 005010) found nothing")
	}
}

func TestNotSupported(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		version, set string
		want         Support
	}{
		{"004010", "210", UnknownSet},
		{"004010", "214", UnknownSet},
		{"003040", "940", UnknownVersion},
	}
	for _, tc := range tests {
		o := checkOne(t, c, tc.version, tc.set, "ZZZ*1")
		if o.Support != tc.want || o.Spec != nil {
			t.Errorf("%s %s: support %v, want %v", tc.version, tc.set, o.Support, tc.want)
		}
		if o.Result.Status != x12.StatusRejected || !hasCode(o.Result.Codes, x12.SetNotSupported) || len(o.Result.Segments) != 0 {
			t.Errorf("%s %s: result %+v, want R with code 1 and no segment errors", tc.version, tc.set, o.Result)
		}
	}
}

// TestConcurrentValidate runs one catalog from several goroutines (for the
// race detector).
func TestConcurrentValidate(t *testing.T) {
	c := mustLoad(t)
	o := checkOne(t, c, "004010", "940", w05, "N9**3")
	data := interchange("004010", "940", []string{w05, "N9**3"}, []string{w05, "LX*1", w01})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				g := validateStream(c, "x", strings.NewReader(data))
				if len(g.Sets) != 2 || g.Sets[0].Status != x12.StatusRejected || g.Sets[1].Status != x12.StatusAccepted {
					t.Errorf("unexpected results: %+v", g)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(o.Result.Segments) != 1 {
		t.Errorf("first result changed: %+v", o.Result)
	}
}

// TestValidateAllocations: the happy path allocates nothing per segment.
func TestValidateAllocations(t *testing.T) {
	c := mustLoad(t)
	data, _ := io.ReadAll(newGen846(2000, 2000))
	sets := decodeSets(t, data)
	c.Validate(sets[0]) // warm the pool
	allocs := testing.AllocsPerRun(20, func() { c.Validate(sets[0]) })
	if allocs > 2 {
		t.Errorf("%.0f allocations per set of %d segments; want at most 2 (none per segment)", allocs, len(sets[0].Segments))
	}
}

// textLengthByByte is textLength as first written, one byte at a time:
// the reference for the word-at-a-time version.
func textLengthByByte(b []byte, comp byte) (int, bool) {
	ascii := true
	for _, c := range b {
		if c < 0x20 || c == 0x7F || c == comp {
			return 0, false
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	if ascii {
		return len(b), true
	}
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 || r >= 0x80 && r < 0xA0 {
			return 0, false
		}
		b = b[size:]
		n++
	}
	return n, true
}

// TestTextLengthSameAsByByte puts every byte value at every position of
// values up to 20 bytes long, with and without a component separator.
func TestTextLengthSameAsByByte(t *testing.T) {
	base := []byte("WIDGET NUMBER 12345.")
	for _, comp := range []byte{0, '>', ':', 'A'} {
		for n := 0; n <= len(base); n++ {
			for pos := 0; pos < max(n, 1); pos++ {
				for c := 0; c < 256; c++ {
					v := append([]byte(nil), base[:n]...)
					if n > 0 {
						v[pos] = byte(c)
					}
					gotN, gotOK := textLength(v, comp)
					wantN, wantOK := textLengthByByte(v, comp)
					if gotN != wantN || gotOK != wantOK {
						t.Fatalf("textLength(%q, %q) = %d, %v; byte by byte %d, %v", v, comp, gotN, gotOK, wantN, wantOK)
					}
				}
			}
		}
	}
	for _, v := range []string{"ÉCOLE NUMÉRO 1234567", "12345678€", "ABCDEFGH\xc2\x85", "ABCDEFGHIJKLMNOP\xff"} {
		gotN, gotOK := textLength([]byte(v), '>')
		wantN, wantOK := textLengthByByte([]byte(v), '>')
		if gotN != wantN || gotOK != wantOK {
			t.Errorf("textLength(%q) = %d, %v; byte by byte %d, %v", v, gotN, gotOK, wantN, wantOK)
		}
	}
}
