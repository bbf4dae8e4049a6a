package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/divergence"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
)

// boltDivergence returns a bbolt store with figures of three partners
// at two locations (n SKUs each) and n tracked divergences, times with
// nanoseconds (PostgreSQL keeps microseconds).
func boltDivergence(t *testing.T, n int) *divergence.BoltStore {
	t.Helper()
	src, err := divergence.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	at := time.Date(2026, 3, 1, 8, 0, 0, 123456789, time.UTC)
	var figs []divergence.Reported
	for p := range 3 {
		for _, loc := range []string{"dallas", "reno"} {
			for i := range n {
				figs = append(figs, divergence.Reported{Partner: fmt.Sprintf("3pl-%d", p), SKU: fmt.Sprintf("SKU-%05d", i),
					Location: loc, Quantity: int64(i * p), At: at.Add(time.Duration(i) * time.Second)})
			}
		}
	}
	if err := src.Report(figs); err != nil {
		t.Fatal(err)
	}
	rows := make([]divergence.Row, n)
	for i := range rows {
		rows[i] = divergence.Row{Partner: "3pl-1", Kind: divergence.KindLocation, SKU: fmt.Sprintf("SKU-%05d", i), Location: "dallas"}
	}
	if err := src.Track(rows, at); err != nil {
		t.Fatal(err)
	}
	return src
}

// TestCopyFromBbolt: every figure and first-seen time is copied and
// verified; the copy reports and tracks as the source does; a second
// run copies nothing; a figure changed in PostgreSQL is a mismatch.
func TestCopyFromBbolt(t *testing.T) {
	ctx := context.Background()
	const n = 2000
	src := boltDivergence(t, n)
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	dst, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	want := 6*n + n
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Source != want || r.Copied != want || r.Present != 0 || r.Verified != want {
		t.Fatalf("first run: %v %v", r, err)
	}
	rows := []divergence.Row{{Partner: "3pl-1", Kind: divergence.KindLocation, SKU: "SKU-00007", Location: "dallas"}}
	if err := dst.Track(rows, time.Now()); err != nil || !rows[0].Since.Equal(time.Date(2026, 3, 1, 8, 0, 0, 123456000, time.UTC)) {
		t.Errorf("first seen in the copy: %s %v", rows[0].Since, err)
	}
	// Track forgot the other divergences, in both.
	if err := src.Track(rows, time.Now()); err != nil {
		t.Fatal(err)
	}
	r, err = CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != 0 || r.Present != 6*n+1 || r.Verified != 6*n+1 {
		t.Errorf("second run: %v %v", r, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE divergence_reported SET quantity = quantity + 1 WHERE sku = 'SKU-00100' AND partner = '3pl-2'`); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) {
		t.Errorf("a figure changed in PostgreSQL: %v, want ErrCopyMismatch", err)
	}
}

// TestCopyFromContinues: a run interrupted after its first page of
// figures is continued by the next, which copies only the rest.
func TestCopyFromContinues(t *testing.T) {
	ctx := context.Background()
	const n = 2000
	src := boltDivergence(t, n)
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	dst, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); err != nil {
		t.Fatal(err)
	}
	// The state an interruption after the first page leaves: the first
	// copyPage figures in partner, SKU, location order.
	if _, err := pool.Exec(ctx, `DELETE FROM divergence_since`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM divergence_reported WHERE (partner, sku, location) NOT IN
		(SELECT partner, sku, location FROM divergence_reported ORDER BY partner, sku, location LIMIT $1)`, copyPage); err != nil {
		t.Fatal(err)
	}
	want := 6*n + n
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != want-copyPage || r.Present != copyPage || r.Verified != want {
		t.Errorf("continuing: %v %v", r, err)
	}
}
