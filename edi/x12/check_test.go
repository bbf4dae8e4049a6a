package x12

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestCheckBadInput: inputs that are not (or no longer) X12 give a report
// whose error names the place, never a panic.
func TestCheckBadInput(t *testing.T) {
	valid := envelope(goodBody...)
	shifted := strings.Replace(strings.Replace(stdISA("~"), "*000000001*", "*00000001*", 1), "*00401*", "*004010*", 1)
	tests := []struct {
		name string
		in   string
		want error
		line int
		ics  int // interchanges listed
	}{
		{"empty", "", ErrNoISA, 1, 0},
		{"binary", "\x00\x01\x02\xff\xfe PK\x03\x04", ErrNoISA, 1, 0},
		{"PDF", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", ErrNoISA, 1, 0},
		{"truncated inside a segment", valid[:strings.Index(valid, "LIN")+5], ErrTruncated, 8, 1},
		{"garbage after IEA", valid + "--boundary--\n", ErrGarbageAfterIEA, 12, 1},
		{"ISA elements shifted", shifted + "GS*IB~", ErrBadISA, 1, 0},
		{"ISA 105 bytes then EOF", stdISA("~")[:105], ErrTruncated, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Check(strings.NewReader(tt.in), EnvelopeOnly, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(rep.Err, tt.want) {
				t.Fatalf("report error %v, want %v", rep.Err, tt.want)
			}
			var se *SyntaxError
			if !errors.As(rep.Err, &se) || se.Pos.Line != tt.line {
				t.Errorf("error place %v, want line %d", rep.Err, tt.line)
			}
			if len(rep.Interchanges) != tt.ics || rep.Accepted() {
				t.Errorf("%d interchanges, accepted %v", len(rep.Interchanges), rep.Accepted())
			}
		})
	}
}

func TestGroupResultStatus(t *testing.T) {
	set := func(status string, codes ...string) SetResult {
		return SetResult{Status: status, Codes: codes}
	}
	tests := []struct {
		name      string
		groupErrs []EnvelopeError
		sets      []SetResult
		status    string
		accepted  int
		codes     []string
	}{
		{"all accepted", nil, []SetResult{set("A"), set("A")}, "A", 2, nil},
		{"accepted with errors", nil, []SetResult{set("A"), set("E")}, "E", 2, nil},
		{"partial", nil, []SetResult{set("A"), set("R", "5")}, "P", 1, nil},
		{"all rejected", nil, []SetResult{set("R", "4")}, "R", 0, nil},
		{"empty group", nil, nil, "A", 0, nil},
		{"group error", []EnvelopeError{{Code: "4"}, {Code: ""}, {Code: "6"}, {Code: "4"}}, []SetResult{set("A")}, "R", 1, []string{"4", "6"}},
		{"at most five codes", []EnvelopeError{{Code: "1"}, {Code: "2"}, {Code: "3"}, {Code: "4"}, {Code: "5"}, {Code: "6"}}, nil, "R", 0, []string{"1", "2", "3", "4", "5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &GroupResult{Group: &Group{Errors: tt.groupErrs}, Sets: tt.sets}
			if g.Status() != tt.status || g.Accepted() != tt.accepted || !slices.Equal(g.GroupCodes(), tt.codes) {
				t.Errorf("status %s accepted %d codes %q; want %s %d %q", g.Status(), g.Accepted(), g.GroupCodes(), tt.status, tt.accepted, tt.codes)
			}
		})
	}
	// Finish: segment errors add code 5 and reject; nothing wrong accepts.
	r := SetResult{Segments: []SegmentError{{SegmentID: "N1"}}}
	r.Finish()
	if r.Status != StatusRejected || !slices.Equal(r.Codes, []string{SetSegmentsInError}) {
		t.Errorf("Finish with segment errors: %s %q", r.Status, r.Codes)
	}
	r = SetResult{}
	r.Finish()
	if r.Status != StatusAccepted || r.Codes != nil {
		t.Errorf("Finish clean: %s %q", r.Status, r.Codes)
	}
}

func TestValidDateTime(t *testing.T) {
	for s, want := range map[string]bool{"20260101": true, "20240229": true, "20230229": false, "21000229": false, "20000229": true,
		"20261301": false, "20260132": false, "2026010": false, "2026o101": false, "": false} {
		if ValidDate(s) != want {
			t.Errorf("ValidDate(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{"1200": true, "2359": true, "2400": false, "1260": false, "120000": true, "12000": false,
		"12005": false, "1200599": true, "12006099": false, "123": false, "12:0": false} {
		if ValidTime(s) != want {
			t.Errorf("ValidTime(%q) = %v", s, !want)
		}
	}
}

func TestReaderWarningsHavePlaces(t *testing.T) {
	in := "\xEF\xBB\xBF" + strings.Replace(sample846("\n"), "\nDTM", "\n  DTM", 1)
	r := NewReader(strings.NewReader(in), nil)
	if r.Delimiters() != nil {
		t.Error("delimiters before the ISA")
	}
	var warns []Warning
	for {
		_, err := r.Next()
		warns = append(warns, r.TakeWarnings()...)
		if err != nil {
			break
		}
	}
	if len(warns) != 2 {
		t.Fatalf("warnings %v", warns)
	}
	if warns[0].Pos.Line != 1 || warns[0].Pos.Offset != 0 || !strings.Contains(warns[0].Msg, "byte order mark") {
		t.Errorf("BOM warning %v", warns[0])
	}
	if warns[1].Pos.Line != 5 || warns[1].Pos.Column != 1 || !strings.Contains(warns[1].String(), "line 5") {
		t.Errorf("indentation warning %v", warns[1])
	}
	if r.TakeWarnings() != nil {
		t.Error("TakeWarnings does not empty the list")
	}
}

func TestSegmentCloneAndNewSegment(t *testing.T) {
	s := NewSegment("N1", "ST", "", "ACME")
	c := s.Clone()
	if c.Len() != 3 || c.Text(1) != "ST" || c.Element(2) == nil || len(c.Element(2)) != 0 || c.Text(3) != "ACME" || c.Raw() != nil {
		t.Errorf("clone of NewSegment: %d %q %q", c.Len(), c.Text(1), c.Text(3))
	}
	if s.Element(0) != nil || s.Element(4) != nil || s.Text(9) != "" {
		t.Error("elements outside the segment are not nil")
	}
	empty := NewSegment("GE")
	if empty.Len() != 0 || empty.Element(1) != nil {
		t.Errorf("segment without elements: %d", empty.Len())
	}
}
