package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/cluster"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/cluster/postgres/leasetest"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/outbox/outboxtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// node opens an outbox on pool as one gateway node, with a pool of its
// own when separate (as another process would have).
func node(t testing.TB, pool *pgxpool.Pool, separate bool, opts Options) *Store {
	t.Helper()
	if separate {
		p, err := pgxpool.New(context.Background(), pool.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		pool = p
	}
	s, err := Open(context.Background(), pool, &opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// expireLeases makes every claim's lease run out, as the lease time
// passing would.
func expireLeases(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `UPDATE outbox_messages SET lease_until = now() - interval '1 second' WHERE state = 'sending'`); err != nil {
		t.Fatal(err)
	}
}

func factory() outboxtest.Factory {
	return outboxtest.Factory{
		Open: func(t *testing.T, opts outbox.Options) outbox.Storage {
			return node(t, pgstoretest.Migrated(t, &pg, Migrations), false, Options{Options: opts})
		},
		// A restart on a shared database: the node is gone, its claims
		// run out, another node goes on.
		Restart: func(t *testing.T, s outbox.Storage, opts outbox.Options) outbox.Storage {
			st := s.(*Store)
			st.Close()
			expireLeases(t, st.pool)
			return node(t, st.pool, true, Options{Options: opts})
		},
	}
}

// TestContract runs the outbox.Storage contract suite on PostgreSQL.
func TestContract(t *testing.T) { outboxtest.Run(t, factory()) }

func TestOpenRefusesUnmigrated(t *testing.T) {
	ctx := context.Background()
	pool, err := pgstore.Open(ctx, pg.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := Open(ctx, pool, nil); !errors.Is(err, pgstore.ErrSchemaBehind) {
		t.Errorf("Open on an empty database: %v", err)
	}
}

// TestNodesSendEachMessageOnce: three nodes, each with its own pool,
// dispatching the same outbox at once: every message is sent exactly
// once, by one of them.
func TestNodesSendEachMessageOnce(t *testing.T) {
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	first := node(t, pool, false, Options{})
	const n = 150
	for i := range n {
		if _, err := first.Enqueue(&outbox.Message{Partner: fmt.Sprintf("p%d", i%5), Transport: "folder", Name: fmt.Sprintf("f%d", i)}, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	sent := map[uint64][]string{}
	var wg sync.WaitGroup
	for k := range 3 {
		s := first
		if k > 0 {
			s = node(t, pool, true, Options{})
		}
		name := fmt.Sprint("node", k)
		d := &outbox.Dispatcher{Store: s, Senders: map[string]outbox.Sender{
			"folder": outbox.SenderFunc(func(_ context.Context, m *outbox.Message, _ []byte) (outbox.Receipt, error) {
				mu.Lock()
				sent[m.ID] = append(sent[m.ID], name)
				mu.Unlock()
				return outbox.Receipt{Text: "written"}, nil
			}),
		}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := d.SendDue(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(sent) != n {
		t.Errorf("%d messages sent, want %d", len(sent), n)
	}
	for id, by := range sent {
		if len(by) != 1 {
			t.Errorf("message %d sent by %v", id, by)
		}
	}
	if pending, dead, err := first.Backlog(); pending != 0 || dead != 0 || err != nil {
		t.Errorf("backlog %d pending, %d dead, %v", pending, dead, err)
	}
}

// TestDeadNodesClaimsAreTakenOver: a node that claimed a message and
// stopped (no renewal) loses it once its lease runs out; another node
// sends it, and the first node's late outcome is refused. A node that
// keeps renewing keeps its claim past the lease.
func TestDeadNodesClaimsAreTakenOver(t *testing.T) {
	// Long enough that a loaded machine renews b's claim in time and
	// reaches the first check well within a's lease.
	const lease = 3 * time.Second
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	a := node(t, pool, true, Options{Lease: lease, Node: "a"})
	b := node(t, pool, true, Options{Lease: lease, Node: "b"})
	dead, _ := a.Enqueue(&outbox.Message{Partner: "shop", Transport: "as2"}, []byte("x"))
	alive, _ := a.Enqueue(&outbox.Message{Partner: "shop", Transport: "as2"}, []byte("y"))
	if due, _ := a.Due(1); len(due) != 1 || due[0].ID != dead {
		t.Fatalf("a claimed %+v", due)
	}
	if due, _ := b.Due(1); len(due) != 1 || due[0].ID != alive {
		t.Fatalf("b claimed %+v", due)
	}
	a.Close() // a dies: its claim is no longer renewed
	if due, _ := b.Due(10); len(due) != 0 {
		t.Fatalf("claims taken before their lease ran out: %+v", due)
	}
	var due []*outbox.Message
	for deadline := time.Now().Add(30 * time.Second); len(due) == 0 && time.Now().Before(deadline); {
		time.Sleep(lease / 4)
		var err error
		if due, err = b.Due(10); err != nil {
			t.Fatal(err)
		}
	}
	// Only the dead node's claim: b renewed its own.
	if len(due) != 1 || due[0].ID != dead || due[0].Attempts != 2 || due[0].LastError == "" {
		t.Fatalf("taken over: %+v", due)
	}
	if err := a.Succeeded(dead, outbox.Receipt{Text: "late"}); !errors.Is(err, outbox.ErrState) {
		t.Errorf("the dead node's late outcome: %v, want ErrState", err)
	}
	for _, id := range []uint64{dead, alive} {
		if err := b.Succeeded(id, outbox.Receipt{Text: "ok"}); err != nil {
			t.Errorf("message %d: %v", id, err)
		}
	}
	if m, _ := b.Get(dead); m.State != outbox.Delivered || m.Receipt != "ok" {
		t.Errorf("taken-over message: %s %q", m.State, m.Receipt)
	}
}

// TestControlNumbersAcrossNodes: nodes reserving a partner's control
// numbers at once never get the same one.
func TestControlNumbersAcrossNodes(t *testing.T) {
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	const nodes, each = 3, 50
	got := make([][]int64, nodes)
	var wg sync.WaitGroup
	for k := range nodes {
		s := node(t, pool, true, Options{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				n, err := s.NextControl("shop", outbox.ControlInterchange)
				if err != nil {
					t.Error(err)
					return
				}
				got[k] = append(got[k], n)
			}
		}()
	}
	wg.Wait()
	seen := map[int64]bool{}
	for _, ns := range got {
		for _, n := range ns {
			if seen[n] {
				t.Errorf("control number %d handed out twice", n)
			}
			seen[n] = true
		}
	}
	for n := int64(1); n <= nodes*each; n++ {
		if !seen[n] {
			t.Errorf("control number %d skipped", n)
		}
	}
}

func openBench(b *testing.B, opts outbox.Options) outbox.Storage {
	return node(b, pgstoretest.Migrated(b, &pg, Migrations), false, Options{Options: opts})
}

// BenchmarkHealth is outboxtest.BenchHealth on PostgreSQL, 20,000
// messages.
func BenchmarkHealth(b *testing.B) { outboxtest.BenchHealth(b, openBench, 20_000) }

// BenchmarkSend is outboxtest.BenchSend on PostgreSQL.
func BenchmarkSend(b *testing.B) { outboxtest.BenchSend(b, openBench) }

// TestEnqueueFenced: leader-only work's enqueue commits only under the
// current leadership term: after another node took the lease over, the
// deposed leader's EnqueueContext fails with cluster.ErrFenced and
// queues nothing; the new leader's, and an enqueue outside leader-only
// work, are queued.
func TestEnqueueFenced(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations, clusterpg.Migrations)
	s := node(t, pool, false, Options{})
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
			key := "advice-" + tc.name
			id, err := s.EnqueueContext(tc.ctx, &outbox.Message{Key: key, Partner: "shop", Transport: "folder", Kind: "846"}, []byte("x"))
			got, lerr := s.Lookup(key)
			if lerr != nil {
				t.Fatal(lerr)
			}
			if tc.fenced {
				if !errors.Is(err, cluster.ErrFenced) || id != 0 || got != 0 {
					t.Errorf("EnqueueContext: %d, %v; lookup %d; want ErrFenced and nothing queued", id, err, got)
				}
				return
			}
			if err != nil || id == 0 || got != id {
				t.Errorf("EnqueueContext: %d, %v; lookup %d; want it queued", id, err, got)
			}
		})
	}
}
