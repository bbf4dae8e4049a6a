package gateway

import (
	"context"
	"errors"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
	"github.com/dockside-edi/dockside/web"
)

// TestReservationWithShipTo: reservations with a ship-to at a location
// the 3PL fulfils are lines of an order sent to it as a 940: a retried
// request sends nothing more, a second line sends a change, releasing
// lines a change then a cancel; a reservation under a channel's order
// number is refused before anything is allocated.
func TestReservationWithShipTo(t *testing.T) {
	g := openWarehouseTest(t, nil, skusFromCSV)
	ctx := context.Background()
	g.Ledger.Post(ctx, ledger.Document{Key: "stock", Movements: []ledger.Movement{
		{SourceKey: "s1", SKU: "WIDGET-RED", Location: "dallas", Kind: ledger.KindReceipt, Quantity: 50},
		{SourceKey: "s2", SKU: "WIDGET-BLUE", Location: "dallas", Kind: ledger.KindReceipt, Quantity: 50}}})
	r, err := OpenReservations(t.TempDir(), g.Ledger, g.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.g = g
	shipTo := &web.ShipTo{Name: "Field Sales Customer", Street: []string{"9 Elm St"}, City: "Austin", State: "TX", PostalCode: "78701", Country: "US"}
	reserve := func(key, sku string, qty int64) {
		t.Helper()
		if _, err := r.Reserve(ctx, web.Reservation{Key: key, SKU: sku, Location: "dallas", Quantity: qty, Order: "WEB-1", ShipTo: shipTo}); err != nil {
			t.Fatalf("reserve %s: %v", key, err)
		}
	}
	want := func(step string, n int, segments ...string) {
		t.Helper()
		ms, bodies := sent940s(t, g)
		if len(ms) != n {
			t.Fatalf("%s: %d 940s, want %d", step, len(ms), n)
		}
		checkSegments(t, g, step, bodies[n-1], segments...)
	}
	reserve("k1", "WIDGET-RED", 3)
	want("first line", 1, "W05*N*WEB-1", "N1*ST*Field Sales Customer", "N3*9 Elm St", "N4*Austin*TX*78701*US", "N1*WH**92*DAL1", "W01*3*EA**VN*AC-1001")
	reserve("k1", "WIDGET-RED", 3)
	want("retried", 1, "W05*N*WEB-1")
	reserve("k2", "WIDGET-BLUE", 1)
	want("second line", 2, "W05*R*WEB-1", "W01*1*EA**VN*AC-1002", "W01*3*EA**VN*AC-1001")
	// Crash after the 940 was queued, before the order's record was
	// written: the retried request queues nothing more.
	before, _ := g.orders.get(ctx, mapping.KindOrder, "api", "WEB-1")
	reserve("k3", "WIDGET-RED", 2)
	want("third line", 3, "W05*R*WEB-1", "W01*5*EA**VN*AC-1001")
	if err := g.orders.put(before); err != nil {
		t.Fatal(err)
	}
	reserve("k3", "WIDGET-RED", 2)
	want("third line retried after a crash", 3, "W05*R*WEB-1")
	if rec, _ := g.orders.get(ctx, mapping.KindOrder, "api", "WEB-1"); rec == nil || len(rec.Reservations) != 3 || rec.Status() != orders.Sent {
		t.Errorf("record after the retry: %+v", rec)
	}
	for _, k := range []string{"k1", "k3"} {
		if err := r.Release(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	want("released two", 5, "W05*R*WEB-1", "W01*1*EA**VN*AC-1002")
	if err := r.Release(ctx, "k2"); err != nil {
		t.Fatal(err)
	}
	want("released all", 6, "W05*F*WEB-1")
	if rec, _ := g.orders.get(ctx, mapping.KindOrder, "api", "WEB-1"); rec.Status() != orders.Cancelled {
		t.Errorf("order after the last release: %s", rec.Status())
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.Allocated != 0 {
		t.Errorf("allocated %d after the releases", b.Allocated)
	}

	// A channel's order number: refused, nothing allocated.
	if m := ingest(t, g, "shopmart", samples+"/shopmart/order-940.edi")[0]; m.State != inbox.Done {
		t.Fatalf("channel order: %s %v", m.State, m.Errors)
	}
	_, err = r.Reserve(ctx, web.Reservation{Key: "k9", SKU: "WIDGET-RED", Location: "dallas", Quantity: 1, Order: "SO-9001", Channel: "shopmart", ShipTo: shipTo})
	if !errors.Is(err, web.ErrKeyReused) {
		t.Errorf("reservation under a channel's order: %v", err)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.Allocated != 5 {
		t.Errorf("allocated %d, want the channel order's 5", b.Allocated)
	}
}
