package gateway

import (
	"context"
	"testing"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/web"
)

// TestReservationReleaseUnderChannel: a reservation made for a channel
// is released from that channel's order (allocations are kept per
// partner + order), and another channel's order of the same number
// keeps its allocation.
func TestReservationReleaseUnderChannel(t *testing.T) {
	g, _ := openTest(t, nil)
	ctx := context.Background()
	g.Ledger.Post(ctx, ledger.Document{Key: "stock", Movements: []ledger.Movement{
		{SourceKey: "s1", SKU: "WIDGET-RED", Location: "dallas", Kind: ledger.KindReceipt, Quantity: 50}}})
	r, err := OpenReservations(t.TempDir(), g.Ledger, g.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, res := range []web.Reservation{
		{Key: "k1", SKU: "WIDGET-RED", Location: "dallas", Quantity: 3, Order: "R-1", Channel: "shopmart"},
		{Key: "k2", SKU: "WIDGET-RED", Location: "dallas", Quantity: 4, Order: "R-1", Channel: "webshop"},
	} {
		if _, err := r.Reserve(ctx, res); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Release(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.Allocated != 4 {
		t.Errorf("allocated %d after releasing shopmart's reservation, want webshop's 4", b.Allocated)
	}
	if err := r.Release(ctx, "k2"); err != nil {
		t.Fatal(err)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.Allocated != 0 {
		t.Errorf("allocated %d after releasing both, want 0", b.Allocated)
	}
}
