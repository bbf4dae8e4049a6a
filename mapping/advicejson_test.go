package mapping

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/partners"
)

// TestAdviceJSONIsThe846sTwin: the JSON advice carries exactly the items,
// qualifier, quantities and reference of the 846 built from the same
// lines.
func TestAdviceJSONIsThe846sTwin(t *testing.T) {
	p := &partners.Profile{ID: "shop", Advice: &partners.Advice{Items: partners.AdviceItems{Qualifier: "VN"}}}
	m := New(p)
	now := time.Date(2026, 12, 5, 2, 30, 15, 500, time.UTC)
	lines := []AdviceLine{{SKU: "A-1", PartnerID: "shop-a1", Quantity: 12}, {SKU: "B-2", PartnerID: "shop-b2", Quantity: 0}}
	for _, tc := range []struct {
		name  string
		lines []AdviceLine
	}{{"two items", lines}, {"no items", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := m.AdviceJSON(tc.lines, "ADV000000007", "delta", now)
			if err != nil {
				t.Fatal(err)
			}
			var doc AdviceDocument
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatal(err)
			}
			x := m.Advice846(tc.lines, "ADV000000007", now)
			if doc.Type != AdviceEventType || doc.Data.Partner != "shop" || doc.Data.Mode != "delta" ||
				doc.Data.Reference != x.Reference || !doc.Data.AsOf.Equal(now.Truncate(time.Second)) {
				t.Fatalf("header: %+v", doc)
			}
			if doc.Data.Items == nil || len(doc.Data.Items) != len(x.Items) {
				t.Fatalf("%d items, the 846 has %d (items must be a list, never null)", len(doc.Data.Items), len(x.Items))
			}
			for i, it := range doc.Data.Items {
				xi := x.Items[i]
				if it.ID != xi.IDs[0].ID || it.Qualifier != xi.IDs[0].Qualifier ||
					strconv.FormatInt(it.Available, 10) != string(xi.Quantities[0].Quantity) || it.Unit != xi.Quantities[0].Unit {
					t.Fatalf("item %d: %+v, the 846 says %+v", i, it, xi)
				}
			}
		})
	}
}
