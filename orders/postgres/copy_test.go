package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// boltBook returns a bbolt order book with n orders (each dispatched
// to a warehouse), n/10 shipments, a pending mark on every 7th order,
// seeded.
func boltBook(t *testing.T, n int) *orders.Bolt {
	t.Helper()
	ctx := context.Background()
	src, err := orders.OpenBolt(filepath.Join(t.TempDir(), "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	t0 := time.Date(2026, 11, 25, 23, 30, 0, 123456789, time.UTC)
	var seed []*orders.Record
	var marks []orders.Change
	for i := range n {
		partner, number := fmt.Sprintf("shop-%d", i%3), fmt.Sprintf("SO-%05d", i)
		r := orders.New(partner, number)
		r.Settle(&mapping.OrderState{Partner: partner, Number: number, Open: true,
			Lines: []mapping.OrderLine{{SKU: fmt.Sprintf("SKU-%d", i%11), Location: "dallas", Quantity: int64(i%4 + 1)}},
			By:    mapping.Origin{Document: partner + "|1|1|0001", Message: uint64(i + 1), Name: "order.edi"}}, "PO-"+number, nil, t0)
		o := &orders.Outgoing{Warehouse: "acme-3pl", Location: "dallas", Code: "DAL1", Order: fmt.Sprintf("W%05d", i), Purpose: orders.PurposeNew,
			Lines: []orders.Line{{SKU: "SKU", Item: "AC-1001", Quantity: 5}}}
		r.NoteSent(o, orders.Send{Outbox: uint64(i + 1), Interchange: "000000001", Group: "2", Queued: t0, AckDue: t0.Add(time.Hour)}, t0.Add(48*time.Hour), t0)
		if i%7 == 3 {
			marks = append(marks, orders.Change{Next: r, Prev: nil, Keys: []string{partner + "|doc|" + number}})
			continue
		}
		seed = append(seed, r)
	}
	for i := range n / 10 {
		seed = append(seed, &orders.Record{OrderState: mapping.OrderState{Kind: mapping.KindShipment, Partner: "acme-3pl",
			Number: fmt.Sprintf("N-%d", i), Open: true, Updated: t0}})
	}
	if err := src.Seed(ctx, seed); err != nil {
		t.Fatal(err)
	}
	if err := src.Begin(ctx, marks); err != nil {
		t.Fatal(err)
	}
	return src
}

// TestCopyFromBbolt: every record, warehouse order, pending mark and
// the seeded mark are copied byte for byte and verified; the copy
// answers as the source does; a second run copies nothing; a record
// changed in PostgreSQL is a mismatch.
func TestCopyFromBbolt(t *testing.T) {
	ctx := context.Background()
	const n = 1200
	src := boltBook(t, n)
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	dst, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	want := n + n/10
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Source != want || r.Copied != want || r.Present != 0 || r.Verified != want {
		t.Fatalf("first run: %v %v", r, err)
	}
	for _, q := range []struct {
		name string
		get  func(s orders.Store) (any, error)
	}{
		{"order", func(s orders.Store) (any, error) { return s.Get(ctx, mapping.KindOrder, "shop-1", "SO-00010") }},
		{"shipment", func(s orders.Store) (any, error) { return s.Get(ctx, mapping.KindShipment, "acme-3pl", "N-3") }},
		{"by warehouse", func(s orders.Store) (any, error) { return s.ByWarehouse(ctx, "acme-3pl", "W00011") }},
		{"mark", func(s orders.Store) (any, error) { return s.Mark(ctx, mapping.KindOrder, "shop-1", "SO-00010") }},
		{"marked", func(s orders.Store) (any, error) { return s.Marked(ctx) }},
		{"seeded", func(s orders.Store) (any, error) { return s.Seeded(ctx) }},
		{"list", func(s orders.Store) (any, error) { return s.List(ctx, orders.Filter{Partner: "shop-2", Limit: 50}) }},
	} {
		w, werr := q.get(src)
		h, herr := q.get(dst)
		hj, _ := json.Marshal(h)
		wj, _ := json.Marshal(w)
		if werr != nil || herr != nil || string(hj) != string(wj) || len(wj) < 4 {
			t.Errorf("%s: PostgreSQL %s %v, bbolt %s %v", q.name, hj, herr, wj, werr)
		}
	}
	r, err = CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != 0 || r.Present != want || r.Verified != want {
		t.Errorf("second run: %v %v", r, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE orders_records SET record = record || ' '::bytea WHERE number = 'SO-00100'`); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) {
		t.Errorf("a record changed in PostgreSQL: %v, want ErrCopyMismatch", err)
	}
}

// TestCopyFromContinues: a run interrupted after its first page (a page
// commits whole: records, warehouse orders, marks) is continued by the
// next run, which copies only the rest.
func TestCopyFromContinues(t *testing.T) {
	ctx := context.Background()
	const n = 1200
	src := boltBook(t, n)
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	dst, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); err != nil {
		t.Fatal(err)
	}
	first, err := src.Entries(ctx, orders.PartRecords, nil, copyPage)
	if err != nil {
		t.Fatal(err)
	}
	last := first[copyPage-1].Key
	// The state an interruption after the first page leaves.
	for _, q := range []string{`DELETE FROM orders_by_warehouse WHERE k > $1`, `DELETE FROM orders_pending WHERE k > $1`,
		`DELETE FROM orders_records WHERE k > $1`, `DELETE FROM orders_meta WHERE $1::bytea IS NOT NULL`} {
		if _, err := pool.Exec(ctx, q, last); err != nil {
			t.Fatal(err)
		}
	}
	want := n + n/10
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != want-copyPage || r.Present != copyPage || r.Verified != want {
		t.Errorf("continuing: %v %v", r, err)
	}
	// A warehouse order lost in PostgreSQL is found missing.
	if _, err := pool.Exec(ctx, `DELETE FROM orders_by_warehouse WHERE wk = $1`, orders.Key("acme-3pl", "W00700")); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) || !strings.Contains(err.Error(), "W00700") {
		t.Errorf("a warehouse order missing: %v, want ErrCopyMismatch naming it", err)
	}
}
