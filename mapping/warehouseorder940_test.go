package mapping

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/edi/x12/documents"
)

const fulfillerProfile = `id: wh
name: WH
role: 3pl
identities: {isa: [{qualifier: ZZ, id: WH}]}
transports: {outbound: [{folder: {path: out}}]}
tables:
  skus: {map: {RED: R-1}, on_miss: %s}
fulfils:
  locations: {dallas: DAL1}
  items: {qualifier: VN, lookup: skus}
`

// TestWarehouseOrder940: our SKUs become the warehouse's item ids
// through its table (on_miss pass sends ours; error and skip refuse the
// order), the location its code in N1*WH, each line numbered in N9*LI.
func TestWarehouseOrder940(t *testing.T) {
	shipTo := &documents.Party{Entity: "ST", Name: "Jane Buyer"}
	order := &WarehouseOrder{Purpose: "N", Order: "SO-1", PurchaseOrder: "PO-1", Location: "dallas", ShipTo: shipTo,
		Lines: []WarehouseLine{{SKU: "RED", Quantity: 5}, {SKU: "BLUE", Quantity: 2}}, Requested: time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC)}
	tests := []struct {
		onMiss   string
		location string
		items    []string
		err      error
	}{
		{"pass", "dallas", []string{"R-1", "BLUE"}, nil},
		{"error", "dallas", nil, ErrNoItem},
		{"skip", "dallas", nil, ErrNoItem},
		{"pass", "reno", nil, ErrNoMapping},
	}
	for _, tc := range tests {
		p := profile(t, fmt.Sprintf(fulfillerProfile, tc.onMiss))
		o := *order
		o.Location = tc.location
		doc, items, err := New(p).WarehouseOrder940(&o)
		if !errors.Is(err, tc.err) {
			t.Errorf("on_miss %s at %s: %v, want %v", tc.onMiss, tc.location, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if fmt.Sprint(items) != fmt.Sprint(tc.items) {
			t.Errorf("on_miss %s: items %v, want %v", tc.onMiss, items, tc.items)
		}
		if doc.Purpose != "N" || doc.DepositorOrder != "SO-1" || doc.PurchaseOrder != "PO-1" || len(doc.Parties) != 2 ||
			doc.Parties[0].Name != "Jane Buyer" || doc.Parties[1].Entity != "WH" || doc.Parties[1].IDQualifier != "92" || doc.Parties[1].ID != "DAL1" ||
			len(doc.Lines) != 2 || doc.Lines[1].IDs[0] != (documents.ProductID{Qualifier: "VN", ID: "BLUE"}) ||
			doc.Lines[1].Refs[0].ID != "2" || doc.Lines[0].Quantity != "5" || doc.Totals.Quantity != "7" || doc.Dates[0].Date != "20261125" {
			t.Errorf("on_miss %s: 940 %+v", tc.onMiss, doc)
		}
	}
	if _, _, err := New(profile(t, fmt.Sprintf(csvProfile, "error", "adjustments", "reject"))).WarehouseOrder940(order); !errors.Is(err, ErrNoMapping) {
		t.Errorf("a partner without fulfils: %v", err)
	}
}
