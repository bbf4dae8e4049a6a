package postgres

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/internal/pgstore"
)

// TestCopyFromBbolt: every entry is copied under its id and verified
// (times to the microsecond); a second run copies nothing; new entries
// get new ids.
func TestCopyFromBbolt(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 3, 1, 8, 0, 0, 123456789, time.UTC)
	src, err := audit.Open(filepath.Join(t.TempDir(), "audit.db"), func() time.Time { clock = clock.Add(time.Second); return clock })
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	const n = 2500 // more than a page
	for i := range n {
		if _, err := src.Record(ctx, audit.Entry{Who: "ops", Action: "replay", Target: fmt.Sprintf("message %d", i), Detail: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	dst, err := Open(ctx, migrated(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Source != n || r.Copied != n || r.Verified != n {
		t.Fatalf("first run: %v %v", r, err)
	}
	r, err = CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != 0 || r.Present != n || r.Verified != n {
		t.Errorf("second run: %v %v", r, err)
	}
	e, err := dst.Record(ctx, audit.Entry{Who: "ops", Action: "reload"})
	if err != nil || e.ID != n+1 {
		t.Errorf("a new entry: %+v %v, want id %d", e, err, n+1)
	}
	// Now PostgreSQL holds an entry bbolt lacks: not a copy of it.
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) {
		t.Errorf("copying into a log with other entries: %v, want ErrCopyMismatch", err)
	}
}
