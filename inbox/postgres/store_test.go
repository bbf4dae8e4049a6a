package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/inbox/inboxtest"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// migrated returns a pool on a new, migrated database.
func migrated(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return pgstoretest.Migrated(t, &pg, Migrations)
}

// node opens a store on pool as one gateway node, with its own pool
// when separate (as another process would have).
func node(t testing.TB, pool *pgxpool.Pool, separate bool, opts *Options) *Store {
	t.Helper()
	if separate {
		p, err := pgxpool.New(context.Background(), pool.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		pool = p
	}
	s, err := Open(context.Background(), pool, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openStore(t testing.TB, now func() time.Time, maxSize int64) inbox.Storage {
	return node(t, migrated(t), false, &Options{Now: now, MaxSize: maxSize})
}

func TestContract(t *testing.T) { inboxtest.Run(t, openStore) }

// BenchmarkReceiveClaimFinish is inboxtest.Bench on PostgreSQL.
func BenchmarkReceiveClaimFinish(b *testing.B) { inboxtest.Bench(b, openStore) }

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

// TestBodiesAcrossNodes: a file of several chunks received on one node
// reads back byte for byte on another.
func TestBodiesAcrossNodes(t *testing.T) {
	pool := migrated(t)
	a, b := node(t, pool, false, nil), node(t, pool, true, nil)
	body := bytes.Repeat([]byte("0123456789abcdef"), (3*chunkSize+12345)/16)
	m, err := a.Receive(context.Background(), inbox.Arrival{Partner: "acme", Name: "big.edi"}, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := b.Body(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, body) || m.Size != int64(len(body)) {
		t.Errorf("read %d bytes of %d (size %d): %v", len(got), len(body), m.Size, err)
	}
	// Bytes purged while a reader is at them: an error, not a short body.
	rc, err = b.Body(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), `DELETE FROM inbox_bodies WHERE blob = (SELECT blob FROM inbox_messages WHERE id = $1)`, int64(m.ID)); err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, rc); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read %d more bytes after the purge: %v", n, err)
	}
}

// TestClaimsAcrossNodes: three nodes with four workers each claim 150
// messages: each is claimed and finished exactly once.
func TestClaimsAcrossNodes(t *testing.T) {
	pool := migrated(t)
	nodes := []*Store{node(t, pool, false, nil), node(t, pool, true, nil), node(t, pool, true, nil)}
	const n = 150
	for i := range n {
		if _, err := nodes[i%3].Receive(context.Background(), inbox.Arrival{Partner: fmt.Sprintf("p%d", i%5), Name: "f"},
			strings.NewReader(fmt.Sprintf("message %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claimed := map[uint64]int{}
	var wg sync.WaitGroup
	for _, s := range nodes {
		for range 4 {
			wg.Go(func() {
				for {
					m, err := s.Claim()
					if errors.Is(err, inbox.ErrEmptyQueue) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					claimed[m.ID]++
					mu.Unlock()
					if err := s.Finish(m.ID, inbox.Outcome{State: inbox.Done}); err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
	wg.Wait()
	if len(claimed) != n {
		t.Errorf("%d messages claimed, want %d", len(claimed), n)
	}
	for id, c := range claimed {
		if c != 1 {
			t.Errorf("message %d claimed %d times", id, c)
		}
	}
	if c, err := nodes[0].Counts(); err != nil || c["p0"][inbox.Done] != n/5 {
		t.Errorf("counts %v %v", c, err)
	}
}

// TestLeaseTakeover: a node that dies holding a claim loses it after the
// lease; another node takes the message, counting the interruption, and
// the dead node's late outcome is refused.
func TestLeaseTakeover(t *testing.T) {
	pool := migrated(t)
	lease := 500 * time.Millisecond
	dead := node(t, pool, true, &Options{Lease: lease, Node: "dead"})
	alive := node(t, pool, true, &Options{Lease: lease, Node: "alive"})
	m, err := dead.Receive(context.Background(), inbox.Arrival{Partner: "acme", Name: "a.edi"}, strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dead.Claim(); err != nil {
		t.Fatal(err)
	}
	// While the lease holds (renewed), the other node finds nothing.
	if _, err := alive.Claim(); !errors.Is(err, inbox.ErrEmptyQueue) {
		t.Fatalf("claim during the lease: %v", err)
	}
	dead.Close() // stops renewing, as a killed process would
	var got *inbox.Message
	for deadline := time.Now().Add(30 * time.Second); got == nil && time.Now().Before(deadline); {
		if got, err = alive.Claim(); errors.Is(err, inbox.ErrEmptyQueue) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got == nil || got.ID != m.ID || got.Attempts != 2 || got.Interrupted != 1 {
		t.Fatalf("taken over: %+v", got)
	}
	if err := dead.Finish(m.ID, inbox.Outcome{State: inbox.Done}); !errors.Is(err, inbox.ErrState) {
		t.Errorf("the dead node's late outcome: %v", err)
	}
	if err := alive.Finish(m.ID, inbox.Outcome{State: inbox.Done}); err != nil {
		t.Fatal(err)
	}
	if final, _ := alive.Get(m.ID); final.State != inbox.Done || len(final.History) != 1 {
		t.Errorf("final %+v", final)
	}
}

// TestLeaseRenewed: a claim held longer than its lease by a live node
// is not taken over.
func TestLeaseRenewed(t *testing.T) {
	pool := migrated(t)
	lease := 300 * time.Millisecond
	a := node(t, pool, true, &Options{Lease: lease})
	b := node(t, pool, true, &Options{Lease: lease})
	m, _ := a.Receive(context.Background(), inbox.Arrival{Name: "a"}, strings.NewReader("x"))
	if _, err := a.Claim(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * lease)
	if got, err := b.Claim(); !errors.Is(err, inbox.ErrEmptyQueue) {
		t.Fatalf("another node took a claim being renewed: %+v %v", got, err)
	}
	if err := a.Finish(m.ID, inbox.Outcome{State: inbox.Done}); err != nil {
		t.Fatal(err)
	}
}

// TestSameBytesOnTwoNodes: the same file received at once on several
// nodes is one message and duplicates of it.
func TestSameBytesOnTwoNodes(t *testing.T) {
	pool := migrated(t)
	nodes := []*Store{node(t, pool, false, nil), node(t, pool, true, nil), node(t, pool, true, nil)}
	var wg sync.WaitGroup
	msgs := make([]*inbox.Message, 6)
	for i := range msgs {
		wg.Go(func() {
			m, err := nodes[i%3].Receive(context.Background(), inbox.Arrival{Partner: "acme", Name: "same.edi"}, strings.NewReader("same bytes"))
			if err != nil {
				t.Error(err)
			}
			msgs[i] = m
		})
	}
	wg.Wait()
	originals := 0
	for _, m := range msgs {
		if m != nil && m.State == inbox.Received {
			originals++
		}
	}
	if originals != 1 {
		t.Errorf("%d originals of the same bytes", originals)
	}
	if n, _ := nodes[0].Waiting(); n != 1 {
		t.Errorf("%d waiting", n)
	}
}

// failingReader yields n bytes, then an error: an upload cut off.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("connection reset")
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

// TestCutUploadsLeaveNoBytes: a large file cut off, or over the size
// limit, after chunks were written leaves no blob behind; a blob left by
// a crash between chunks is purged a day later.
func TestCutUploadsLeaveNoBytes(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	s := node(t, pool, false, &Options{MaxSize: 2*chunkSize + 10})
	if _, err := s.Receive(ctx, inbox.Arrival{Name: "cut.edi"}, &failingReader{n: 2*chunkSize + 5}); err == nil {
		t.Fatal("a cut upload was recorded")
	}
	if _, err := s.Receive(ctx, inbox.Arrival{Name: "big.edi"}, bytes.NewReader(make([]byte, 3*chunkSize))); !errors.Is(err, inbox.ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	blobs := func() (n int) {
		pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM inbox_blobs) + (SELECT count(*) FROM inbox_bodies)`).Scan(&n)
		return n
	}
	if n := blobs(); n != 0 {
		t.Errorf("%d blob and chunk rows left by refused uploads", n)
	}
	// A crash between chunks: the blob stays until Purge finds it a day old.
	if _, err := pool.Exec(ctx, `INSERT INTO inbox_blobs (created_at) VALUES (now() - interval '25 hours'), (now())`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Purge(time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := blobs(); n != 1 {
		t.Errorf("%d blobs after the purge, want the recent one only", n)
	}
}

// TestFinishAndClaimAcrossNodes: three nodes with four workers each
// chain their claims (FinishAndClaim) through 150 messages of five
// partners: each is claimed and finished exactly once, and a node's
// chained claims take turns between partners.
func TestFinishAndClaimAcrossNodes(t *testing.T) {
	pool := migrated(t)
	nodes := []*Store{node(t, pool, false, nil), node(t, pool, true, nil), node(t, pool, true, nil)}
	const n = 150
	for i := range n {
		if _, err := nodes[i%3].Receive(context.Background(), inbox.Arrival{Partner: fmt.Sprintf("p%d", i%5), Name: "f"},
			strings.NewReader(fmt.Sprintf("message %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claimed := map[uint64]int{}
	var wg sync.WaitGroup
	for _, s := range nodes {
		for range 4 {
			wg.Go(func() {
				m, err := s.Claim()
				for err == nil && m != nil {
					mu.Lock()
					claimed[m.ID]++
					mu.Unlock()
					m, err = s.FinishAndClaim(m.ID, inbox.Outcome{State: inbox.Done})
				}
				if err != nil && !errors.Is(err, inbox.ErrEmptyQueue) {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	if len(claimed) != n {
		t.Errorf("%d messages claimed, want %d", len(claimed), n)
	}
	for id, c := range claimed {
		if c != 1 {
			t.Errorf("message %d claimed %d times", id, c)
		}
	}
	if c, err := nodes[0].Counts(); err != nil || c["p0"][inbox.Done] != n/5 || c["p4"][inbox.Done] != n/5 {
		t.Errorf("counts %v %v", c, err)
	}
	if w, err := nodes[0].Waiting(); err != nil || w != 0 {
		t.Errorf("%d waiting (%v), want none", w, err)
	}
}

// TestFinishAndClaim: the chained claim goes to the next partner in
// turn and records the claim; a finish refused (a claim this node does
// not hold) claims nothing; an empty queue gives nil.
func TestFinishAndClaim(t *testing.T) {
	pool := migrated(t)
	a, b := node(t, pool, false, nil), node(t, pool, true, nil)
	ctx := context.Background()
	for i, p := range []string{"acme", "acme", "bolt"} {
		if _, err := a.Receive(ctx, inbox.Arrival{Partner: p, Name: "f"}, strings.NewReader(fmt.Sprintf("file %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	first, err := a.Claim()
	if err != nil || first.Partner != "acme" {
		t.Fatalf("first claim %+v, %v", first, err)
	}
	// Another node finishing a claim it does not hold: refused, and the
	// message it would have claimed stays free.
	if next, err := b.FinishAndClaim(first.ID, inbox.Outcome{State: inbox.Done}); !errors.Is(err, inbox.ErrState) || next != nil {
		t.Fatalf("FinishAndClaim of another node's claim: %v, %v", next, err)
	}
	if w, _ := a.Waiting(); w != 2 {
		t.Errorf("%d waiting after a refused finish, want 2", w)
	}
	next, err := a.FinishAndClaim(first.ID, inbox.Outcome{State: inbox.Done})
	if err != nil || next == nil || next.Partner != "bolt" || next.State != inbox.Processing || next.Attempts != 1 {
		t.Fatalf("chained claim %+v, %v; want bolt's message, processing", next, err)
	}
	if got, _ := a.Get(next.ID); got.State != inbox.Processing {
		t.Errorf("chained claim recorded as %s", got.State)
	}
	if got, _ := a.Get(first.ID); got.State != inbox.Done {
		t.Errorf("finished message recorded as %s", got.State)
	}
	last, err := a.FinishAndClaim(next.ID, inbox.Outcome{State: inbox.Failed, Errors: []inbox.Problem{{Msg: "bad"}}})
	if err != nil || last == nil || last.Partner != "acme" {
		t.Fatalf("second chained claim %+v, %v; want acme's second message", last, err)
	}
	if none, err := a.FinishAndClaim(last.ID, inbox.Outcome{State: inbox.Done}); err != nil || none != nil {
		t.Errorf("FinishAndClaim on an empty queue: %+v, %v", none, err)
	}
	// The failed message let go of its content: the same bytes again are
	// new work, not a duplicate.
	again, err := b.Receive(ctx, inbox.Arrival{Partner: "bolt", Name: "f"}, strings.NewReader("file 2"))
	if err != nil || again.State != inbox.Received {
		t.Errorf("resend of a failed file: %+v, %v", again, err)
	}
	dup, err := b.Receive(ctx, inbox.Arrival{Partner: "acme", Name: "f"}, strings.NewReader("file 0"))
	if err != nil || dup.State != inbox.Duplicate || dup.DuplicateOf != first.ID {
		t.Errorf("resend of a done file: %+v, %v; want a duplicate of %d", dup, err, first.ID)
	}
}
