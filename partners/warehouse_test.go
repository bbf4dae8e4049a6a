package partners

import (
	"slices"
	"testing"
)

// TestWarehouseDocuments loads the options of the warehouse advices and
// checks their defaults.
func TestWarehouseDocuments(t *testing.T) {
	yaml := x12Profile + "documents:\n" +
		"  - type: x12/944\n    mapping:\n      items: {order: [VN]}\n      receive_against: in_transit\n" +
		"      conditions: {\"01\": damaged, \"07\": quarantined}\n" +
		"  - type: x12/947\n    mapping:\n      items: {order: [VN]}\n      reasons:\n" +
		"        AU: {bucket: damaged, direction: increase}\n        \"56\": {bucket: on_hand, direction: increase}\n" +
		"        AA: {bucket: on_hand, direction: count}\n        \"51\": {bucket: ignore}\n" +
		"  - type: x12/943\n    mapping:\n      items: {order: [VN]}\n"
	d, got, err := loadTestDir(t, map[string]string{"p.yaml": yaml})
	if err != nil {
		t.Fatalf("%v\n%q", err, got)
	}
	p, _ := d.ByID("p")
	d944, _ := p.Document(DocX12944, "")
	d947, _ := p.Document(DocX12947, "")
	d943, _ := p.Document(DocX12943, "")
	if m := d944.Mapping; m.ReceiveAgainst != ReceiveInTransit || m.Conditions["01"] != BucketDamaged ||
		m.Location != (Location{Source: LocationHeaderN1, Qualifier: "WH"}) || m.Effective.Source != TimeDocument {
		t.Errorf("944 mapping %+v", m)
	}
	if m := d947.Mapping; m.Reasons["AU"] != (Adjustment{Bucket: BucketDamaged, Direction: DirectionIncrease}) ||
		m.Reasons["51"].Bucket != BucketIgnore || m.Reasons["AA"].Direction != DirectionCount || len(m.Reasons) != 4 {
		t.Errorf("947 reasons %+v", m.Reasons)
	}
	if m := d943.Mapping; m.ExpectedDate != "17" || m.Location.Qualifier != "ST" {
		t.Errorf("943 mapping %+v", m)
	}
}

// TestWarehouseDocumentErrors: every warehouse option is checked, with
// its place.
func TestWarehouseDocumentErrors(t *testing.T) {
	tests := []struct {
		name string
		docs string // from line 5 on
		want []string
	}{
		{
			name: "947 needs a reason table",
			docs: "  - type: x12/947\n    mapping:\n      items: {order: [VN]}\n",
			want: []string{`partners/p.yaml:9:5: documents[0].mapping.reasons: is required: what each W19-01 reason code does (e.g. "AU": {bucket: damaged, direction: increase})`},
		},
		{
			name: "947 reasons: bad code, bucket, direction",
			docs: "  - type: x12/947\n    mapping:\n      items: {order: [VN]}\n      reasons:\n" +
				"        AUX: {bucket: damaged, direction: increase}\n        \"05\": {bucket: allocated, direction: increase}\n" +
				"        \"06\": {bucket: on_hand}\n        \"07\": {bucket: on_hand, direction: down}\n        \"51\": {bucket: ignore, direction: signed}\n",
			want: []string{
				`partners/p.yaml:12:9: documents[0].mapping.reasons.AUX: "AUX" is not a W19-01 reason code (2 letters or digits)`,
				`partners/p.yaml:13:24: documents[0].mapping.reasons.05.bucket: allocated: an adjustment changes on_hand, damaged or quarantined (or ignore)`,
				`partners/p.yaml:14:9: documents[0].mapping.reasons.06.direction: is required: increase, decrease, signed or count`,
				`partners/p.yaml:15:44: documents[0].mapping.reasons.07.direction: "down" is not one of increase, decrease, signed, count`,
				`partners/p.yaml:16:43: documents[0].mapping.reasons.51.direction: does not apply to an ignored reason`,
			},
		},
		{
			name: "944 options",
			docs: "  - type: x12/944\n    mapping:\n      items: {order: [VN]}\n      receive_against: shipment\n" +
				"      conditions: {\"1\": damaged, \"02\": allocated, \"03\": }\n      reasons: {AU: {bucket: damaged, direction: increase}}\n",
			want: []string{
				`partners/p.yaml:11:24: documents[0].mapping.receive_against: "shipment" is not one of none, in_transit`,
				`partners/p.yaml:12:20: documents[0].mapping.conditions.1: "1" is not a W13-03 receiving condition code (2 letters or digits)`,
				`partners/p.yaml:12:40: documents[0].mapping.conditions.02: allocated: a receipt exception goes to damaged, quarantined, on_hand or ignore`,
				`partners/p.yaml:12:51: documents[0].mapping.conditions.03: is required: damaged, quarantined, on_hand or ignore`,
				`partners/p.yaml:13:7: documents[0].mapping.reasons: does not apply to x12/944 documents`,
			},
		},
		{
			name: "943 expected date and foreign keys",
			docs: "  - type: x12/943\n    content: snapshot\n    mapping:\n      items: {order: [VN]}\n      expected_date: \"017\"\n      mode: asn\n",
			want: []string{
				`partners/p.yaml:9:14: documents[0].content: does not apply to x12/943 documents`,
				`partners/p.yaml:13:13: documents[0].mapping.mode: does not apply to x12/943 documents`,
				`partners/p.yaml:12:22: documents[0].mapping.expected_date: "017" is not a G62-01 date qualifier (2 letters or digits, e.g. 17)`,
			},
		},
		{
			name: "warehouse options on a 940",
			docs: "  - type: x12/940\n    mapping:\n      items: {order: [VN]}\n      receive_against: in_transit\n      conditions: {\"01\": damaged}\n",
			want: []string{
				`partners/p.yaml:12:7: documents[0].mapping.conditions: does not apply to x12/940 documents`,
				`partners/p.yaml:11:24: documents[0].mapping.receive_against: does not apply to x12/940 documents`,
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

func join(s []string) string {
	out := ""
	for _, x := range s {
		out += "  " + x + "\n"
	}
	return out
}
