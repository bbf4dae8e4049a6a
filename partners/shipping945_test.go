package partners

import (
	"strings"
	"testing"
)

// TestShippingAdviceDocument: a 3PL that fulfils our locations takes
// x12/945, its ship-from N1*SF by default; another partner does not.
func TestShippingAdviceDocument(t *testing.T) {
	yaml := fulfilsProfile("w", "W1", "dallas: DAL1\n    reno: RNO2") +
		"  \ntransports:\n  inbound: [{folder: {path: in}}]\n  outbound: [{folder: {path: /tmp/out}}]\n"
	yaml = strings.Replace(yaml, "transports:\n  outbound:\n    - folder: {path: /tmp/out}\n", "", 1) +
		"documents:\n  - type: x12/945\n    mapping:\n      items: {order: [VN]}\n"
	d, got, err := loadTestDir(t, map[string]string{"w.yaml": yaml})
	if err != nil {
		t.Fatalf("%v\n%q", err, got)
	}
	p, _ := d.ByID("w")
	doc, ok := p.Document(DocX12945, "")
	if !ok || doc.Mapping.Location != (Location{Source: LocationHeaderN1, Qualifier: "SF"}) || doc.Mapping.Effective.Source != TimeDocument {
		t.Errorf("945 mapping %+v", doc)
	}
	if loc, ok := p.Fulfils.ShipFrom("RNO2"); loc != "reno" || !ok {
		t.Errorf("ShipFrom(RNO2) = %q %v", loc, ok)
	}
	if _, ok := p.Fulfils.ShipFrom("XXX"); ok {
		t.Errorf("ShipFrom(XXX) found a location")
	}

	_, got, err = loadTestDir(t, map[string]string{"p.yaml": x12Profile + "documents:\n  - type: x12/945\n    mapping:\n      items: {order: [VN]}\n"})
	want := []string{
		`partners/p.yaml:8:11: documents[0].type: x12/945 comes from warehouse partners only (role: 3pl), not supplier`,
		`partners/p.yaml:8:11: documents[0].type: x12/945 needs a fulfils section: a 945 confirms a 940 we sent the partner`,
	}
	if err == nil || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("supplier with a 945: %v\n got %q\nwant %q", err, got, want)
	}
}
