package gateway

import (
	"context"
	"errors"
	"testing"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/web"
)

func TestReservationsAreAtomicAndIdempotent(t *testing.T) {
	g, _ := openTest(t, nil)
	ctx := context.Background()
	g.Ledger.Post(ctx, ledger.Document{Key: "stock", Movements: []ledger.Movement{{SourceKey: "stock", SKU: "A", Location: "dallas", Kind: ledger.KindReceipt, Quantity: 10}}})
	r, err := OpenReservations(t.TempDir(), g.Ledger, g.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := r.Reserve(ctx, web.Reservation{Key: "k1", SKU: "A", Location: "dallas", Quantity: 6})
	if err != nil || res.Available != 4 || res.Order != "k1" || res.Replayed {
		t.Fatalf("first reservation: %+v %v", res, err)
	}
	again, err := r.Reserve(ctx, web.Reservation{Key: "k1", SKU: "A", Location: "dallas", Quantity: 6})
	if err != nil || !again.Replayed || again.Seq != res.Seq {
		t.Errorf("retried request: %+v %v", again, err)
	}
	if _, err := r.Reserve(ctx, web.Reservation{Key: "k1", SKU: "A", Location: "dallas", Quantity: 7}); !errors.Is(err, web.ErrKeyReused) {
		t.Errorf("key reused for other figures: %v", err)
	}
	_, err = r.Reserve(ctx, web.Reservation{Key: "k2", SKU: "A", Location: "dallas", Quantity: 5})
	var ie *web.InsufficientError
	if !errors.As(err, &ie) || ie.Available != 4 {
		t.Errorf("over-reservation: %v", err)
	}
	if b := balance(t, g, "A", "dallas"); b.Allocated != 6 {
		t.Errorf("allocated %d", b.Allocated)
	}
	if err := r.Release(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if err := r.Release(ctx, "k1"); err != nil {
		t.Errorf("second release: %v", err)
	}
	if b := balance(t, g, "A", "dallas"); b.Allocated != 0 || b.Available() != 10 {
		t.Errorf("after release: %+v", b)
	}
	if err := r.Release(ctx, "nope"); !errors.Is(err, web.ErrNoReservation) {
		t.Errorf("unknown key: %v", err)
	}
}
