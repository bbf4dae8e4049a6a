package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/broadcast/broadcasttest"
	"github.com/dockside-edi/dockside/cluster"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/cluster/postgres/leasetest"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/jackc/pgx/v5/pgxpool"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

func openStore(t *testing.T) broadcast.Store {
	s, err := Open(context.Background(), pgstoretest.Migrated(t, &pg, Migrations))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestContract runs the broadcast.Store contract suite on PostgreSQL.
func TestContract(t *testing.T) { broadcasttest.RunStoreContract(t, openStore) }

func TestOpenRefusesUnmigrated(t *testing.T) {
	ctx := context.Background()
	pool, err := pgstore.Open(ctx, pg.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := Open(ctx, pool); !errors.Is(err, pgstore.ErrSchemaBehind) {
		t.Errorf("Open on an empty database: %v", err)
	}
}

// BenchmarkStoreFullAdvice100k is broadcasttest.BenchFullAdvice on
// PostgreSQL, 100,000 figures.
func BenchmarkStoreFullAdvice100k(b *testing.B) {
	broadcasttest.BenchFullAdvice(b, func(b *testing.B) broadcast.Store {
		s, err := Open(context.Background(), pgstoretest.Migrated(b, &pg, Migrations))
		if err != nil {
			b.Fatal(err)
		}
		return s
	}, 100_000)
}

// TestNodesUpdateAtOnce: two nodes (each its own pool) delivering the
// broadcasts of two partners at once, in opposite orders, all succeed
// (no deadlock), and both read the same beliefs.
func TestNodesUpdateAtOnce(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	other, err := pgxpool.New(ctx, pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	a, _ := Open(ctx, pool)
	b, err := Open(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	const rounds = 20
	var shop, mall []uint64
	for i := range rounds {
		for _, p := range []string{"shop", "mall"} {
			bc := broadcast.Broadcast{Partner: p, Mode: broadcast.ModeDelta, Seq: uint64(i + 1), Delivery: broadcast.DeliveryQueued}
			if err := a.Record(ctx, &bc, []mapping.AdviceLine{{SKU: fmt.Sprint("SKU", i%3), Quantity: int64(i)}}); err != nil {
				t.Fatal(err)
			}
			if p == "shop" {
				shop = append(shop, bc.ID)
			} else {
				mall = append(mall, bc.ID)
			}
		}
	}
	delivered := broadcast.Fate{Delivery: broadcast.DeliveryDelivered}
	var wg sync.WaitGroup
	for k, s := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				first, second := shop[i], mall[i]
				if k == 1 {
					first, second = second, first
				}
				if err := s.UpdateMany([]broadcast.FateUpdate{{ID: first, Fate: delivered}, {ID: second, Fate: delivered}}); err != nil {
					t.Errorf("node %d: %v", k, err)
				}
			}
		}()
	}
	wg.Wait()
	for _, s := range []*Store{a, b} {
		held, err := s.Believes("shop")
		if err != nil || len(held) != 3 || held["SKU1"] != 19 {
			t.Errorf("held %v, %v", held, err)
		}
		if open, _ := s.Open(); len(open) != 0 {
			t.Errorf("%d broadcasts still open", len(open))
		}
	}
}

// TestRecordFenced: leader-only work's Record commits only under the
// current leadership term: after another node took the lease over, the
// deposed leader's Record fails with cluster.ErrFenced and records
// nothing; the new leader's, and a Record outside leader-only work,
// land.
func TestRecordFenced(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations, clusterpg.Migrations)
	s, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	old, current := leasetest.Takeover(t, pool, "leader") // a's term ran out (a stopped, say) and b took over
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		fenced bool
	}{
		{"the deposed leader", cluster.WithTerm(ctx, old), true},
		{"the new leader", cluster.WithTerm(ctx, current), false},
		{"outside leader-only work", ctx, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := s.List("shop", 1000)
			bc := broadcast.Broadcast{Partner: "shop", Mode: broadcast.ModeDelta, Seq: 1, Delivery: broadcast.DeliveryQueued}
			err := s.Record(tc.ctx, &bc, []mapping.AdviceLine{{SKU: "A", Quantity: 5}})
			after, _ := s.List("shop", 1000)
			if tc.fenced {
				if !errors.Is(err, cluster.ErrFenced) || len(after) != len(before) {
					t.Errorf("Record: %v, broadcasts %d → %d; want ErrFenced and nothing recorded", err, len(before), len(after))
				}
				return
			}
			if err != nil || len(after) != len(before)+1 {
				t.Errorf("Record: %v, broadcasts %d → %d; want one recorded", err, len(before), len(after))
			}
		})
	}
}

// BenchmarkRecordFenced records a delta advice of 100 figures outside
// leader-only work and under the leader's term (fenced): the fence's
// cost in Record is the difference.
func BenchmarkRecordFenced(b *testing.B) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(b, &pg, Migrations, clusterpg.Migrations)
	s, err := Open(ctx, pool)
	if err != nil {
		b.Fatal(err)
	}
	l, err := clusterpg.New(ctx, pool, "leader", "node-a", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	term, err := l.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	lines := make([]mapping.AdviceLine, 100)
	for i := range lines {
		lines[i] = mapping.AdviceLine{SKU: fmt.Sprintf("SKU-%03d", i), Quantity: int64(i)}
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{{"unfenced", ctx}, {"fenced", cluster.WithTerm(ctx, term)}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				bc := broadcast.Broadcast{Partner: "shop", Mode: broadcast.ModeDelta, Seq: 1, Delivery: broadcast.DeliveryQueued}
				if err := s.Record(tc.ctx, &bc, lines); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// TestPartnerLockLost: a partner lock whose connection ends (a node that
// dies, or PostgreSQL ending the session) is released for the others,
// and its holder learns it (Held wraps broadcast.ErrLockLost) before it
// records or queues anything more.
func TestPartnerLockLost(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	s, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.LockPartner(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	pid := l.(*partnerLock).conn.PgConn().PID()
	if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	if err := l.Held(ctx); !errors.Is(err, broadcast.ErrLockLost) {
		t.Errorf("Held after its connection ended: %v, want ErrLockLost", err)
	}
	// pg_terminate_backend only signals: the backend ends, and its lock
	// with it, soon after.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, err := s.Building(ctx, "shop")
		if err != nil {
			t.Fatal(err)
		}
		if !b {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lock still held 10 s after its connection ended")
		}
	}
	other, err := s.LockPartner(ctx, "shop")
	if err != nil {
		t.Fatalf("locking after the holder's connection ended: %v", err)
	}
	other.Release()
}

// BenchmarkPartnerLock is what the partner lock adds to each advice on
// PostgreSQL: its connection opened, the row locked, the two checks
// (Held) before Record and before queueing, the release; and the
// follow-up's Building check of a broadcast not yet queued.
func BenchmarkPartnerLock(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, pgstoretest.Migrated(b, &pg, Migrations))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("lock", func(b *testing.B) {
		for b.Loop() {
			l, err := s.LockPartner(ctx, "shop")
			if err != nil {
				b.Fatal(err)
			}
			for range 2 {
				if err := l.Held(ctx); err != nil {
					b.Fatal(err)
				}
			}
			l.Release()
		}
		b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/advice")
	})
	b.Run("building", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Building(ctx, "shop"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/check")
	})
}
