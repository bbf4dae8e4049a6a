package x12

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReaderDelimiters(t *testing.T) {
	body := []string{"GS*IB*S*R*20260101*1200*1*X*004010", "ST*846*0001", "SE*2*0001", "GE*1*1", "IEA*1*000000001"}
	tests := []struct {
		name    string
		isa     string
		term    string
		suffix  string
		replace [3]string // element, component, repetition for the body
		want    Delimiters
	}{
		{"tilde", stdISA("~"), "~", "", [3]string{"*"}, Delimiters{Element: '*', Component: '>', Segment: "~"}},
		{"tilde LF", stdISA("~"), "~", "\n", [3]string{"*"}, Delimiters{Element: '*', Component: '>', Segment: "~"}},
		{"tilde CRLF", stdISA("~"), "~", "\r\n", [3]string{"*"}, Delimiters{Element: '*', Component: '>', Segment: "~"}},
		{"tilde CR", stdISA("~"), "~", "\r", [3]string{"*"}, Delimiters{Element: '*', Component: '>', Segment: "~"}},
		{"newline terminator", stdISA("\n"), "\n", "", [3]string{"*"}, Delimiters{Element: '*', Component: '>', Segment: "\n"}},
		{"CR terminator with LF", stdISA("\r"), "\r", "\n", [3]string{"*"}, Delimiters{Element: '*', Component: '>', Segment: "\r"}},
		{"00501 caret repetition", isaWith('*', "^", "00501", "000000001", ':', "~"), "~", "\n", [3]string{"*"},
			Delimiters{Element: '*', Component: ':', Repetition: '^', Segment: "~"}},
		{"00501 letter ISA11 means none", isaWith('*', "U", "00501", "000000001", ':', "~"), "~", "\n", [3]string{"*"},
			Delimiters{Element: '*', Component: ':', Segment: "~"}},
		{"00501 space ISA11 means none", isaWith('*', " ", "00501", "000000001", ':', "~"), "~", "\n", [3]string{"*"},
			Delimiters{Element: '*', Component: ':', Segment: "~"}},
		{"00401 ignores ISA11", isaWith('*', "^", "00401", "000000001", ':', "~"), "~", "\n", [3]string{"*"},
			Delimiters{Element: '*', Component: ':', Segment: "~"}},
		{"pipe colon bang", isaWith('|', "U", "00401", "000000001", ':', "!"), "!", "\n", [3]string{"|"},
			Delimiters{Element: '|', Component: ':', Segment: "!"}},
		{"control characters", isaWith(0x1d, "U", "00401", "000000001", 0x1f, "\x1c"), "\x1c", "", [3]string{"\x1d"},
			Delimiters{Element: 0x1d, Component: 0x1f, Segment: "\x1c"}},
		{"ellipsis terminator", stdISA("…"), "…", "\n", [3]string{"*"}, Delimiters{Element: '*', Component: '>', Segment: "…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var segs []string
			for _, s := range body {
				segs = append(segs, strings.ReplaceAll(s, "*", tt.replace[0]))
			}
			in := interchange(tt.isa, tt.term, tt.suffix, segs...)
			if tt.suffix != "" {
				in = tt.isa + tt.suffix + in[len(tt.isa)+len(tt.suffix):]
			}
			r := NewReader(strings.NewReader(in), nil)
			isa, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if isa.ID != "ISA" || isa.Len() != 16 {
				t.Fatalf("first segment %s with %d elements", isa.ID, isa.Len())
			}
			if got := *r.Delimiters(); got != tt.want {
				t.Errorf("delimiters = %+v, want %+v", got, tt.want)
			}
			got := []string{"ISA"}
			for {
				seg, err := r.Next()
				if err != nil {
					break
				}
				got = append(got, seg.ID)
				if seg.ID == "ST" && (seg.Text(1) != "846" || seg.Text(2) != "0001") {
					t.Errorf("ST elements %q %q", seg.Text(1), seg.Text(2))
				}
			}
			if strings.Join(got, " ") != "ISA GS ST SE GE IEA" {
				t.Errorf("segments %v", got)
			}
		})
	}
}

func TestReaderRepetitionAndComponents(t *testing.T) {
	in := interchange(isaWith('*', "^", "00501", "000000001", ':', "~"), "~", "\n",
		"GS*HC*S*R*20260101*1200*1*X*005010X222A1",
		"ST*837*0001*005010X222A1",
		"HI*ABK:I10^ABF:E119*BBR:0",
		"CTX*SITUATIONAL TRIGGER*CLM*3**5:3^6",
		"SE*4*0001", "GE*1*1", "IEA*1*000000001")
	segs, _ := readAll(t, in, nil)
	hi := segs[3]
	if hi.ID != "HI" {
		t.Fatalf("segment 4 is %s", hi.ID)
	}
	reps := hi.Repetitions(1)
	if len(reps) != 2 || string(reps[0]) != "ABK:I10" || string(reps[1]) != "ABF:E119" {
		t.Errorf("HI01 repetitions %q", reps)
	}
	if got := string(hi.Component(1, 2)); got != "I10" {
		t.Errorf("HI01-2 = %q, want I10 (first repetition)", got)
	}
	if got := string(hi.Component(2, 1)); got != "BBR" {
		t.Errorf("HI02-1 = %q", got)
	}
	if got := hi.Component(2, 3); got != nil {
		t.Errorf("HI02-3 = %q, want nil", got)
	}
	if got := hi.Component(9, 1); got != nil {
		t.Errorf("HI09-1 = %q, want nil", got)
	}
	if hi.Delimiters().Repetition != '^' {
		t.Errorf("segment delimiters %+v", hi.Delimiters())
	}
	ctx := segs[4]
	if ctx.Len() != 5 || ctx.Text(4) != "" || string(ctx.Component(5, 2)) != "3" {
		t.Errorf("CTX elements: len %d, %q", ctx.Len(), ctx.Raw())
	}
	// NewSegment builds what a Writer takes; its components use '>'.
	ns := NewSegment("LIN", "", "SK", "A>B")
	if ns.Len() != 3 || ns.Text(3) != "A>B" || string(ns.Component(3, 2)) != "B" || ns.Delimiters() != nil {
		t.Errorf("NewSegment: %d %q", ns.Len(), ns.Text(3))
	}
}

func TestReaderLineEndingsGiveSameSegments(t *testing.T) {
	var want []Segment
	for _, suffix := range []string{"", "\n", "\r\n", "\r", "\n\n", "\r\n\r\n"} {
		segs, warns := readAll(t, sample846(suffix), &ReaderOptions{Strict: true})
		if len(warns) != 0 {
			t.Errorf("suffix %q: warnings %v", suffix, warns)
		}
		if want == nil {
			want = segs
			if len(want) != 17 {
				t.Fatalf("read %d segments, want 17", len(want))
			}
			continue
		}
		if len(segs) != len(want) {
			t.Fatalf("suffix %q: %d segments, want %d", suffix, len(segs), len(want))
		}
		for i := range segs {
			if !sameElements(&segs[i], &want[i]) {
				t.Errorf("suffix %q: segment %d = %q, want %q", suffix, i+1, segs[i].Raw(), want[i].Raw())
			}
			if segs[i].Pos.Index != i+1 || segs[i].Pos.SetIndex != want[i].Pos.SetIndex {
				t.Errorf("suffix %q: segment %d place %+v", suffix, i+1, segs[i].Pos)
			}
		}
		if suffix == "\n" || suffix == "\r\n" {
			for i := range segs {
				if segs[i].Pos.Line != i+1 || segs[i].Pos.Column != 1 {
					t.Errorf("suffix %q: segment %d at line %d column %d", suffix, i+1, segs[i].Pos.Line, segs[i].Pos.Column)
				}
			}
		}
	}
}

func sameElements(a, b *Segment) bool {
	if a.ID != b.ID || a.Len() != b.Len() {
		return false
	}
	for i := 1; i <= a.Len(); i++ {
		if !bytes.Equal(a.Element(i), b.Element(i)) {
			return false
		}
	}
	return true
}

func TestReaderPositions(t *testing.T) {
	// Two lines: ISA + GS on line 1 (no newline between them), the rest
	// one segment a line, and a line feed inside an element of N1.
	in := stdISA("~") + "GS*IB*S*R*20260101*1200*1*X*004010~\n" +
		"ST*846*0001~\nN1*WH*Two\nLines~\nSE*3*0001~GE*1*1~\r\nIEA*1*000000001~\n"
	segs, _ := readAll(t, in, nil)
	type place struct {
		id                         string
		offset                     int64
		line, col, index, setIndex int
	}
	off := func(s string) int64 { return int64(strings.Index(in, s)) }
	want := []place{
		{"ISA", 0, 1, 1, 1, 0},
		{"GS", 106, 1, 107, 2, 0},
		{"ST", off("ST*"), 2, 1, 3, 1},
		{"N1", off("N1*"), 3, 1, 4, 2},
		{"SE", off("SE*"), 5, 1, 5, 3},
		{"GE", off("GE*"), 5, 11, 6, 0},
		{"IEA", off("IEA*"), 6, 1, 7, 0},
	}
	if len(segs) != len(want) {
		t.Fatalf("read %s", ids(segs))
	}
	for i, w := range want {
		p := segs[i].Pos
		got := place{segs[i].ID, p.Offset, p.Line, p.Column, p.Index, p.SetIndex}
		if got != w {
			t.Errorf("segment %d: got %+v, want %+v", i+1, got, w)
		}
	}
	if got := segs[3].Text(2); got != "Two\nLines" {
		t.Errorf("N102 = %q", got)
	}
	if s := segs[1].Pos.String(); s != "line 1, column 107 (segment 2)" {
		t.Errorf("Position.String() = %q", s)
	}
}

func TestReaderSetIndex(t *testing.T) {
	in := interchange(stdISA("~"), "~", "\n",
		"GS*OW*S*R*20260101*1200*7*X*004010",
		"ST*940*0001", "W05*N*1", "LX*1", "SE*4*0001",
		"ST*940*0002", "W05*N*2", "SE*3*0002",
		"GE*2*7", "IEA*1*000000001")
	segs, _ := readAll(t, in, nil)
	var got []int
	for i := range segs {
		got = append(got, segs[i].Pos.SetIndex)
	}
	want := []int{0, 0, 1, 2, 3, 4, 1, 2, 3, 0, 0}
	if len(got) != len(want) {
		t.Fatalf("SetIndex %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("SetIndex %v, want %v", got, want)
		}
	}
}

func TestReaderISAInsideData(t *testing.T) {
	in := interchange(stdISA("~"), "~", "\n",
		"GS*SH*ISA*ISA*20260101*1200*1*X*004010",
		"ST*856*0001",
		"N1*ST*ISA CORP",
		"N1*SF*ISAAC",
		"REF*ZZ*ISA*ISA",
		"ISAAC*1",
		"SE*6*0001", "GE*1*1", "IEA*1*000000001")
	segs, warns := readAll(t, in, &ReaderOptions{Strict: true})
	if got := ids(segs); got != "ISA GS ST N1 N1 REF ISAAC SE GE IEA" {
		t.Errorf("ids %q", got)
	}
	if len(warns) != 0 {
		t.Errorf("warnings %v", warns)
	}
	if segs[3].Text(2) != "ISA CORP" || segs[4].Text(2) != "ISAAC" {
		t.Errorf("N1 elements %q %q", segs[3].Text(2), segs[4].Text(2))
	}
	// ISA right after a terminator, without a line break, is a new interchange.
	two := sample846("") + isaWith('|', "U", "00401", "000000002", ':', "!") + "GS|IB|S|R|20260101|1200|2|X|004010!GE|0|2!IEA|1|000000002!"
	segs, _ = readAll(t, two, nil)
	if got := ids(segs); !strings.HasSuffix(got, "IEA ISA GS GE IEA") {
		t.Errorf("ids %q", got)
	}
}

func TestReaderMultipleInterchanges(t *testing.T) {
	first := sample846("\n")
	second := interchange(isaWith('|', "^", "00501", "000000002", ':', "!"), "!", "\r\n",
		"GS|FA|S|R|20260101|1200|9|X|005010X231", "ST|999|0001|005010X231", "AK1|IB|1|004010",
		"AK9|A|1|1|1", "SE|4|0001", "GE|1|9", "IEA|1|000000002")
	third := interchange(stdISA("\n"), "\n", "", "GS*IB*S*R*20260101*1200*3*X*004010", "GE*0*3", "IEA*1*000000001")
	in := first + "\n\n" + second + third
	segs, warns := readAll(t, in, &ReaderOptions{Strict: true})
	if len(warns) != 0 {
		t.Errorf("warnings %v", warns)
	}
	var isas []Segment
	for i := range segs {
		if segs[i].ID == "ISA" {
			isas = append(isas, segs[i])
		}
	}
	if len(isas) != 3 {
		t.Fatalf("%d ISAs in %s", len(isas), ids(segs))
	}
	if d := isas[1].Delimiters(); d.Element != '|' || d.Repetition != '^' || d.Segment != "!" {
		t.Errorf("second interchange delimiters %+v", d)
	}
	if d := isas[0].Delimiters(); d.Element != '*' || d.Segment != "~" {
		t.Errorf("first interchange delimiters changed to %+v", d)
	}
	if isas[2].Delimiters().Segment != "\n" {
		t.Errorf("third interchange terminator %q", isas[2].Delimiters().Segment)
	}
	if got, want := segs[len(segs)-1].Pos.Index, len(segs); got != want {
		t.Errorf("last index %d, want %d", got, want)
	}
}

func TestReaderBadInput(t *testing.T) {
	valid := sample846("\n")
	binary := make([]byte, 300)
	for i := range binary {
		binary[i] = byte(i*131 + 7)
	}
	longISA := strings.Replace(stdISA("~"), "SENDER         ", "SENDER          ", 1)
	tests := []struct {
		name     string
		in       string
		opts     *ReaderOptions
		want     error
		wantLine int
	}{
		{"empty", "", nil, ErrNoISA, 1},
		{"white space only", " \r\n\t\n", nil, ErrNoISA, 3},
		{"text", "hello, world\nthis is not X12\n", nil, ErrNoISA, 1},
		{"json", `{"ISA": 1}`, nil, ErrNoISA, 1},
		{"binary", string(binary), nil, ErrNoISA, 1},
		{"GS first", "GS*IB*S*R*20260101*1200*1*X*004010~", nil, ErrNoISA, 1},
		{"ISA alone", "ISA", nil, ErrNoISA, 1},
		{"ISA cut at 50 bytes", stdISA("~")[:50], nil, ErrBadISA, 1},
		{"ISA cut before terminator", stdISA("~")[:105], nil, ErrTruncated, 1},
		{"ISA with 15 separators", strings.Replace(stdISA("~"), "*T*", "*T", 1) + "GS*X~", nil, ErrBadISA, 1},
		{"ISA sender id too long, strict", longISA + "GS*IB~", &ReaderOptions{Strict: true}, ErrStrict, 1},
		{"ISA12 too long", strings.Replace(stdISA("~"), "*00401*", "*004010*", 1) + "GS*IB~", nil, ErrBadISA, 1},
		{"ISA15 runs into the next segment", strings.Replace(stdISA("~"), "*T*", "*T", 1) + "GS*IB*X~", nil, ErrBadISA, 1},
		{"ISA separator is a letter", strings.ReplaceAll(stdISA("~"), "*", "A"), nil, ErrNoISA, 1},
		{"ISA separator is a digit", "ISA1" + stdISA("~")[4:], nil, ErrNoISA, 1},
		{"terminator is a letter", stdISA("G") + "S*IB~", nil, ErrBadTerminator, 1},
		{"terminator is a space", stdISA(" ") + "GS*IB ", nil, ErrBadTerminator, 1},
		{"terminator equals component", isaWith('*', "U", "00401", "000000001", '~', "~") + "GS~", nil, ErrBadISA, 1},
		{"17 elements in ISA", strings.Replace(stdISA("~"), "*>~", "*>*X~", 1), nil, ErrBadISA, 1},
		{"truncated segment", valid[:strings.Index(valid, "CTT")+3], nil, ErrTruncated, 14},
		{"truncated after ST", valid[:strings.Index(valid, "ST*")+8], nil, ErrTruncated, 3},
		{"garbage after IEA", valid + "THE END\n", nil, ErrGarbageAfterIEA, 18},
		{"binary after IEA", valid + string(binary[:20]), nil, ErrGarbageAfterIEA, 18},
		{"segment too long", interchange(stdISA("~"), "~", "\n", "GS*"+strings.Repeat("x", 5000)), &ReaderOptions{MaxSegmentSize: 1024}, ErrSegmentTooLong, 2},
		{"no terminator after ISA", stdISA("~") + strings.Repeat("GS*IB*", 2000), &ReaderOptions{MaxSegmentSize: 1024}, ErrSegmentTooLong, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, slow := range []bool{false, true} {
				r := NewReader(strings.NewReader(tt.in), tt.opts)
				r.slowOnly = slow
				var err error
				for range 10000 {
					if _, err = r.Next(); err != nil {
						break
					}
				}
				if !errors.Is(err, tt.want) {
					t.Fatalf("slow=%v: error %v, want %v", slow, err, tt.want)
				}
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("error %T is not a *SyntaxError", err)
				}
				if se.Pos.Line != tt.wantLine || se.Pos.Column < 1 || se.Pos.Index < 1 {
					t.Errorf("error place %+v, want line %d", se.Pos, tt.wantLine)
				}
				if !strings.Contains(err.Error(), "line ") {
					t.Errorf("message without place: %v", err)
				}
				// The error is sticky.
				if _, again := r.Next(); again != err {
					t.Errorf("second Next returned %v", again)
				}
			}
		})
	}
}

func TestReaderPolicy(t *testing.T) {
	base := sample846("\n")
	wrapped := wrapAt(sample846(""), 80)
	ellipsis := strings.ReplaceAll(strings.Replace(sample846("\n"), "~", "…", 1), "~", "…")
	tests := []struct {
		name string
		in   string
		warn string // a warning that must appear in lenient mode
	}{
		{"BOM", "\xEF\xBB\xBF" + base, "byte order mark"},
		{"indentation", strings.ReplaceAll(base, "\nST*", "\n    ST*"), "white space"},
		{"leading blank line and tab", "\n\t" + base, "white space"},
		{"BOM before second interchange", base + "\xEF\xBB\xBF" + base, "byte order mark"},
		{"non-ASCII terminator", ellipsis, "non-ASCII segment terminator"},
		{"wrapped at 80 columns", wrapped, "wrapped"},
		{"unpadded ISA", strings.Replace(base, "SENDER         *", "SENDER*", 1), "not the fixed 106"},
		{"unterminated final IEA", strings.TrimSuffix(base, "~\n"), "final IEA has no segment terminator"},
		{"empty segment", strings.Replace(base, "CTT*2~", "CTT*2~~", 1), "empty segment"},
		{"NUL padding", base + "\x00\x00\x00", "white space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, slow := range []bool{false, true} {
				r := NewReader(strings.NewReader(tt.in), nil)
				r.slowOnly = slow
				tr := traceReader(r)
				if tr.Err != "" {
					t.Fatalf("lenient: %s", tr.Err)
				}
				if !strings.Contains(strings.Join(tr.Warnings, "\n"), tt.warn) {
					t.Errorf("lenient: warnings %q, want one about %q", tr.Warnings, tt.warn)
				}
				if n := len(tr.Segments); n < 17 {
					t.Errorf("lenient: read %d segments", n)
				}
				r = NewReader(strings.NewReader(tt.in), &ReaderOptions{Strict: true})
				r.slowOnly = slow
				strict := traceReader(r)
				if !strings.Contains(strict.Err, ErrStrict.Error()) {
					t.Errorf("strict: error %q, want ErrStrict", strict.Err)
				}
			}
		})
	}
	// A missing final newline where the newline is the terminator is no
	// leniency.
	nl := interchange(stdISA("\n"), "\n", "", "GS*IB*S*R*20260101*1200*1*X*004010", "GE*0*1", "IEA*1*000000001")
	if err := readErr(strings.TrimSuffix(nl, "\n"), &ReaderOptions{Strict: true}); err != nil {
		t.Errorf("newline-terminated file without final newline, strict: %v", err)
	}
}

// wrapAt inserts a line feed after every n bytes, as some mailboxes do.
func wrapAt(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n])
		b.WriteByte('\n')
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

func TestReaderWrappedMatchesUnwrapped(t *testing.T) {
	want, _ := readAll(t, sample846(""), nil)
	for _, n := range []int{80, 64, 100, 7} {
		got, warns := readAll(t, wrapAt(sample846(""), n), nil)
		if len(warns) == 0 {
			t.Errorf("wrap %d: no warning", n)
		}
		if len(got) != len(want) {
			t.Fatalf("wrap %d: %s", n, ids(got))
		}
		for i := range got {
			if !sameElements(&got[i], &want[i]) {
				t.Errorf("wrap %d: segment %d = %q, want %q", n, i+1, got[i].Raw(), want[i].Raw())
			}
		}
	}
}

func TestValidSegmentID(t *testing.T) {
	for id, want := range map[string]bool{"ST": true, "LIN": true, "N1": true, "AK9": true, "ISA": true,
		"": false, "S": false, "ABCD": false, "1AB": false, "st": false, "N-": false} {
		if got := ValidSegmentID(id); got != want {
			t.Errorf("ValidSegmentID(%q) = %v", id, got)
		}
	}
}

func TestSegmentClone(t *testing.T) {
	r := NewReader(strings.NewReader(sample846("\n")), nil)
	var clones []Segment
	for {
		seg, err := r.Next()
		if err != nil {
			break
		}
		clones = append(clones, seg.Clone())
	}
	if clones[6].ID != "LIN" || clones[6].Text(3) != "SKU0000001" || string(clones[6].Raw()) != "LIN**SK*SKU0000001*UP*012345678905" {
		t.Errorf("clone after later reads: %q", clones[6].Raw())
	}
}

// TestReaderWrappedSecondISA: in input wrapped at a fixed width, a line
// break may cut the tag of a later ISA ("IS\nA*...").
func TestReaderWrappedSecondISA(t *testing.T) {
	one := sample846("")
	two := one + strings.Replace(one, "000000001", "000000002", 2)
	want, _ := readAll(t, two, nil)
	cuts := 0
	for n := 20; n < 106; n++ {
		// wrapAt breaks after every n bytes: inside the second "ISA*"
		// when len(one)+k is a multiple of n for k = 1, 2 or 3.
		if k := (n - len(one)%n) % n; k < 1 || k > 3 {
			continue
		}
		cuts++
		in := wrapAt(two, n)
		for _, slow := range []bool{false, true} {
			r := NewReader(strings.NewReader(in), &ReaderOptions{BufferSize: 64})
			r.slowOnly = slow
			var got []Segment
			for {
				seg, err := r.Next()
				if err != nil {
					if !errors.Is(err, io.EOF) {
						t.Fatalf("wrap %d: %v", n, err)
					}
					break
				}
				got = append(got, seg.Clone())
			}
			if len(got) != len(want) {
				t.Fatalf("wrap %d: %s", n, ids(got))
			}
			for i := range got {
				if !sameElements(&got[i], &want[i]) {
					t.Errorf("wrap %d: segment %d = %q, want %q", n, i+1, got[i].Raw(), want[i].Raw())
				}
			}
		}
	}
	if cuts == 0 {
		t.Fatal("no wrap width cuts the second ISA tag")
	}
}
