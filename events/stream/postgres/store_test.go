package postgres

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/cluster"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/events/stream/streamtest"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

func TestContract(t *testing.T) {
	streamtest.Run(t, func(t *testing.T) func() stream.CursorStore {
		pool := pgstoretest.Migrated(t, &pg, Migrations)
		return func() stream.CursorStore {
			s, err := Open(context.Background(), pool, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	})
}

func TestOpenRefusesUnmigrated(t *testing.T) {
	ctx := context.Background()
	pool, err := pgstore.Open(ctx, pg.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := Open(ctx, pool, Options{}); !errors.Is(err, pgstore.ErrSchemaBehind) {
		t.Errorf("Open on an empty database: %v", err)
	}
}

// fenceTerm is the gateway's fence: the term ctx carries, if any.
func fenceTerm(ctx context.Context, tx pgx.Tx) error {
	if _, ok := cluster.TermFrom(ctx); !ok {
		return nil
	}
	return clusterpg.FenceContext(ctx, tx)
}

// TestDeposedLeaderCannotMoveACursor: two nodes share the cursors; the
// leader's relay saves under its term; once another node took over, the
// old term's saves are refused (ErrFenced) and the cursor stays where
// the new leader put it, forwards or backwards.
func TestDeposedLeaderCannotMoveACursor(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations, clusterpg.Migrations)
	const ttl = time.Second
	la, err := clusterpg.New(ctx, pool, "leader", "node-a", ttl)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := clusterpg.New(ctx, pool, "leader", "node-b", ttl)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(ctx, pool, Options{Fence: fenceTerm})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, pool, Options{Fence: fenceTerm})
	if err != nil {
		t.Fatal(err)
	}
	ta, err := la.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	actx := cluster.WithTerm(ctx, ta)
	if err := a.SetCursor(actx, "nats", 10); err != nil {
		t.Fatalf("the leader's save: %v", err)
	}
	var tb cluster.Term
	for {
		if tb, err = lb.Acquire(ctx); err == nil {
			break
		}
		if !errors.Is(err, cluster.ErrNotLeader) {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	bctx := cluster.WithTerm(ctx, tb)
	cur, err := b.Cursor(bctx, "nats")
	if err != nil || cur != 10 {
		t.Fatalf("the new leader resumes from %d, %v; want 10", cur, err)
	}
	if err := b.SetCursor(bctx, "nats", 12); err != nil {
		t.Fatalf("the new leader's save: %v", err)
	}
	for _, seq := range []uint64{11, 20} { // backwards, forwards
		if err := a.SetCursor(actx, "nats", seq); !errors.Is(err, cluster.ErrFenced) {
			t.Errorf("the deposed leader's save of %d: %v, want ErrFenced", seq, err)
		}
	}
	if cur, err := b.Cursor(ctx, "nats"); err != nil || cur != 12 {
		t.Errorf("cursor after the deposed leader's saves: %d, %v; want 12", cur, err)
	}
	// An operator's write carries no term: not fenced.
	if err := a.SetCursor(ctx, "nats", 5); err != nil {
		t.Errorf("an operator's write: %v", err)
	}
}

// BenchmarkSetCursor: one cursor save, as a relay's saver makes it (at
// most one per 100 ms per subscriber): unfenced, and fenced by the
// leader's term in the same transaction.
func BenchmarkSetCursor(b *testing.B) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(b, &pg, Migrations, clusterpg.Migrations)
	lease, err := clusterpg.New(ctx, pool, "leader", "node-a", time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	term, err := lease.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		o    Options
	}{{"unfenced", Options{}}, {"fenced", Options{Fence: fenceTerm}}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := Open(ctx, pool, bc.o)
			if err != nil {
				b.Fatal(err)
			}
			wctx := cluster.WithTerm(ctx, term)
			seq := uint64(0)
			for b.Loop() {
				seq++
				if err := s.SetCursor(wctx, "nats", seq); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
