package postgres

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
)

// TestCopyFromBbolt: every cursor of a bbolt cursor file is copied and
// verified (one past 2^63 too); a second run copies nothing; a run after
// a partial copy copies the rest; a cursor changed or added in
// PostgreSQL is a mismatch naming it.
func TestCopyFromBbolt(t *testing.T) {
	ctx := context.Background()
	src, err := stream.OpenBoltCursors(filepath.Join(t.TempDir(), "change-cursors.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for name, seq := range map[string]uint64{"nats": 42, "webhook/erp": 7, "webhook/partner.acme": 1 << 63} {
		if err := src.SetCursor(ctx, name, seq); err != nil {
			t.Fatal(err)
		}
	}
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	dst, err := Open(ctx, pool, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.SetCursor(ctx, "webhook/erp", 7); err != nil { // an interrupted run's
		t.Fatal(err)
	}
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Source != 3 || r.Copied != 2 || r.Present != 1 || r.Verified != 3 {
		t.Fatalf("first run: %v %v", r, err)
	}
	if seq, err := dst.Cursor(ctx, "webhook/partner.acme"); err != nil || seq != 1<<63 {
		t.Errorf("copied cursor: %d %v", seq, err)
	}
	r, err = CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != 0 || r.Present != 3 || r.Verified != 3 {
		t.Errorf("second run: %v %v", r, err)
	}
	if err := dst.SetCursor(ctx, "nats", 41); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) || !strings.Contains(err.Error(), `cursor of "nats": PostgreSQL has 41, bbolt 42`) {
		t.Errorf("a cursor changed in PostgreSQL: %v", err)
	}
	if err := dst.SetCursor(ctx, "nats", 42); err != nil {
		t.Fatal(err)
	}
	if err := dst.SetCursor(ctx, "webhook/other", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) || !strings.Contains(err.Error(), `cursor of "webhook/other": in PostgreSQL, not in bbolt`) {
		t.Errorf("a cursor only in PostgreSQL: %v", err)
	}
}
