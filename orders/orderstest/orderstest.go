// Package orderstest is the contract suite of orders.Store: every
// implementation passes Run.
package orderstest

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

// Run runs the contract suite; open returns a new, empty store, which
// the suite closes.
func Run(t *testing.T, open func(t *testing.T) orders.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s orders.Store)
	}{
		{"get missing", getMissing},
		{"put and get", putGet},
		{"warehouse index", warehouseIndex},
		{"warehouse order taken", warehouseOrderTaken},
		{"delete", deleteRecord},
		{"list pages and filters", list},
		{"seed", seed},
		{"concurrent puts", concurrentPuts},
		{"kinds are key spaces", kinds},
		{"pending posted", pendingPosted},
		{"pending not posted", pendingNotPosted},
		{"pending batch", pendingBatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 11, 25, 23, 30, 0, 0, time.UTC)

// record returns an open order with one dispatch to warehouse as order.
func record(partner, number, warehouse, order string) *orders.Record {
	r := orders.New(partner, number)
	r.Settle(&mapping.OrderState{Partner: partner, Number: number, Open: true,
		Lines: []mapping.OrderLine{{SKU: "WIDGET-RED", Location: "dallas", Quantity: 5}},
		By:    mapping.Origin{Document: partner + "|1|1|0001", Message: 1, Name: "order.edi"}}, "PO-"+number, nil, t0)
	if warehouse != "" {
		o := &orders.Outgoing{Warehouse: warehouse, Location: "dallas", Code: "DAL1", Order: order, Purpose: orders.PurposeNew,
			Lines: []orders.Line{{SKU: "WIDGET-RED", Item: "AC-1001", Quantity: 5}}}
		r.NoteSent(o, orders.Send{Outbox: 7, Interchange: "000000001", Group: "2", Queued: t0, AckDue: t0.Add(time.Hour)}, t0.Add(48*time.Hour), t0)
	}
	return r
}

func getMissing(t *testing.T, s orders.Store) {
	ctx := context.Background()
	if _, err := s.Get(ctx, mapping.KindOrder, "shopmart", "SO-1"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("Get of a missing order: %v, want ErrNotFound", err)
	}
	if _, err := s.ByWarehouse(ctx, "acme-3pl", "SO-1"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("ByWarehouse of a missing order: %v, want ErrNotFound", err)
	}
	if ok, err := s.Seeded(ctx); ok || err != nil {
		t.Errorf("a new store is seeded: %v %v", ok, err)
	}
}

func putGet(t *testing.T, s orders.Store) {
	ctx := context.Background()
	r := record("shopmart", "SO-1", "acme-3pl", "SO-1")
	if err := s.Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, mapping.KindOrder, "shopmart", "SO-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != "SO-1" || !got.Open || got.Revision != 1 || got.PurchaseOrder != "PO-SO-1" || len(got.Lines) != 1 ||
		len(got.Dispatches) != 1 || got.Dispatches[0].Sends[0].Outbox != 7 || !got.Received.Equal(t0) ||
		!got.Dispatches[0].ShipDue.Equal(t0.Add(48*time.Hour)) || len(got.Events) != len(r.Events) {
		t.Errorf("record read back: %+v", got)
	}
	// Same number, other partner: another order.
	if _, err := s.Get(ctx, mapping.KindOrder, "northwind", "SO-1"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("another partner's order: %v", err)
	}
	// Put replaces.
	got.Open = false
	if err := s.Put(ctx, got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Get(ctx, mapping.KindOrder, "shopmart", "SO-1"); again == nil || again.Open {
		t.Errorf("replaced record: %+v", again)
	}
}

func warehouseIndex(t *testing.T, s orders.Store) {
	ctx := context.Background()
	r := record("shopmart", "SO-1", "acme-3pl", "SO-1")
	if err := s.Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.ByWarehouse(ctx, "acme-3pl", "SO-1")
	if err != nil || got.Partner != "shopmart" || got.Number != "SO-1" {
		t.Fatalf("ByWarehouse: %+v %v", got, err)
	}
	if _, err := s.ByWarehouse(ctx, "other-3pl", "SO-1"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("another warehouse: %v", err)
	}
	// The dispatch renamed: the old warehouse order is gone.
	r.Dispatches[0].Order = "SO-1-DAL1"
	if err := s.Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ByWarehouse(ctx, "acme-3pl", "SO-1"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("old warehouse order after the change: %v", err)
	}
	if got, err := s.ByWarehouse(ctx, "acme-3pl", "SO-1-DAL1"); err != nil || got.Number != "SO-1" {
		t.Errorf("new warehouse order: %+v %v", got, err)
	}
}

func warehouseOrderTaken(t *testing.T, s orders.Store) {
	ctx := context.Background()
	if err := s.Put(ctx, record("shopmart", "SO-1", "acme-3pl", "SO-1")); err != nil {
		t.Fatal(err)
	}
	other := record("northwind", "SO-1", "acme-3pl", "SO-1")
	if err := s.Put(ctx, other); !errors.Is(err, orders.ErrOrderTaken) {
		t.Fatalf("a warehouse order held by another order: %v, want ErrOrderTaken", err)
	}
	if _, err := s.Get(ctx, mapping.KindOrder, "northwind", "SO-1"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("the failed Put stored the record: %v", err)
	}
	if got, _ := s.ByWarehouse(ctx, "acme-3pl", "SO-1"); got == nil || got.Partner != "shopmart" {
		t.Errorf("the failed Put changed the index: %+v", got)
	}
}

func deleteRecord(t *testing.T, s orders.Store) {
	ctx := context.Background()
	if err := s.Put(ctx, record("shopmart", "SO-1", "acme-3pl", "SO-1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, mapping.KindOrder, "shopmart", "SO-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, mapping.KindOrder, "shopmart", "SO-1"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("deleted record: %v", err)
	}
	if _, err := s.ByWarehouse(ctx, "acme-3pl", "SO-1"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("deleted record's index: %v", err)
	}
	if err := s.Delete(ctx, mapping.KindOrder, "shopmart", "SO-1"); err != nil {
		t.Errorf("deleting an unknown record: %v", err)
	}
	// Freed, the warehouse order can be taken by another order.
	if err := s.Put(ctx, record("northwind", "SO-1", "acme-3pl", "SO-1")); err != nil {
		t.Errorf("reusing a freed warehouse order: %v", err)
	}
}

func list(t *testing.T, s orders.Store) {
	ctx := context.Background()
	for _, p := range []string{"northwind", "shopmart", "shop"} {
		for i := range 3 {
			if err := s.Put(ctx, record(p, fmt.Sprintf("SO-%d", i), "", "")); err != nil {
				t.Fatal(err)
			}
		}
	}
	names := func(rs []*orders.Record) string {
		s := ""
		for _, r := range rs {
			s += r.Partner + "/" + r.Number + " "
		}
		return s
	}
	tests := []struct {
		name string
		f    orders.Filter
		want string
	}{
		{"all", orders.Filter{}, "northwind/SO-0 northwind/SO-1 northwind/SO-2 shop/SO-0 shop/SO-1 shop/SO-2 shopmart/SO-0 shopmart/SO-1 shopmart/SO-2 "},
		{"partner (not a prefix of another)", orders.Filter{Partner: "shop"}, "shop/SO-0 shop/SO-1 shop/SO-2 "},
		{"limit", orders.Filter{Limit: 2}, "northwind/SO-0 northwind/SO-1 "},
		{"after", orders.Filter{After: orders.Key("northwind", "SO-2"), Limit: 2}, "shop/SO-0 shop/SO-1 "},
		{"partner after", orders.Filter{Partner: "shopmart", After: orders.Key("shopmart", "SO-0")}, "shopmart/SO-1 shopmart/SO-2 "},
		{"match", orders.Filter{Match: func(r *orders.Record) bool { return r.Number == "SO-1" }}, "northwind/SO-1 shop/SO-1 shopmart/SO-1 "},
	}
	for _, tc := range tests {
		got, err := s.List(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if names(got) != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, names(got), tc.want)
		}
	}
}

func seed(t *testing.T, s orders.Store) {
	ctx := context.Background()
	if err := s.Seed(ctx, []*orders.Record{record("shopmart", "SO-1", "", ""), record("shopmart", "SO-2", "", "")}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Seeded(ctx); !ok || err != nil {
		t.Errorf("after Seed: seeded %v %v", ok, err)
	}
	if rs, _ := s.List(ctx, orders.Filter{}); len(rs) != 2 {
		t.Errorf("seeded %d records, want 2", len(rs))
	}
}

// concurrentPuts: puts from several goroutines, two of them racing for
// the same warehouse order: every record is stored, and the warehouse
// order belongs to exactly one of the racers.
func concurrentPuts(t *testing.T, s orders.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			order := fmt.Sprintf("SO-%d", i)
			if i < 2 {
				order = "SHARED"
			}
			errs[i] = s.Put(ctx, record(fmt.Sprintf("p%d", i), "SO-1", "acme-3pl", order))
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case i < 2 && err == nil:
			won = i
		case i < 2 && !errors.Is(err, orders.ErrOrderTaken):
			t.Errorf("racer %d: %v", i, err)
		case i >= 2 && err != nil:
			t.Errorf("put %d: %v", i, err)
		}
	}
	if errs[0] == nil && errs[1] == nil {
		t.Fatalf("both racers hold the shared warehouse order")
	}
	if got, err := s.ByWarehouse(ctx, "acme-3pl", "SHARED"); err != nil || got.Partner != fmt.Sprintf("p%d", won) {
		t.Errorf("shared warehouse order: %+v %v, want the record of p%d", got, err, won)
	}
	if rs, _ := s.List(ctx, orders.Filter{Limit: 100}); len(rs) != 19 {
		t.Errorf("%d records stored, want 19", len(rs))
	}
}

// shipment returns a ship notice's record: partner + BSN02, no life.
func shipment(partner, number string) *orders.Record {
	return &orders.Record{OrderState: mapping.OrderState{Kind: mapping.KindShipment, Partner: partner, Number: number, Open: true,
		Lines: []mapping.OrderLine{{SKU: "WIDGET-RED", Location: "dallas", Quantity: 2}},
		By:    mapping.Origin{Document: partner + "|9|9|0001", Message: 9}}}
}

func kinds(t *testing.T, s orders.Store) {
	ctx := context.Background()
	if err := s.Put(ctx, record("acme", "N-1", "", "")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, shipment("acme", "N-1")); err != nil {
		t.Fatal(err)
	}
	o, err := s.Get(ctx, mapping.KindOrder, "acme", "N-1")
	if err != nil || o.Kind != mapping.KindOrder || len(o.Lines) != 1 || o.Lines[0].Quantity != 5 {
		t.Errorf("order: %+v %v", o, err)
	}
	sh, err := s.Get(ctx, mapping.KindShipment, "acme", "N-1")
	if err != nil || sh.Kind != mapping.KindShipment || sh.Lines[0].Quantity != 2 || sh.Revision != 0 || len(sh.Events) != 0 {
		t.Errorf("shipment: %+v %v", sh, err)
	}
	if _, err := s.Get(ctx, mapping.KindShipment, "acme", "N-2"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("unknown shipment: %v", err)
	}
	// List is orders only.
	for _, f := range []orders.Filter{{}, {Partner: "acme"}} {
		rs, err := s.List(ctx, f)
		if err != nil || len(rs) != 1 || rs[0].Kind != mapping.KindOrder {
			t.Errorf("list %+v: %d records %v", f, len(rs), err)
		}
	}
	if err := s.Delete(ctx, mapping.KindShipment, "acme", "N-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, mapping.KindShipment, "acme", "N-1"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("deleted shipment: %v", err)
	}
	if _, err := s.Get(ctx, mapping.KindOrder, "acme", "N-1"); err != nil {
		t.Errorf("the order went with the shipment: %v", err)
	}
}

// changed returns r's next revision: more of its line, by another
// document.
func changed(r *orders.Record, doc string) *orders.Record {
	next := r.Clone()
	st := r.OrderState
	st.Lines = []mapping.OrderLine{{SKU: "WIDGET-RED", Location: "dallas", Quantity: 9}}
	st.By = mapping.Origin{Document: doc, Message: r.By.Message + 1}
	next.Settle(&st, "", nil, t0.Add(time.Minute))
	return next
}

func pendingPosted(t *testing.T, s orders.Store) {
	ctx := context.Background()
	prev := record("shopmart", "SO-1", "acme", "SO-1")
	if err := s.Put(ctx, prev); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Mark(ctx, mapping.KindOrder, "shopmart", "SO-1"); err != nil || m != nil {
		t.Fatalf("mark before Begin: %+v %v", m, err)
	}
	next := changed(prev, "shopmart|2|2|0001")
	if err := s.Begin(ctx, []orders.Change{{Next: next, Prev: prev, Keys: []string{"shopmart|2|2|0001", "legacy"}}}); err != nil {
		t.Fatal(err)
	}
	// Written before its posting: read as it will be.
	if r, err := s.Get(ctx, mapping.KindOrder, "shopmart", "SO-1"); err != nil || r.Lines[0].Quantity != 9 {
		t.Errorf("pending record: %+v %v", r, err)
	}
	m, err := s.Mark(ctx, mapping.KindOrder, "shopmart", "SO-1")
	if err != nil || m == nil || m.Prev == nil || m.Prev.Lines[0].Quantity != 5 || m.Next == nil || m.Next.Lines[0].Quantity != 9 ||
		len(m.Keys) != 2 || m.Keys[0] != "shopmart|2|2|0001" {
		t.Fatalf("mark: %+v %v", m, err)
	}
	// Posted; what was added after the posting (a 940 sent) is stored.
	final := next.Clone()
	final.Dispatches[0].Order = "SO-1-B"
	if err := s.End(ctx, []orders.Outcome{{Partner: "shopmart", Number: "SO-1", Posted: true, Record: final}}); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Mark(ctx, mapping.KindOrder, "shopmart", "SO-1"); err != nil || m != nil {
		t.Errorf("mark after End: %+v %v", m, err)
	}
	if r, err := s.Get(ctx, mapping.KindOrder, "shopmart", "SO-1"); err != nil || r.Lines[0].Quantity != 9 || r.Dispatches[0].Order != "SO-1-B" {
		t.Errorf("posted record: %+v %v", r, err)
	}
	if r, err := s.ByWarehouse(ctx, "acme", "SO-1-B"); err != nil || r.Number != "SO-1" {
		t.Errorf("index of the posted record: %+v %v", r, err)
	}
	if _, err := s.ByWarehouse(ctx, "acme", "SO-1"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("index of the record before: %v", err)
	}
	// Ending again (no mark) without a record changes nothing.
	if err := s.End(ctx, []orders.Outcome{{Partner: "shopmart", Number: "SO-1", Posted: true}}); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Get(ctx, mapping.KindOrder, "shopmart", "SO-1"); r == nil || r.Dispatches[0].Order != "SO-1-B" {
		t.Errorf("after a second End: %+v", r)
	}
}

func pendingNotPosted(t *testing.T, s orders.Store) {
	ctx := context.Background()
	prev := record("shopmart", "SO-1", "acme", "SO-1")
	if err := s.Put(ctx, prev); err != nil {
		t.Fatal(err)
	}
	next := changed(prev, "shopmart|2|2|0001")
	next.Dispatches[0].Order = "SO-1-B"
	fresh := record("shopmart", "SO-2", "acme", "SO-2")
	ship := shipment("shopmart", "SO-2")
	err := s.Begin(ctx, []orders.Change{{Next: next, Prev: prev, Keys: []string{"k1"}}, {Next: fresh, Keys: []string{"k2"}}, {Next: ship, Keys: []string{"k3"}}})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Mark(ctx, mapping.KindOrder, "shopmart", "SO-2"); m == nil || m.Prev != nil {
		t.Errorf("mark of a new order: %+v", m)
	}
	marked, err := s.Marked(ctx)
	if err != nil || len(marked) != 3 {
		t.Fatalf("marked: %d records %v, want 3", len(marked), err)
	}
	for i, want := range []*orders.Record{next, fresh, ship} { // key order
		if r := marked[i]; r.Kind != want.Kind || r.Partner != want.Partner || r.Number != want.Number || r.By != want.By {
			t.Errorf("marked %d: %s %s %s, want %s %s %s", i, r.Kind, r.Partner, r.Number, want.Kind, want.Partner, want.Number)
		}
	}
	err = s.End(ctx, []orders.Outcome{{Partner: "shopmart", Number: "SO-1"}, {Partner: "shopmart", Number: "SO-2"},
		{Kind: mapping.KindShipment, Partner: "shopmart", Number: "SO-2"}})
	if err != nil {
		t.Fatal(err)
	}
	// Not posted: the record before is back, with its index; a record
	// unknown before is unknown again.
	if r, err := s.Get(ctx, mapping.KindOrder, "shopmart", "SO-1"); err != nil || r.Lines[0].Quantity != 5 || r.By != prev.By {
		t.Errorf("record put back: %+v %v", r, err)
	}
	if r, err := s.ByWarehouse(ctx, "acme", "SO-1"); err != nil || r.Number != "SO-1" {
		t.Errorf("index put back: %+v %v", r, err)
	}
	if _, err := s.ByWarehouse(ctx, "acme", "SO-1-B"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("index of the undone record: %v", err)
	}
	for _, kind := range []mapping.OrderKind{mapping.KindOrder, mapping.KindShipment} {
		if _, err := s.Get(ctx, kind, "shopmart", "SO-2"); !errors.Is(err, orders.ErrNotFound) {
			t.Errorf("%q unknown before: %v", kind, err)
		}
		if m, err := s.Mark(ctx, kind, "shopmart", "SO-2"); err != nil || m != nil {
			t.Errorf("%q mark: %+v %v", kind, m, err)
		}
	}
	if _, err := s.ByWarehouse(ctx, "acme", "SO-2"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("index of the order unknown before: %v", err)
	}
	if marked, err := s.Marked(ctx); err != nil || len(marked) != 0 {
		t.Errorf("marked after End: %d records %v", len(marked), err)
	}
}

// pendingBatch: Begin is all or nothing.
func pendingBatch(t *testing.T, s orders.Store) {
	ctx := context.Background()
	if err := s.Put(ctx, record("shopmart", "SO-1", "acme", "SO-1")); err != nil {
		t.Fatal(err)
	}
	ok := record("northwind", "NW-1", "acme", "NW-1")
	taken := record("northwind", "NW-2", "acme", "SO-1")
	err := s.Begin(ctx, []orders.Change{{Next: ok, Keys: []string{"k1"}}, {Next: taken, Keys: []string{"k2"}}})
	if !errors.Is(err, orders.ErrOrderTaken) {
		t.Fatalf("begin with a warehouse order taken: %v", err)
	}
	for _, n := range []string{"NW-1", "NW-2"} {
		if _, err := s.Get(ctx, mapping.KindOrder, "northwind", n); !errors.Is(err, orders.ErrNotFound) {
			t.Errorf("%s written by a failed Begin: %v", n, err)
		}
		if m, _ := s.Mark(ctx, mapping.KindOrder, "northwind", n); m != nil {
			t.Errorf("%s marked by a failed Begin", n)
		}
	}
}
