package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/mapping"
)

// boltBroadcasts returns a bbolt broadcast store with n broadcasts of
// 50 figures to three partners: queued, delivered (some acknowledged,
// some rejected: unknown SKUs), sent (possible figures); times with
// nanoseconds.
func boltBroadcasts(t *testing.T, n int) *broadcast.BoltStore {
	t.Helper()
	src, err := broadcast.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 123456789, time.UTC)
	for i := range n {
		var ls []mapping.AdviceLine
		for j := range 50 { // in SKU order, as advice comes
			sku := fmt.Sprintf("SKU-%03d", (i%30)+j)
			ls = append(ls, mapping.AdviceLine{SKU: sku, PartnerID: sku, Quantity: int64(i + j)})
		}
		mode := broadcast.ModeDelta
		if i%10 == 0 {
			mode = broadcast.ModeFull
		}
		b := broadcast.Broadcast{Partner: fmt.Sprintf("shop-%d", i%3), Time: t0.Add(time.Duration(i) * time.Minute), Mode: mode,
			Seq: uint64(i + 1), Items: len(ls), Delivery: broadcast.DeliveryQueued}
		if err := src.Record(context.Background(), &b, ls); err != nil {
			t.Fatal(err)
		}
		if err := src.SetOutbox(b.ID, []uint64{uint64(i + 1)}); err != nil {
			t.Fatal(err)
		}
		var f broadcast.Fate
		switch i % 4 {
		case 0:
			continue // queued
		case 1:
			f = broadcast.Fate{Delivery: broadcast.DeliverySent}
		case 2:
			f = broadcast.Fate{Delivery: broadcast.DeliveryDelivered, DeliveredAt: b.Time.Add(time.Second), Ack: broadcast.AckAccepted, AckAt: b.Time.Add(time.Hour)}
		case 3:
			f = broadcast.Fate{Delivery: broadcast.DeliveryDelivered, DeliveredAt: b.Time.Add(time.Second)}
		}
		if err := src.Update(b.ID, f); err != nil {
			t.Fatal(err)
		}
		if i%12 == 3 {
			if err := src.Update(b.ID, broadcast.Fate{Delivery: broadcast.DeliveryDelivered, DeliveredAt: b.Time.Add(time.Second),
				Ack: broadcast.AckRejected, AckAt: b.Time.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := src.Examined("shop-9", 77); err != nil { // a partner with a state only
		t.Fatal(err)
	}
	return src
}

// TestCopyFromBbolt: every broadcast (record, figures told) and partner
// (state, figures held, unknown SKUs) is copied and verified; the copy
// answers beliefs as the source does and numbers new broadcasts after
// the copied ones; a second run copies nothing; a figure changed in
// PostgreSQL is a mismatch.
func TestCopyFromBbolt(t *testing.T) {
	ctx := context.Background()
	const n = 450
	src := boltBroadcasts(t, n)
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	dst, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	want := n + 4
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Source != want || r.Copied != want || r.Present != 0 || r.Verified != want {
		t.Fatalf("first run: %v %v", r, err)
	}
	for _, p := range []string{"shop-0", "shop-1", "shop-2", "shop-9"} {
		hb, herr := dst.Beliefs(p)
		wb, werr := src.Beliefs(p)
		hj, _ := json.Marshal(hb)
		wj, _ := json.Marshal(wb)
		if herr != nil || werr != nil || string(hj) != string(wj) {
			t.Errorf("beliefs of %s: PostgreSQL %s %v, bbolt %s %v", p, hj, herr, wj, werr)
		}
	}
	if ho, err := dst.Open(); err != nil || len(ho) == 0 {
		t.Errorf("open broadcasts in the copy: %d %v", len(ho), err)
	}
	r, err = CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != 0 || r.Present != want || r.Verified != want {
		t.Errorf("second run: %v %v", r, err)
	}
	b := broadcast.Broadcast{Partner: "shop-1", Mode: broadcast.ModeDelta}
	if err := dst.Record(ctx, &b, nil); err != nil || b.ID != n+1 {
		t.Errorf("a new broadcast: id %d %v, want %d", b.ID, err, n+1)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM broadcast_told WHERE id = $1`, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM broadcast_broadcasts WHERE id = $1`, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE broadcast_told SET qty = qty + 1 WHERE id = 100 AND sku = (SELECT min(sku) FROM broadcast_told WHERE id = 100)`); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) {
		t.Errorf("a figure changed in PostgreSQL: %v, want ErrCopyMismatch", err)
	}
}

// TestCopyFromContinues: a run interrupted after its first page of
// broadcasts (a page commits whole, with its figures) is continued by
// the next, which copies only the rest.
func TestCopyFromContinues(t *testing.T) {
	ctx := context.Background()
	const n = 450
	src := boltBroadcasts(t, n)
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	dst, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); err != nil {
		t.Fatal(err)
	}
	// The state an interruption after the first page leaves.
	for _, q := range []string{`DELETE FROM broadcast_believes`, `DELETE FROM broadcast_unknown`, `DELETE FROM broadcast_partners`,
		`DELETE FROM broadcast_told WHERE id > 200`, `DELETE FROM broadcast_broadcasts WHERE id > 200`} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	want := n + 4
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != want-copyPage || r.Present != copyPage || r.Verified != want {
		t.Errorf("continuing: %v %v", r, err)
	}
}
