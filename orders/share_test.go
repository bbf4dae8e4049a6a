package orders_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// TestShareShipsConcurrently: shipment confirmations run in shared
// changes at once, as the gateway runs them (Ship, Begin, End): many of
// one order lose none of its shipments, others' orders go on beside
// them, and a shared change that reads a second order fails.
func TestShareShipsConcurrently(t *testing.T) {
	b, s := sentOrder(t) // SO-1: line 1 WIDGET-BLUE 2, line 2 WIDGET-RED 5
	ctx := context.Background()
	for i := range 4 {
		r := orders.New("webshop", fmt.Sprintf("W-%d", i))
		r.Settle(&mapping.OrderState{Partner: "webshop", Number: r.Number, Open: true,
			Lines: []mapping.OrderLine{{SKU: "WIDGET-RED", Location: "dallas", Quantity: 10}}, By: mapping.Origin{Document: "w"}}, "", nil, t0)
		out := r.Plan(func(string) (orders.Route, bool) { return orders.Route{Warehouse: "acme-3pl", Code: "DAL1"}, true }, nil)
		r.NoteSent(&out[0], orders.Send{Outbox: uint64(10 + i)}, time.Time{}, t0)
		if err := s.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	ship := func(order, shipment string, line int) error {
		return b.Share(ctx, func(tx *orders.Tx) error {
			sh, err := tx.Ship("acme-3pl", order, shipment, orders.ShipLine{Line: line, Quantity: 1, Status: orders.StatusBackorder})
			if err != nil || sh.Next == nil {
				return err
			}
			if err := tx.Begin([]orders.Change{{Next: sh.Next, Prev: sh.Prev, Keys: []string{shipment}}}); err != nil {
				return err
			}
			return tx.End([]orders.Outcome{{Partner: sh.Next.Partner, Number: sh.Next.Number, Posted: true}})
		})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 5 {
		wg.Go(func() { errs <- ship("SO-1", fmt.Sprintf("BOL-%d", i), 2) })
		for j := range 4 {
			wg.Go(func() { errs <- ship(fmt.Sprintf("W-%d", j), fmt.Sprintf("B-%d", i), 1) })
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.Get(ctx, mapping.KindOrder, "shopmart", "SO-1")
	if err != nil {
		t.Fatal(err)
	}
	if d := r.Dispatches[0]; d.Lines[1].Shipped != 5 || len(d.Shipments) != 5 || !d.Lines[1].Closed {
		t.Errorf("SO-1 after 5 concurrent shipments of 1: %+v, %d shipments", d.Lines[1], len(d.Shipments))
	}
	for j := range 4 {
		w, _ := s.Get(ctx, mapping.KindOrder, "webshop", fmt.Sprintf("W-%d", j))
		if d := w.Dispatches[0]; d.Lines[0].Shipped != 5 || len(d.Shipments) != 5 {
			t.Errorf("W-%d: %+v, %d shipments", j, d.Lines[0], len(d.Shipments))
		}
	}
	err = b.Share(ctx, func(tx *orders.Tx) error {
		if _, err := tx.Get(mapping.KindOrder, "webshop", "W-0"); err != nil {
			return err
		}
		_, err := tx.Get(mapping.KindOrder, "webshop", "W-1")
		return err
	})
	if !errors.Is(err, orders.ErrShared) {
		t.Errorf("a shared change reading two orders: %v", err)
	}
}

// TestEndBackgroundKeepsTheOrderLocked: shipments of one order whose
// marks end in the background (Tx.EndBackground: Share returns before
// End commits) never read the order with a mark on it (the ledger is
// never asked), and none is lost.
func TestEndBackgroundKeepsTheOrderLocked(t *testing.T) {
	_, s := sentOrder(t) // SO-1: line 2 WIDGET-RED 5
	ctx := context.Background()
	var asked sync.Mutex
	var askedFor []string
	b := orders.NewBook(s, func(_ context.Context, key string) (bool, error) {
		asked.Lock()
		askedFor = append(askedFor, key)
		asked.Unlock()
		return true, nil
	}, func() time.Time { return t0.Add(time.Hour) })
	var wg sync.WaitGroup
	endings := make(chan *orders.Ending, 5)
	errs := make(chan error, 5)
	for i := range 5 {
		wg.Go(func() {
			errs <- b.Share(ctx, func(tx *orders.Tx) error {
				sh, err := tx.Ship("acme-3pl", "SO-1", fmt.Sprintf("BOL-%d", i), orders.ShipLine{Line: 2, Quantity: 1, Status: orders.StatusBackorder})
				if err != nil {
					return err
				}
				if err := tx.Begin([]orders.Change{{Next: sh.Next, Prev: sh.Prev, Keys: []string{fmt.Sprintf("BOL-%d", i)}}}); err != nil {
					return err
				}
				endings <- tx.EndBackground([]orders.Outcome{{Partner: sh.Next.Partner, Number: sh.Next.Number, Posted: true}})
				return nil
			})
		})
	}
	wg.Wait()
	close(errs)
	close(endings)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for e := range endings {
		if err := e.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	r, err := b.Get(ctx, mapping.KindOrder, "shopmart", "SO-1")
	if err != nil {
		t.Fatal(err)
	}
	if d := r.Dispatches[0]; d.Lines[1].Shipped != 5 || len(d.Shipments) != 5 || !d.Lines[1].Closed {
		t.Errorf("SO-1 after 5 concurrent shipments of 1: %+v, %d shipments", d.Lines[1], len(d.Shipments))
	}
	if len(askedFor) != 0 {
		t.Errorf("the ledger was asked for %v: a change read the order with a mark on it", askedFor)
	}
	if marked, err := s.Marked(ctx); err != nil || len(marked) != 0 {
		t.Errorf("marked after the endings: %d %v", len(marked), err)
	}
}
