package partners

import (
	"slices"
	"testing"
)

// TestPurchaseOrderDocument loads an x12/850 document with each location
// source and checks what the checker keeps.
func TestPurchaseOrderDocument(t *testing.T) {
	yaml := x12Profile + "documents:\n" +
		"  - type: x12/850\n    on_error: post_good\n    mapping:\n      location: {source: fixed, id: SM-DAL}\n" +
		"      items: {order: [VN, UP], lookup: xref}\n      warehouses: whs\n      units: {convert: {CA: 12}}\n" +
		"tables:\n  xref: {map: {A: SKU-A}}\n  whs: {map: {SM-DAL: dallas}}\n"
	d, got, err := loadTestDir(t, map[string]string{"p.yaml": yaml})
	if err != nil {
		t.Fatalf("%v\n%q", err, got)
	}
	p, _ := d.ByID("p")
	doc, ok := p.Document(DocX12850, "")
	if !ok {
		t.Fatal("no x12/850 document")
	}
	m := doc.Mapping
	if m.Location != (Location{Source: LocationFixed, ID: "SM-DAL"}) || m.Effective.Source != TimeReceived ||
		doc.OnError != OnErrorPostGood || m.Units.Convert["CA"].Factor != 12 || m.Warehouses != "whs" {
		t.Errorf("850 document %+v", doc)
	}
	d, got, err = loadTestDir(t, map[string]string{"p.yaml": x12Profile + "documents:\n" +
		"  - type: x12/850\n    mapping:\n      location: {source: header_n1, qualifier: SF, id_qualifier: \"92\"}\n      items: {order: [UP]}\n"})
	if err != nil {
		t.Fatalf("%v\n%q", err, got)
	}
	p, _ = d.ByID("p")
	if doc, _ := p.Document(DocX12850, ""); doc.Mapping.Location != (Location{Source: LocationHeaderN1, Qualifier: "SF", IDQualifier: "92"}) {
		t.Errorf("850 location %+v", doc.Mapping.Location)
	}
}

// TestPurchaseOrderDocumentErrors: an x12/850 needs a location, takes
// only the options an order uses, and its time is when it arrives.
func TestPurchaseOrderDocumentErrors(t *testing.T) {
	tests := []struct {
		name string
		docs string // from line 5 on
		want []string
	}{
		{
			name: "location is required",
			docs: "  - type: x12/850\n    mapping:\n      items: {order: [VN]}\n",
			want: []string{`partners/p.yaml:9:5: documents[0].mapping.location: is required: where the 850's lines are allocated: {source: fixed, id: CODE} ` +
				`(one location for every order), or {source: header_n1, qualifier: SF} when the channel names our warehouse`},
		},
		{
			name: "location sources and time",
			docs: "  - type: x12/850\n    mapping:\n      items: {order: [VN]}\n      location: {source: sdq}\n      effective: {source: dtm, qualifier: '002'}\n" +
				"  - type: x12/850\n    mapping:\n      items: {order: [VN]}\n      location: {source: header_n1}\n",
			want: []string{
				`partners/p.yaml:11:26: documents[0].mapping.location.source: sdq does not apply to x12/850 documents (want fixed, header_n1)`,
				`partners/p.yaml:12:27: documents[0].mapping.effective.source: dtm does not apply to x12/850 documents (want received)`,
				`partners/p.yaml:13:11: documents[1].type: x12/850 is already mapped by documents[0]`,
				`partners/p.yaml:16:7: documents[1].mapping.location.qualifier: is required: the N1-01 entity code to read (WH, ST, SF...)`,
			},
		},
		{
			name: "options of other documents",
			docs: "  - type: x12/850\n    content: snapshot\n    mapping:\n      items: {order: [VN]}\n      location: {source: fixed, id: W}\n" +
				"      buckets: {\"17\": on_hand}\n      mode: asn\n      receive_against: in_transit\n",
			want: []string{
				`partners/p.yaml:9:14: documents[0].content: does not apply to x12/850 documents`,
				`partners/p.yaml:13:7: documents[0].mapping.buckets: does not apply to x12/850 documents`,
				`partners/p.yaml:14:13: documents[0].mapping.mode: does not apply to x12/850 documents`,
				`partners/p.yaml:15:24: documents[0].mapping.receive_against: does not apply to x12/850 documents`,
			},
		},
		{
			name: "items and units are checked",
			docs: "  - type: x12/850\n    mapping:\n      location: {source: fixed, id: W}\n      items: {lookup: xref}\n      units: {convert: {CA: packs}}\n",
			want: []string{
				`partners/p.yaml:11:7: documents[0].mapping.items.order: is required: the product id qualifiers to try, in order (SK, VN, UP...)`,
				`partners/p.yaml:11:23: documents[0].mapping.items.lookup: table "xref" is not defined`,
				`partners/p.yaml:12:29: documents[0].mapping.units.convert.CA: table "packs" is not defined`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, err := loadTestDir(t, map[string]string{"p.yaml": x12Profile + "documents:\n" + tt.docs})
			if err == nil {
				t.Fatal("loaded")
			}
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got\n%s\nwant\n%s", join(got), join(want))
			}
		})
	}
}
