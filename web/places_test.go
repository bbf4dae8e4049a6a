package web

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
)

// TestErrorHighlight: every kind of place the pipeline writes (strings
// taken from the gateway's own runs) flags the segment or row, and the
// cell, it names, and nothing else.
func TestErrorHighlight(t *testing.T) {
	edi, err := os.ReadFile("../examples/samples/acme-3pl/inventory-846-unknown-item.edi")
	if err != nil {
		t.Fatal(err)
	}
	oneLine := bytes.ReplaceAll(edi, []byte("\n"), nil)
	csv, err := os.ReadFile("../examples/samples/northwind/NW_STOCK_20261125.csv")
	if err != nil {
		t.Fatal(err)
	}
	badCSV := append(append([]byte(nil), csv...), "NW-0001;NOWHERE;5;2026-11-26\n"...)
	quoteCSV := append(append([]byte(nil), csv...), "AB\"C;LDN;5;2026-11-26\n"...)
	const set = "a.edi: set 846 0001 (interchange 000001002, group 1002)"
	cases := []struct {
		name, file string
		body       []byte
		problem    inbox.Problem
		want       []string // flagged segment ids with their index ("LIN@16"), or rows ("R6:2": row 6, cell 2)
		anchor     string
	}{
		{"x12 mapping", "a.edi", edi, inbox.Problem{Place: set + ", segment 14 (LIN)", Msg: `item VN "AC-9999": not found in table "acme_items"`}, []string{"LIN@16"}, "S16"},
		{"x12 mapping, one-line file", "a.edi", oneLine, inbox.Problem{Place: set + ", segment 14 (LIN)", Msg: "x"}, []string{"LIN@16"}, "S16"},
		{"x12 validation", "a.edi", oneLine, inbox.Problem{Place: set + ", segment 5 (LIN), line 1, element 2", Code: "4", Msg: "too long"}, []string{"LIN@7"}, "S7"},
		{"x12 set", "a.edi", edi, inbox.Problem{Place: set, Msg: "decoding: x"}, []string{"ST@3"}, "S3"},
		{"x12 envelope", "a.edi", edi, inbox.Problem{Place: "a.edi: line 2, GS06", Code: "6", Msg: "bad"}, []string{"GS@2"}, "S2"},
		{"x12 envelope, one-line file", "a.edi", oneLine, inbox.Problem{Place: "a.edi: line 1, GS06", Msg: "bad"}, []string{"GS@2"}, "S2"},
		{"x12 sender", "a.edi", oneLine, inbox.Problem{Place: "a.edi: ISA06", Msg: "no partner has the ISA id ZZ/X"}, []string{"ISA@1"}, "S1"},
		{"x12 whole file", "a.edi", edi, inbox.Problem{Place: "a.edi", Msg: "processing error: disk"}, nil, ""},
		{"csv mapping", "n.csv", badCSV, inbox.Problem{Place: "n.csv:6:9", Msg: `location "NOWHERE": not found in table "northwind_warehouses"`}, []string{"R6:2"}, "R6"},
		{"csv reading", "n.csv", quoteCSV, inbox.Problem{Place: "n.csv", Msg: `n.csv:6:3: field "sku": bare " in non-quoted field`}, []string{"R6:1"}, "R6"},
		{"csv row", "n.csv", badCSV, inbox.Problem{Place: "n.csv", Msg: `n.csv:6: field "location": wrong number of fields`}, []string{"R6:0"}, "R6"},
		{"workbook cell", "w.xlsx", nil, inbox.Problem{Place: "w.xlsx:Stock!C3", Msg: "not a number"}, []string{"R3:3"}, "R3"},
		{"workbook row", "w.xlsx", nil, inbox.Problem{Place: "w.xlsx:Stock row 2", Msg: "x"}, []string{"R2:0"}, "R2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := &inbox.Message{Name: c.file, Errors: []inbox.Problem{c.problem}}
			var v *parsedView
			switch {
			case strings.HasSuffix(c.file, ".edi"):
				v = parseX12(bytes.NewReader(c.body))
			case strings.HasSuffix(c.file, ".csv"):
				v = parseCSV(bytes.NewReader(c.body), ';')
			default:
				v = &parsedView{Format: "xlsx"}
				for i := 1; i <= 4; i++ {
					v.Rows = append(v.Rows, rowView{Line: i, Cells: []string{"a", "b", "c", "d"}})
				}
			}
			anchors := make([]string, 1)
			targets := errorTargets(m)
			flagSegments(v, targets, anchors)
			flagRows(v, targets, anchors)
			var got []string
			for _, s := range v.Segments {
				if s.Flagged {
					got = append(got, fmt.Sprintf("%s@%d", s.ID, s.Index))
				}
			}
			for _, r := range v.Rows {
				if r.Flagged {
					got = append(got, fmt.Sprintf("R%d:%d", r.Line, r.FlaggedCell))
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) || anchors[0] != c.anchor {
				t.Errorf("flagged %v anchor %q, want %v %q", got, anchors[0], c.want, c.anchor)
			}
		})
	}
}

// FuzzErrorTargets: no place or message makes reading targets or flagging
// a parsed view panic, and a flagged row or segment is one the view has.
func FuzzErrorTargets(f *testing.F) {
	f.Add("a.edi: set 846 0001 (interchange 000001002, group 1002), segment 14 (LIN)", "item", "a.edi")
	f.Add("n.csv:6:9", `location "X"`, "n.csv")
	f.Add("n.csv", "n.csv:6:3: bare quote", "n.csv")
	f.Add("w.xlsx:Stock!ZZZZ99999999999999999999", "x", "w.xlsx")
	f.Add("a.edi: line 99999999999999999999, ISA06", "x", "a.edi")
	f.Add("set x y (interchange a, group b), segment 0 (ST)", "", "")
	edi := []byte("ISA*00*          *00*          *ZZ*A              *ZZ*B              *261125*2330*U*00401*000001002*0*P*>~\nGS*IB*A*B*20261125*2330*1002*X*004010~\nST*846*0001~\nBIA*00*DD*1*20261125~\nSE*3*0001~\nGE*1*1002~\nIEA*1*000001002~\n")
	f.Fuzz(func(t *testing.T, place, msg, name string) {
		m := &inbox.Message{Name: name, Errors: []inbox.Problem{{Place: place, Msg: msg}}}
		targets := errorTargets(m)
		for _, v := range []*parsedView{parseX12(bytes.NewReader(edi)), parseCSV(strings.NewReader("a;b\nc;d\n"), ';'),
			{Rows: []rowView{{Line: 1, Cells: []string{"x"}}}}} {
			anchors := make([]string, 1)
			flagSegments(v, targets, anchors)
			flagRows(v, targets, anchors)
			for _, r := range v.Rows {
				if r.FlaggedCell < 0 || r.FlaggedCell > len(r.Cells)+1<<20 {
					t.Fatalf("flagged cell %d", r.FlaggedCell)
				}
			}
		}
	})
}
