package documents

import (
	"testing"
)

// TestPartyLoopStable: segments of the header kept as Other (before the
// first N1, or out of the loop's order) are written after the N1 loops,
// where a new reading joins them to the last loop. The loop keeps its
// segments in the order read, so the second encoding is the first one
// (FuzzDecode found "N1~0~N2" written again as "N1~N2~0").
func TestPartyLoopStable(t *testing.T) {
	tests := []struct {
		name, body string
	}{
		{"unknown and N2 before the N1", "W05*N*1~0~N2*A~N1*ST*X~W01*1*EA*U~"},
		{"N2 before an N1 with a REF", "W05*N*1~N2*A~N1*ST*X~REF*A*1~W01*1*EA*U~"},
		{"unknown inside the loop", "W05*N*1~N1*ST*X~0~N2*A~W01*1*EA*U~"},
		{"N3 before N2", "W05*N*1~N1*ST*X~N3*S~N2*A~N4*C~W01*1*EA*U~"},
		{"two N4", "W05*N*1~N1*ST*X~N4*C~N4*D~REF*A*1~W01*1*EA*U~"},
		{"after N9", "W05*N*1~N1*ST*X~N9*A*1~N2*A~0~W01*1*EA*U~"},
		// The same kind of instability in the detail (FuzzDecode again).
		{"G69 with empty elements after an unknown segment", "W05**00~W01*00*00*0~000000~G69**~"},
		{"same LX01 twice, with loop segments", "W05*N*1~LX*1~W01*1*EA*U~LX*1~MAN*GM*1~W01*2*EA*U~"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte("ISA*00*          *00*          *ZZ*A              *ZZ*B              *261125*0215*U*00401*000000001*0*P*>~" +
				"GS*OW*A*B*20261125*0215*1*X*004010~ST*940*0001~" + tt.body + "SE*9*0001~GE*1*1~IEA*1*000000001~")
			sets, _ := readSets(t, data)
			if len(sets) != 1 {
				t.Fatalf("%d sets", len(sets))
			}
			doc, err := Decode(sets[0])
			if err != nil {
				t.Fatal(err)
			}
			checkReencode(t, doc)
		})
	}
}

// TestPartyLoopOrder: an N1 loop in the usual order is read into its
// fields; a segment out of order, and every segment after it, is kept in
// Other in the order read.
func TestPartyLoopOrder(t *testing.T) {
	data := []byte("ISA*00*          *00*          *ZZ*A              *ZZ*B              *261125*0215*U*00401*000000001*0*P*>~" +
		"GS*OW*A*B*20261125*0215*1*X*004010~ST*940*0001~W05*N*1~" +
		"N1*ST*X~N2*A~N3*S~N4*C~REF*R*1~" +
		"N1*WH*Y~N3*S~N2*B~REF*R*2~W01*1*EA*U~SE*9*0001~GE*1*1~IEA*1*000000001~")
	sets, _ := readSets(t, data)
	doc, err := Decode(sets[0])
	if err != nil {
		t.Fatal(err)
	}
	ps := doc.(*ShippingOrder940).Parties
	if len(ps) != 2 {
		t.Fatalf("%d parties", len(ps))
	}
	if p := ps[0]; len(p.Names) != 1 || len(p.Street) != 1 || p.Place == nil || len(p.Refs) != 1 || len(p.Other) != 0 {
		t.Errorf("usual order: %+v", p)
	}
	if p := ps[1]; len(p.Street) != 1 || len(p.Names) != 0 || len(p.Other) != 2 || p.Other[0].ID != "N2" || p.Other[1].ID != "REF" {
		t.Errorf("N2 after N3: %+v", p)
	}
}
