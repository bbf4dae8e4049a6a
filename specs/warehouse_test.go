package specs

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
)

// sampleFiles are the project's own samples of the warehouse sets (943,
// 944, 945, 947) and the 850, in 004010 and 005010, written from the
// public structure of the sets.
func sampleFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/samples/*.edi")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	return files
}

// TestGoldenSamples validates every sample: each set must be supported and
// accepted, and the result must match testdata/golden/samples/<file>.json.
func TestGoldenSamples(t *testing.T) {
	c := mustLoad(t)
	for _, path := range sampleFiles(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got := validateStream(c, name, bytes.NewReader(data))
			if got.Error != "" || len(got.Sets) != 1 {
				t.Fatalf("error %q, %d sets", got.Error, len(got.Sets))
			}
			s := got.Sets[0]
			if s.Support != Supported.String() || s.Status != x12.StatusAccepted || !strings.HasPrefix(name, s.SetID) {
				t.Errorf("set %s: support %s, status %s, errors %+v", s.SetID, s.Support, s.Status, s.Segments)
			}
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			golden := filepath.Join("testdata", "golden", "samples", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./specs -update)", err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("result differs from %s (run go test ./specs -update and review the diff):\n%s", golden, b)
			}
		})
	}
}

// Segments of valid warehouse sets, for the error tests below.
const (
	w06  = "W06*F*ORDER1*20261125*SHIP-1**PO1"
	w17  = "W17*F*20261124*RCPT1001*ORDER943*SHIP77"
	n1wh = "N1*WH*DOCKSIDE DC EAST*92*DC-EAST"
	w07  = "W07*118*EA**VN*WIDGET-1"
	w12  = "W12*CC*10*10**EA**VN*WIDGET-1"
	w15  = "W15*20261126*ADJ-77*DEP-77"
	w19  = "W19*AU*3*EA**VN*WIDGET-1"
	beg  = "BEG*00*SA*PO-5001**20261120"
	po1  = "PO1*1*12*EA*4.25**VN*WIDGET-1"
	w27  = "W27*M*ABFS"
	w04  = "W04*120*EA**VN*WIDGET-1"
	w03  = "W03*168"
	w14  = "W14*158"
	lx1  = "LX*1"
	ctt  = "CTT*1"
)

// TestWarehouseSetErrors: each kind of structure and element error in the
// new sets, with its AK3/AK4 place.
func TestWarehouseSetErrors(t *testing.T) {
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
		el      int    // AK401, 0 for a segment error
		elCode  string // AK403
		msg     string // substring of the segment's or element's message
	}{
		{"943 without W27", "004010", "943", []string{w06, w04, w03}, "W27", 3, "", x12.SegMandatoryMiss, 0, "", "mandatory segment W27"},
		{"943 without W04 loop", "005010", "943", []string{w06, w27, w03}, "W04", 4, "W04", x12.SegMandatoryMiss, 0, "", "mandatory loop W04"},
		{"943 W04 without qualifier or UPC (R0304)", "004010", "943", []string{w06, w27, "W04*1*EA", w03}, "W04", 4, "W04", x12.SegHasElementError, 3, x12.ElemConditionalMissing, "R0304"},
		{"944 without W17", "004010", "944", []string{n1wh, w07, w14}, "W17", 2, "", x12.SegMandatoryMiss, 0, "", "mandatory segment W17"},
		{"944 without N1 loop", "004010", "944", []string{w17, w07, w14}, "N1", 3, "N1", x12.SegMandatoryMiss, 0, "", "mandatory loop N1"},
		{"944 005010: W07 outside an LX loop", "005010", "944", []string{w17, n1wh, w07, w14}, "W07", 4, "N1", x12.SegOutOfSequence, 0, "", "out of sequence"},
		{"944 W07 quantity not a number", "004010", "944", []string{w17, n1wh, "W07*1X*EA**VN*A", w14}, "W07", 4, "W07", x12.SegHasElementError, 1, x12.ElemInvalidChar, "W0701"},
		{"944 W13 without receiving condition", "005010", "944", []string{w17, n1wh, lx1, w07, "W13*2*EA", w14}, "W13", 6, "W13", x12.SegHasElementError, 3, x12.ElemMandatoryMissing, "W1303"},
		{"944 without W14", "004010", "944", []string{w17, n1wh, w07}, "W14", 5, "", x12.SegMandatoryMiss, 0, "", "mandatory segment W14"},
		{"945 W06 without reporting code", "004010", "945", []string{"W06**ORDER1", lx1, w12}, "W06", 2, "", x12.SegHasElementError, 1, x12.ElemMandatoryMissing, "W0601"},
		{"945 W06 unknown reporting code", "005010", "945", []string{"W06*Q*ORDER1", lx1, w12}, "W06", 2, "", x12.SegHasElementError, 1, x12.ElemInvalidCode, "W0601"},
		{"945 W12 status too short", "004010", "945", []string{w06, lx1, "W12*C*10*10**EA**VN*A"}, "W12", 4, "W12", x12.SegHasElementError, 1, x12.ElemTooShort, "W1201"},
		{"945 W12 outside an LX loop", "004010", "945", []string{w06, w12}, "W12", 3, "", x12.SegOutOfSequence, 0, "", "out of sequence"},
		{"945 W12 with a bad date in G62", "005010", "945", []string{w06, lx1, w12, "G62*11*20261399"}, "G62", 5, "W12", x12.SegHasElementError, 2, x12.ElemInvalidDate, "G6202"},
		{"945 W03 before the detail", "004010", "945", []string{w06, w03, lx1, w12}, "LX", 3, "LX", x12.SegMandatoryMiss, 0, "", "mandatory loop LX"},
		{"947 without N1 loop", "004010", "947", []string{w15, w19}, "N1", 3, "N1", x12.SegMandatoryMiss, 0, "", "mandatory loop N1"},
		{"947 W15 with one adjustment number of the pair (P0203)", "005010", "947", []string{"W15*20261126*ADJ-1", n1wh, w19}, "W15", 2, "", x12.SegHasElementError, 3, x12.ElemConditionalMissing, "P0203"},
		{"947 W19 without item (R0405)", "004010", "947", []string{w15, n1wh, "W19*AU*3*EA"}, "W19", 4, "W19", x12.SegHasElementError, 4, x12.ElemConditionalMissing, "R0405"},
		{"947 W19 weight without its qualifiers (C101112)", "005010", "947", []string{w15, n1wh, "W19*AU*3*EA**VN*A****12*G"}, "W19", 4, "W19", x12.SegHasElementError, 12, x12.ElemConditionalMissing, "C101112"},
		{"947 W19 without quantity", "004010", "947", []string{w15, n1wh, "W19*AU**EA**VN*A"}, "W19", 4, "W19", x12.SegHasElementError, 2, x12.ElemMandatoryMissing, "W1902"},
		{"947 W19 reason too long", "005010", "947", []string{w15, n1wh, "W19*AUX*3*EA**VN*A"}, "W19", 4, "W19", x12.SegHasElementError, 1, x12.ElemTooLong, "W1901"},
		{"850 BEG with a bad date", "004010", "850", []string{"BEG*00*SA*PO-5001**20261350", po1}, "BEG", 2, "", x12.SegHasElementError, 5, x12.ElemInvalidDate, "BEG05"},
		{"850 BEG unknown purpose", "005010", "850", []string{"BEG*99*SA*PO-5001**20261120", po1}, "BEG", 2, "", x12.SegHasElementError, 1, x12.ElemInvalidCode, "BEG01"},
		{"850 PO1 unit without quantity (C0302)", "004010", "850", []string{beg, "PO1*1**EA"}, "PO1", 3, "PO1", x12.SegHasElementError, 2, x12.ElemConditionalMissing, "C0302"},
		{"850 without PO1", "005010", "850", []string{beg, ctt}, "PO1", 3, "PO1", x12.SegMandatoryMiss, 0, "", "mandatory loop PO1"},
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
			// The first error is the one at the place; a misplaced segment
			// may also leave a mandatory loop missing after it.
			if len(res.Segments) == 0 {
				t.Fatal("no segment errors")
			}
			e := res.Segments[0]
			if e.SegmentID != tc.seg || e.Position != tc.pos || e.LoopID != tc.loop || e.Code != tc.code {
				t.Errorf("got AK3*%s*%d*%s*%s, want AK3*%s*%d*%s*%s (%s)", e.SegmentID, e.Position, e.LoopID, e.Code, tc.seg, tc.pos, tc.loop, tc.code, e.Msg)
			}
			msg := e.Msg
			if tc.el > 0 {
				if len(e.Elements) != 1 {
					t.Fatalf("got %d element errors, want 1: %+v", len(e.Elements), e.Elements)
				}
				el := e.Elements[0]
				if el.Position != tc.el || el.Code != tc.elCode {
					t.Errorf("got AK4*%d**%s, want AK4*%d**%s (%s)", el.Position, el.Code, tc.el, tc.elCode, el.Msg)
				}
				msg = el.Msg
			}
			if !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q does not contain %q", msg, tc.msg)
			}
		})
	}
}

// TestWarehouseValidShapes: both 944 shapes under 004010 (004020 and later
// releases resolve to the 004010 spec and send the LX loop), the 945 with
// several LX loops, the 947 with signed and status lines.
func TestWarehouseValidShapes(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		name, version, set string
		body               []string
	}{
		{"944 004010 shape", "004010", "944", []string{w17, n1wh, w07, "W13*2*EA*01", w07, w14}},
		{"944 LX shape under 004010", "004010", "944", []string{w17, n1wh, lx1, w07, "LX*2", w07, "W13*1*EA*07", w14}},
		{"944 LX shape under 004060 (resolves to 004010)", "004060", "944", []string{w17, n1wh, lx1, w07, w14}},
		{"945 two LX loops, W03 omitted", "005010", "945", []string{w06, lx1, w12, w12, "LX*2", w12}},
		{"947 signed and status lines", "004010", "947", []string{w15, n1wh, w19, "W19*AA*-4*EA**VN*A", "W19*05*2*EA**VN*B"}},
		{"943 minimal", "004010", "943", []string{w06, w27, w04, w03}},
		{"850 minimal", "004010", "850", []string{beg, po1}},
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
