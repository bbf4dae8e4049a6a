package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/reservations"
	"github.com/dockside-edi/dockside/reservations/reservationstest"
)

// boltFilled returns a bbolt store with n generated records, every
// third released, times with nanoseconds (PostgreSQL keeps
// microseconds).
func boltFilled(t *testing.T, n int) *reservations.Bolt {
	t.Helper()
	ctx := context.Background()
	src, err := reservations.OpenBolt(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	for i := range n {
		rec := reservationstest.Record(fmt.Sprintf("key-%05d", i), i)
		rec.Created = rec.Created.Add(789 * time.Nanosecond)
		if err := src.Create(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if _, err := src.Release(ctx, rec.Key, rec.Created.Add(time.Hour+999*time.Nanosecond)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return src
}

// TestCopyFromBbolt: every record is copied and verified equal; a
// second run copies nothing; a record changed or added in PostgreSQL is
// a mismatch.
func TestCopyFromBbolt(t *testing.T) {
	ctx := context.Background()
	const n = 1500 // more than a page
	src := boltFilled(t, n)
	pool := pgstoretestMigrated(t)
	dst, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Source != n || r.Copied != n || r.Present != 0 || r.Verified != n {
		t.Fatalf("first run: %v %v", r, err)
	}
	got, err := dst.Get(ctx, "key-00003")
	want, _ := src.Get(ctx, "key-00003") // released
	want.Created, want.Released = want.Created.Truncate(time.Microsecond), want.Released.Truncate(time.Microsecond)
	if err != nil || want.Released.IsZero() || !got.Equal(want) {
		t.Errorf("copied record: %+v %v, source %+v", got, err, want)
	}
	r, err = CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != 0 || r.Present != n || r.Verified != n {
		t.Errorf("second run: %v %v", r, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE reservations SET quantity = quantity + 1 WHERE key = 'key-00100'`); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) {
		t.Errorf("a record changed in PostgreSQL: %v, want ErrCopyMismatch", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE reservations SET quantity = quantity - 1 WHERE key = 'key-00100'`); err != nil {
		t.Fatal(err)
	}
	if err := dst.Create(ctx, reservationstest.Record("zz-other", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) {
		t.Errorf("PostgreSQL holding a record bbolt lacks: %v, want ErrCopyMismatch", err)
	}
}

// TestCopyFromContinues: a run interrupted after its first page (each
// page commits whole) is continued by the next, which copies the rest.
func TestCopyFromContinues(t *testing.T) {
	ctx := context.Background()
	const n = 1500
	src := boltFilled(t, n)
	pool := pgstoretestMigrated(t)
	dst, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); err != nil {
		t.Fatal(err)
	}
	// The state an interruption after the first page leaves.
	if _, err := pool.Exec(ctx, `DELETE FROM reservations WHERE key >= 'key-01000'`); err != nil {
		t.Fatal(err)
	}
	r, err := CopyFrom(ctx, src, dst)
	if err != nil || r.Copied != n-copyPage || r.Present != copyPage || r.Verified != n {
		t.Errorf("continuing: %v %v", r, err)
	}
}
