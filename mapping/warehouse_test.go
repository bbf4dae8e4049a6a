package mapping

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/ledger"
)

// warehouseProfile is a 3PL profile with the warehouse advices; the %s are
// the 944's receive_against, the 947's on_error and the direction of its
// reason 07 (destroyed: decrease for partners that send unsigned
// quantities, signed for those that send -4).
const warehouseProfile = `id: dc
name: DC East
role: 3pl
identities: {isa: [{qualifier: ZZ, id: PARTNER}]}
transports: {inbound: [{folder: {path: in}}]}
acks: {send: none}
tables:
  items: {map: {WIDGET-1: SKU-W, GADGET-2: SKU-G, THING-3: SKU-T}}
  sites: {map: {DC-EAST: east}}
documents:
  - type: x12/944
    mapping:
      items: {order: [VN], lookup: items}
      units: {convert: {CA: 12}}
      warehouses: sites
      receive_against: %s
      conditions: {"01": damaged, "07": quarantined}
  - type: x12/947
    on_error: %s
    mapping:
      items: {order: [VN], lookup: items}
      warehouses: sites
      reasons:
        AU: {bucket: damaged, direction: increase}
        "05": {bucket: quarantined, direction: increase}
        "55": {bucket: quarantined, direction: decrease}
        "56": {bucket: on_hand, direction: increase}
        "07": {bucket: on_hand, direction: %s}
        AA: {bucket: on_hand, direction: signed}
        CC: {bucket: on_hand, direction: count}
        "51": {bucket: ignore}
  - type: x12/943
    mapping:
      items: {order: [VN], lookup: items}
      units: {convert: {CA: 12}}
      warehouses: sites
`

// TestWarehouseSamplesGolden maps the 943, 944 and 947 samples (both
// versions, both 944 shapes) and compares the movements with the golden
// files; the two versions must give the same movements.
func TestWarehouseSamplesGolden(t *testing.T) {
	m := New(profile(t, fmt.Sprintf(warehouseProfile, "in_transit", "reject", "signed")))
	for _, set := range []string{"943.Transfer", "944.Receipt", "947.Adjustment"} {
		var views []string
		paths, _ := filepath.Glob("../edi/x12/documents/testdata/" + set + ".*.edi")
		if len(paths) < 2 {
			t.Fatalf("%s: %d samples", set, len(paths))
		}
		for _, path := range paths {
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			results, errs := mapSets(t, m, filepath.Base(path), body)
			if len(results) != 1 || errs[0] != nil {
				t.Fatalf("%s: %d results, %v", path, len(results), errs)
			}
			view := goldenView(results[0], nil)
			golden(t, "dc-"+filepath.Base(path)+".json", []goldenDoc{view})
			views = append(views, movementsOf(view))
		}
		for _, v := range views[1:] {
			if v != views[0] {
				t.Errorf("%s: the samples give different movements:\n%s\n%s", set, views[0], v)
			}
		}
	}
}

// mapSets maps every set of an X12 file (envelope checks only), with a
// source of the control numbers alone, so that the keys in these tests do
// not depend on how the gateway builds a source.
func mapSets(t testing.TB, m *Mapper, name string, body []byte) ([]*Result, []error) {
	t.Helper()
	var results []*Result
	var errs []error
	_, err := x12.Check(bytes.NewReader(body), x12.EnvelopeOnly, nil, func(tx *x12.Transaction, _ *x12.SetResult) error {
		res, err := m.Transaction(tx, Source{Partner: m.Profile().ID, Interchange: tx.Group.Interchange.Control,
			Group: tx.Group.Control, Transaction: tx.Control, FileName: name, Received: received})
		results = append(results, res)
		errs = append(errs, err)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return results, errs
}

// movementsOf is a view's movements without their keys.
func movementsOf(d goldenDoc) string {
	var b strings.Builder
	for _, m := range d.Movements {
		fmt.Fprintf(&b, "%s %s %s %d %s %s; ", m.Kind, m.SKU, m.Location, m.Quantity, m.Expected, m.Order)
	}
	return b.String()
}

// x12Doc wraps segments in an 004010 interchange of set setID.
func x12Doc(setID string, segs ...string) []byte {
	var b strings.Builder
	b.WriteString("ISA*00*          *00*          *ZZ*PARTNER        *ZZ*DOCKSIDE       *261125*0215*U*00401*000000042*0*P*>~\n")
	b.WriteString("GS*XX*PARTNER*DOCKSIDE*20261125*0215*42*X*004010~\nST*" + setID + "*0001~\n")
	for _, s := range segs {
		b.WriteString(s + "~\n")
	}
	b.WriteString("SE*" + strconv.Itoa(len(segs)+2) + "*0001~\nGE*1*42~\nIEA*1*000000042~\n")
	return []byte(b.String())
}

// moves describes movements as "kind sku location quantity" joined by "; ".
func moves(ms []ledger.Movement) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = fmt.Sprintf("%s %s %s %d", m.Kind, m.SKU, m.Location, m.Quantity)
		if m.TakeInTransit {
			parts[i] += " -in_transit"
		}
	}
	return strings.Join(parts, "; ")
}

// TestWarehouseMapping: the ledger meaning of each kind of line, and each
// problem with its place.
func TestWarehouseMapping(t *testing.T) {
	const (
		w17  = "W17*F*20261124*R1*ORDER943"
		n1wh = "N1*WH*DOCKSIDE DC EAST*92*DC-EAST"
		w15  = "W15*20261126*ADJ-1"
	)
	tests := []struct {
		name      string
		against   string
		onError   string
		set       string
		segs      []string
		want      string // movements
		problem   string // the first problem's text, "" for none
		rejected  bool
		wantLines int
	}{
		{"944 receipt against in transit, damaged exception", "in_transit", "reject", "944",
			[]string{w17, n1wh, "W07*10*EA**VN*WIDGET-1", "W13*2*EA*01", "W13*1*EA*07", "W14*10"},
			"receipt SKU-W east 10 -in_transit; damage SKU-W east 2; quarantine SKU-W east 1", "", false, 1},
		{"944 receipt without receive_against", "none", "reject", "944",
			[]string{w17, n1wh, "LX*1", "W07*1*CA**VN*GADGET-2", "W14*1"}, "receipt SKU-G east 12", "", false, 1},
		{"944 unknown receiving condition", "none", "reject", "944",
			[]string{w17, n1wh, "W07*10*EA**VN*WIDGET-1", "W13*2*EA*99", "W14*10"}, "",
			`segment 5 (W13): W1303 "99": receiving condition not in the profile's conditions table`, true, 1},
		{"944 exceptions over the quantity received", "none", "reject", "944",
			[]string{w17, n1wh, "W07*2*EA**VN*WIDGET-1", "W13*3*EA*01", "W14*2"}, "",
			`segment 5 (W13): W1301 "3": the line's exceptions exceed the 2 received (W0701)`, true, 1},
		{"944 without the warehouse N1", "none", "reject", "944",
			[]string{w17, "N1*DE*ACME", "W07*2*EA**VN*WIDGET-1", "W14*2"}, "",
			`heading: N1 "WH": no header N1 loop with entity WH names the location`, true, 0},
		{"947 reasons: damage, hold, release, book increase, destroyed, signed count, ignored", "none", "reject", "947",
			[]string{w15, n1wh, "W19*AU*3*EA**VN*WIDGET-1", "W19*05*2*EA**VN*GADGET-2", "W19*55*1*EA**VN*GADGET-2",
				"W19*56*10*EA**VN*THING-3", "W19*07*4*EA**VN*WIDGET-1", "W19*AA*-4*EA**VN*WIDGET-1", "W19*51*9*EA**VN*WIDGET-1"},
			"damage SKU-W east 3; quarantine SKU-G east 2; quarantine SKU-G east -1; adjust SKU-T east 10; adjust SKU-W east -4; adjust SKU-W east -4",
			"", false, 7},
		{"947 count: a snapshot as of the line's date", "none", "reject", "947",
			[]string{w15, n1wh, "W19*CC*7*EA**VN*WIDGET-1", "G62*07*20261125"}, "snapshot SKU-W east 7", "", false, 1},
		{"947 negative count", "none", "reject", "947",
			[]string{w15, n1wh, "W19*CC*-7*EA**VN*WIDGET-1"}, "",
			`segment 4 (W19): W1902 "-7": reason CC is a count in the profile's reason table, and a count cannot be negative`, true, 1},
		{"947 unknown reason: nothing is posted", "none", "reject", "947",
			[]string{w15, n1wh, "W19*56*10*EA**VN*THING-3", "W19*01*5*EA**VN*WIDGET-1"}, "",
			`segment 5 (W19): W1901 "01": adjustment reason not in the profile's reason table`, true, 2},
		{"947 negative quantity with a decrease reason is ambiguous", "none", "reject", "947",
			[]string{w15, n1wh, "W19*07*-4*EA**VN*WIDGET-1"}, "",
			`segment 4 (W19): W1902 "-4": ambiguous: reason 07 has direction decrease in the profile's reason table, but the quantity is negative`, true, 1},
		{"947 post_good keeps the good lines", "none", "post_good", "947",
			[]string{w15, n1wh, "W19*56*10*EA**VN*THING-3", "W19*01*5*EA**VN*WIDGET-1"}, "adjust SKU-T east 10",
			`segment 5 (W19): W1901 "01": adjustment reason not in the profile's reason table`, false, 2},
		{"943 in transit at the destination", "none", "reject", "943",
			[]string{"W06*F*ORDER943*20261120", "N1*ST*DC*92*DC-EAST", "G62*17*20261124", "W27*M", "W04*2*CA**VN*GADGET-2", "W03*2"},
			"in_transit SKU-G east 24", "", false, 1},
		{"943 negative quantity", "none", "reject", "943",
			[]string{"W06*F*ORDER943*20261120", "N1*ST*DC*92*DC-EAST", "W27*M", "W04*-2*CA**VN*GADGET-2", "W03*2"}, "",
			`segment 5 (W04): W0401 "-2": a quantity shipped cannot be negative`, true, 1},
		{"944 negative quantity", "none", "reject", "944",
			[]string{w17, n1wh, "W07*-2*EA**VN*WIDGET-1", "W14*2"}, "",
			`segment 4 (W07): W0701 "-2": a quantity received cannot be negative`, true, 1},
		{"943 unknown item", "none", "reject", "943",
			[]string{"W06*F*ORDER943*20261120", "N1*ST*DC*92*DC-EAST", "W27*M", "W04*2*CA**VN*NOPE-9", "W03*2"}, "",
			`segment 5 (W04): item VN "NOPE-9": not found in table "items"`, true, 1},
		{"943 without the destination N1", "none", "reject", "943",
			[]string{"W06*F*ORDER943*20261120", "N1*SF*DC*92*DC-WEST", "W04*2*CA**VN*GADGET-2", "W03*2"}, "",
			`heading: N1 "ST": no header N1 loop with entity ST names the location`, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := New(profile(t, fmt.Sprintf(warehouseProfile, tc.against, tc.onError, "decrease")))
			results, errs := mapSets(t, m, "x.edi", x12Doc(tc.set, tc.segs...))
			res, err := results[0], errs[0]
			if got := moves(res.Movements); got != tc.want {
				t.Errorf("movements\n got %s\nwant %s", got, tc.want)
			}
			if errors.Is(err, ErrRejected) != tc.rejected {
				t.Errorf("err = %v, rejected want %v", err, tc.rejected)
			}
			switch {
			case tc.problem == "" && len(res.Problems) > 0:
				t.Errorf("problems %v", res.Problems)
			case tc.problem != "" && (len(res.Problems) == 0 || res.Problems[0].Error() != tc.problem):
				t.Errorf("problems %v, want first %q", res.Problems, tc.problem)
			}
			if res.Lines != tc.wantLines {
				t.Errorf("lines %d, want %d", res.Lines, tc.wantLines)
			}
		})
	}
}

// TestWarehouseMovementDetails: times, due dates, references and keys.
func TestWarehouseMovementDetails(t *testing.T) {
	m := New(profile(t, fmt.Sprintf(warehouseProfile, "in_transit", "reject", "decrease")))
	results, errs := mapSets(t, m, "x.edi", x12Doc("943", "W06*F*ORDER943*20261120", "N1*ST*DC*92*DC-EAST", "G62*17*20261124", "W27*M", "W04*2*EA**VN*GADGET-2", "W03*2"))
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	mv := results[0].Movements[0]
	if !mv.Expected.Equal(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)) || !mv.Effective.Equal(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)) ||
		mv.Reference.Order != "ORDER943" || mv.Reference.DocumentType != "943" || mv.Reference.Line != 6 ||
		mv.SourceKey != "943|dc|ORDER943||6" || results[0].LegacyKey != "dc|000000042|42|0001" {
		t.Errorf("943 movement %+v", mv)
	}
	results, _ = mapSets(t, m, "x.edi", x12Doc("947", "W15*20261126*ADJ-1", "N1*WH*X*92*DC-EAST", "W19*56*1*EA**VN*THING-3", "G62*07*20261125"))
	mv = results[0].Movements[0]
	if !mv.Effective.Equal(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)) || mv.Reason != "947 reason 56" || mv.Reference.Order != "ADJ-1" ||
		mv.SourceKey != "947|dc|ADJ-1||4" {
		t.Errorf("947 movement %+v", mv)
	}
}

// TestWarehouseLedger posts a 943 and then a short 944 with a damaged
// exception into a real ledger, each twice: in transit is announced, the
// receipt takes what arrived off it and leaves the rest visible, the
// damaged units are not available, and posting again changes nothing;
// then a 947 count sets on hand.
func TestWarehouseLedger(t *testing.T) {
	l, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	m := New(profile(t, fmt.Sprintf(warehouseProfile, "in_transit", "reject", "decrease")))
	docs := [][]byte{
		x12Doc("943", "W06*F*ORDER943*20261120", "N1*ST*DC*92*DC-EAST", "G62*17*20261124", "W27*M", "W04*10*EA**VN*WIDGET-1", "W03*10"),
		x12Doc("944", "W17*F*20261124*R1*ORDER943", "N1*WH*DC*92*DC-EAST", "W07*8*EA**VN*WIDGET-1", "W13*2*EA*01", "W14*8"),
	}
	for i, body := range docs {
		for range 2 {
			results, errs := mapSets(t, m, "x.edi", body)
			if errs[0] != nil {
				t.Fatal(errs[0])
			}
			// Each document is its own interchange: make the keys differ.
			d := results[0].Document()
			d.Key += "|" + strconv.Itoa(i)
			for j := range d.Movements {
				d.Movements[j].SourceKey += "|" + strconv.Itoa(i)
			}
			if _, err := l.Post(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := l.Balance(ctx, "SKU-W", "east")
	if err != nil {
		t.Fatal(err)
	}
	if b.OnHand != 8 || b.InTransit != 2 || b.Damaged != 2 || b.Available() != 6 {
		t.Errorf("balance on hand %d, in transit %d, damaged %d, available %d; want 8, 2, 2, 6", b.OnHand, b.InTransit, b.Damaged, b.Available())
	}
	// A 947 count of 5 on hand the day after: the ledger posts 5 - 8.
	results, errs := mapSets(t, m, "x.edi", x12Doc("947", "W15*20261125*ADJ-9", "N1*WH*DC*92*DC-EAST", "W19*CC*5*EA**VN*WIDGET-1"))
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	d := results[0].Document()
	d.Key += "|count"
	for j := range d.Movements {
		d.Movements[j].SourceKey += "|count"
	}
	if _, err := l.Post(ctx, d); err != nil {
		t.Fatal(err)
	}
	if b, _ := l.Balance(ctx, "SKU-W", "east"); b.OnHand != 5 {
		t.Errorf("on hand %d after a count of 5, want 5", b.OnHand)
	}
}
