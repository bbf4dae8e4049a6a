package orders

import (
	"testing"
	"time"

	"github.com/dockside-edi/dockside/mapping"
)

// TestEventsNameTheirMessages: each step of an order's life names the
// message it came from (the order document's, the 945's through Cite)
// or the outbound 940 it concerns.
func TestEventsNameTheirMessages(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	r := New("shopmart", "SO-1")
	r.Settle(&mapping.OrderState{Partner: "shopmart", Number: "SO-1", Open: true,
		Lines: []mapping.OrderLine{{SKU: "A", Location: "dallas", Quantity: 5}},
		By:    mapping.Origin{Document: "d1", Message: 7, Name: "po.edi"}}, "", nil, now)
	out := r.Plan(func(string) (Route, bool) { return Route{Warehouse: "acme", Code: "DAL1"}, true }, nil)
	r.NoteSent(&out[0], Send{Outbox: 3, Interchange: "000000001"}, time.Time{}, now)
	n := len(r.Events)
	r.note(now, "shipped", "shipment BOL-1")
	r.Cite(n, 12)
	r.Cite(0, 99) // names only the events without a source
	type src struct {
		what            string
		message, outbox uint64
	}
	want := []src{{"received", 7, 0}, {"allocated", 7, 0}, {"sent", 99, 3}, {"shipped", 12, 0}}
	if len(r.Events) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(r.Events), len(want), r.Events)
	}
	for i, e := range r.Events {
		if got := (src{e.What, e.Message, e.Outbox}); got != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, got, want[i])
		}
	}
}
