package documents

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
)

// oneSet wraps segment lines (between ST and SE, one per line) of set
// setID in an 004010 interchange and reads it back.
func oneSet(t testing.TB, setID, body string) *x12.Transaction {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(body), "\n")
	var b strings.Builder
	b.WriteString("ISA*00*          *00*          *ZZ*SENDER         *ZZ*DOCKSIDE       *261125*0215*U*00401*000000001*0*P*>~\n")
	b.WriteString("GS*XX*SENDER*DOCKSIDE*20261125*0215*1*X*004010~\n")
	b.WriteString("ST*" + setID + "*0001~\n")
	for _, l := range lines {
		b.WriteString(strings.TrimSpace(l) + "~\n")
	}
	b.WriteString("SE*" + strconv.Itoa(len(lines)+2) + "*0001~\nGE*1*1~\nIEA*1*000000001~\n")
	sets, _ := readSets(t, []byte(b.String()))
	if len(sets) != 1 {
		t.Fatalf("read %d sets", len(sets))
	}
	return sets[0]
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		set     string
		body    string
		err     error
		segment string
		pos     int // position in the set, ST = 1
		element int
	}{
		{"846 without BIA", "846", "DTM*405*20261125\nLIN**SK*A", ErrMissingSegment, "BIA", 2, 0},
		{"846 bad quantity", "846", "BIA*00*DD*R*20261125\nLIN**SK*A\nQTY*17*12x*EA", ErrBadNumber, "QTY", 4, 2},
		{"846 quantity without qualifier", "846", "BIA*00*DD*R*20261125\nLIN**SK*A\nQTY**12*EA", ErrMissingElement, "QTY", 4, 1},
		{"846 quantity before any LIN", "846", "BIA*00*DD*R*20261125\nQTY*17*12*EA\nLIN**SK*A", ErrMisplaced, "QTY", 3, 0},
		{"846 LIN without ids", "846", "BIA*00*DD*R*20261125\nLIN*1", ErrMissingElement, "LIN", 3, 2},
		{"846 bad SDQ quantity", "846", "BIA*00*DD*R*20261125\nLIN**SK*A\nSDQ*EA*92*S1*4*S2*x", ErrBadNumber, "SDQ", 4, 6},
		{"846 bad CTT count", "846", "BIA*00*DD*R*20261125\nLIN**SK*A\nCTT*1.5", ErrBadNumber, "CTT", 4, 1},
		{"856 without BSN", "856", "HL*1**S", ErrMissingSegment, "BSN", 2, 0},
		{"856 unknown parent", "856", "BSN*00*S1*20261124*1200*0001\nHL*1**S\nHL*2*1*O\nHL*3*9*I", ErrUnknownParent, "HL", 5, 2},
		{"856 duplicate HL id", "856", "BSN*00*S1*20261124*1200*0001\nHL*1**S\nHL*1**S", ErrDuplicateID, "HL", 4, 1},
		{"856 HL without level", "856", "BSN*00*S1*20261124*1200*0001\nHL*1**", ErrMissingElement, "HL", 3, 3},
		{"856 bad SN1 quantity", "856", "BSN*00*S1*20261124*1200*0001\nHL*1**S\nHL*2*1*I\nLIN**UP*1\nSN1**ten*EA", ErrBadNumber, "SN1", 6, 2},
		{"856 SN1 without unit", "856", "BSN*00*S1*20261124*1200*0001\nHL*1**S\nHL*2*1*I\nSN1**10", ErrMissingElement, "SN1", 5, 3},
		{"856 LIN before any HL", "856", "BSN*00*S1*20261124*1200*0001\nLIN**UP*1\nHL*1**S", ErrMisplaced, "LIN", 3, 0},
		{"940 without W05", "940", "N1*ST*X\nLX*1", ErrMissingSegment, "W05", 2, 0},
		{"940 without depositor order", "940", "W05*N**PO1", ErrMissingElement, "W05", 2, 2},
		{"940 W01 without quantity", "940", "W05*N*SO1\nLX*1\nW01**EA**VN*A", ErrMissingElement, "W01", 4, 1},
		{"940 W01 bad quantity", "940", "W05*N*SO1\nLX*1\nW01*1,5*EA**VN*A", ErrBadNumber, "W01", 4, 1},
		{"940 W01 without item id", "940", "W05*N*SO1\nLX*1\nW01*1*EA", ErrMissingElement, "W01", 4, 3},
		{"940 LX without W01", "940", "W05*N*SO1\nLX*1\nLX*2\nW01*1*EA**VN*A", ErrMissingSegment, "W01", 3, 0},
		{"940 G69 in the header", "940", "W05*N*SO1\nG69*text\nLX*1\nW01*1*EA**VN*A", ErrMisplaced, "G69", 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(oneSet(t, tt.set, tt.body))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err %T is not a *DecodeError", err)
			}
			if de.Segment != tt.segment || de.Position != tt.pos || de.Element != tt.element || de.SetID != tt.set {
				t.Errorf("place = %s %s pos %d element %d, want %s %s pos %d element %d",
					de.SetID, de.Segment, de.Position, de.Element, tt.set, tt.segment, tt.pos, tt.element)
			}
			if de.Line == 0 {
				t.Errorf("no line in %v", de)
			}
			if msg := de.Error(); !strings.Contains(msg, "segment "+strconv.Itoa(tt.pos)+" of the set") {
				t.Errorf("message %q does not name the segment", msg)
			}
		})
	}
}

func TestDecodeWrongSet(t *testing.T) {
	tx := oneSet(t, "856", "BSN*00*S1*20261124*1200*0001\nHL*1**S")
	if _, err := Decode846(tx); !errors.Is(err, ErrWrongSet) {
		t.Errorf("Decode846 of an 856: err = %v, want ErrWrongSet", err)
	}
	if _, err := Decode940(tx); !errors.Is(err, ErrWrongSet) {
		t.Errorf("Decode940 of an 856: err = %v, want ErrWrongSet", err)
	}
	if _, err := Decode(nil); !errors.Is(err, ErrWrongSet) {
		t.Errorf("Decode(nil): err = %v, want ErrWrongSet", err)
	}
	if _, err := Decode856(&x12.Transaction{SetID: "856"}); !errors.Is(err, ErrWrongSet) {
		t.Errorf("Decode856 of a set without segments: err = %v, want ErrWrongSet", err)
	}
}

func TestDecodeErrorMessage(t *testing.T) {
	tests := []struct {
		e    *DecodeError
		want string
	}{
		{&DecodeError{SetID: "846", Segment: "QTY", Position: 14, Line: 16, Element: 2, Value: "12x", Err: ErrBadNumber},
			`846 QTY02 (segment 14 of the set, line 16): invalid number: "12x"`},
		{&DecodeError{SetID: "856", Segment: "HL", Position: 9, Element: 2, Value: "7", Err: ErrUnknownParent},
			`856 HL02 (segment 9 of the set): HL parent not found: "7"`},
		{&DecodeError{SetID: "940", Position: 3, Line: 5, Err: ErrNoSegmentID},
			`940 (segment 3 of the set, line 5): segment without an id`},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// TestGenericDecode checks that sets without a typed form keep every
// segment.
func TestGenericDecode(t *testing.T) {
	tx := oneSet(t, "810", "BEG*00*SA*PO1**20261125\nPO1*1*10*EA*9.5**UP*012345678905\nCTT*1")
	doc, err := Decode(tx)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := doc.(*Generic)
	if !ok {
		t.Fatalf("Decode gave %T, want *Generic", doc)
	}
	want := []Segment{
		{ID: "BEG", Elements: []string{"00", "SA", "PO1", "", "20261125"}},
		{ID: "PO1", Elements: []string{"1", "10", "EA", "9.5", "", "UP", "012345678905"}},
		{ID: "CTT", Elements: []string{"1"}},
	}
	if g.Set != "810" || g.Control != "0001" || len(g.Segments) != len(want) {
		t.Fatalf("generic = %+v", g)
	}
	for i := range want {
		if g.Segments[i].ID != want[i].ID || strings.Join(g.Segments[i].Elements, "*") != strings.Join(want[i].Elements, "*") {
			t.Errorf("segment %d = %+v, want %+v", i, g.Segments[i], want[i])
		}
	}
}
