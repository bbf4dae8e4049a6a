package mapping

import (
	"strconv"
	"strings"
	"testing"
)

// shipProfile is a 3PL that fulfils east (its code DC-EAST) and sends
// 945s.
const shipProfile = `id: dc
name: DC East
role: 3pl
identities: {isa: [{qualifier: ZZ, id: PARTNER}]}
transports: {inbound: [{folder: {path: in}}], outbound: [{folder: {path: out}}]}
acks: {send: none}
tables:
  items: {map: {WIDGET-1: SKU-W, GADGET-2: SKU-G}}
fulfils:
  locations: {east: DC-EAST}
  items: {qualifier: VN}
documents:
  - type: x12/945
    mapping:
      items: {order: [VN], lookup: items}
      units: {convert: {CA: 12}}
`

// TestShippingAdvice945: the 945 is read into its shipment (order,
// shipment, ship-from, lines in base units with their N9*LI); its
// movements come once it is settled, keyed by order, shipment and line;
// a 945 that names no order, or a line that cannot be read, is a problem
// at its place.
func TestShippingAdvice945(t *testing.T) {
	m := New(profile(t, shipProfile))
	body := x12Doc("945", "W06*F*SO-1*20261126*BOL-7", "N1*SF*DC*92*DC-EAST", "LX*1",
		"W12*BP*24*2*0*CA**VN*WIDGET-1", "N9*LI*2", "W12*IC*5**5*EA**VN*GADGET-2")
	results, errs := mapSets(t, m, "945.edi", body)
	if errs[0] != nil {
		t.Fatalf("945: %v", errs[0])
	}
	res := results[0]
	s := res.Shipment
	if s == nil || s.Order != "SO-1" || s.Shipment != "BOL-7" || s.Location != "east" || s.LocationPos != 3 || len(s.Lines) != 2 ||
		s.Lines[0] != (ShippedLine{Pos: 5, Line: 2, SKU: "SKU-W", Quantity: 24, Status: "BP"}) ||
		s.Lines[1] != (ShippedLine{Pos: 7, SKU: "SKU-G", Status: "IC"}) || len(res.Movements) != 0 {
		t.Fatalf("shipment %+v, %d movements", s, len(res.Movements))
	}
	res.SettleShipment("SO-1", "east", []ShippedPosting{{Index: 0, Line: 2}, {Index: 1, Line: 1, Release: 5}})
	res.SetOrderPartner("shop")
	want := []string{"945|dc|SO-1|BOL-7|2|ship shipment SKU-W 24 SO-1", "945|dc|SO-1|BOL-7|1|release release SKU-G 5 SO-1"}
	if len(res.Movements) != len(want) {
		t.Fatalf("%d movements, want %d: %+v", len(res.Movements), len(want), res.Movements)
	}
	for i, mv := range res.Movements {
		got := mv.SourceKey + " " + mv.Kind.String() + " " + mv.SKU + " " + strconv.FormatInt(mv.Quantity, 10) + " " + mv.Reference.Order
		if got != want[i] || mv.Location != "east" || mv.Reference.DocumentType != "945" || mv.OrderPartner != "shop" || mv.Reference.Partner != "dc" {
			t.Errorf("movement %d: %s at %s, want %s", i, got, mv.Location, want[i])
		}
	}

	tests := []struct {
		name string
		segs []string
		want string
	}{
		{"no order", []string{"W06*F**20261126*BOL-7", "LX*1", "W12*CC*1*1*0*EA**VN*WIDGET-1"}, "segment 2 (W06): W0602"},
		{"no shipment", []string{"W06*F*SO-1*20261126", "LX*1", "W12*CC*1*1*0*EA**VN*WIDGET-1"}, "segment 2 (W06): W0604"},
		{"unknown warehouse", []string{"W06*F*SO-1*20261126*BOL-7", "N1*SF*DC*92*DC-WEST", "LX*1", "W12*CC*1*1*0*EA**VN*WIDGET-1"}, `segment 3 (N1): N104 "DC-WEST"`},
		{"unknown item", []string{"W06*F*SO-1*20261126*BOL-7", "LX*1", "W12*CC*1*1*0*EA**VN*THING-3"}, `segment 4 (W12): item VN "THING-3"`},
		{"bad line number", []string{"W06*F*SO-1*20261126*BOL-7", "LX*1", "W12*CC*1*1*0*EA**VN*WIDGET-1", "N9*LI*X"}, `segment 4 (W12): N9 LI "X"`},
	}
	for _, tt := range tests {
		_, errs := mapSets(t, m, "945.edi", x12Doc("945", tt.segs...))
		if errs[0] == nil || !strings.Contains(errs[0].Error(), tt.want) {
			t.Errorf("%s: %v, want %s", tt.name, errs[0], tt.want)
		}
	}
}
