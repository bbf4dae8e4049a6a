package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/ledger"
)

// TestNodesPostConcurrently runs three nodes (each its own pool, as three
// processes) posting overlapping documents at once: every node posts
// every document, so each source key races on all three. Each key must
// be recorded exactly once, the balances must be the sum of the
// documents, and the change sequence must be 1..n without gaps.
func TestNodesPostConcurrently(t *testing.T) {
	pool := migrated(t)
	nodes := []*Store{node(t, pool, true, nil), node(t, pool, true, nil), node(t, pool, true, nil)}
	const docs, per = 60, 6
	all := make([]ledger.Document, docs)
	want := map[ledger.Position]int64{}
	for d := range all {
		all[d].Key = fmt.Sprintf("doc-%d", d)
		for i := range per {
			m := ledger.Movement{
				SourceKey: fmt.Sprintf("doc-%d/%d", d, i), SKU: fmt.Sprintf("S%d", (d*per+i)%7), Location: fmt.Sprintf("L%d", i%2),
				Kind: ledger.KindReceipt, Quantity: int64(1 + i),
			}
			all[d].Movements = append(all[d].Movements, m)
			want[ledger.Position{SKU: m.SKU, Location: m.Location}] += m.Quantity
		}
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	posted := map[string]int{}
	for n, s := range nodes {
		for w := range 4 {
			wg.Go(func() {
				for i := range all {
					d := all[(i+n*17+w*5)%docs]
					res, err := s.Post(ctx, d)
					if err != nil {
						t.Errorf("node %d: %v", n, err)
						return
					}
					mu.Lock()
					posted[d.Key] += res.Posted
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	for _, d := range all {
		if posted[d.Key] != per {
			t.Errorf("%s: %d movements posted across the nodes, want %d", d.Key, posted[d.Key], per)
		}
	}
	for pos, q := range want {
		b, err := nodes[0].Balance(ctx, pos.SKU, pos.Location)
		if err != nil {
			t.Fatal(err)
		}
		if b.OnHand != q {
			t.Errorf("%s at %s: %d, want %d", pos.SKU, pos.Location, b.OnHand, q)
		}
	}
	changes, err := nodes[1].ChangesSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for i, c := range changes {
		if c.Seq != uint64(i+1) {
			t.Fatalf("change %d has sequence number %d", i, c.Seq)
		}
		total += len(c.Movements)
	}
	if total != docs*per {
		t.Errorf("%d movements in the changes, want %d", total, docs*per)
	}
}

// TestReadersNeverSkipASequenceNumber reads the changes while three
// nodes post: a reader that goes on from the last sequence number it saw
// must see every posting exactly once, in order. (With sequence numbers
// that commit out of order, a reader would pass a number whose posting
// commits later and never see it.)
func TestReadersNeverSkipASequenceNumber(t *testing.T) {
	pool := migrated(t)
	nodes := []*Store{node(t, pool, true, nil), node(t, pool, true, nil), node(t, pool, true, nil)}
	reader := node(t, pool, true, nil)
	ctx := context.Background()
	const perWorker = 40
	done := make(chan struct{})
	var wg sync.WaitGroup
	for n, s := range nodes {
		for w := range 3 {
			wg.Go(func() {
				for i := range perWorker {
					key := fmt.Sprintf("n%d/w%d/%d", n, w, i)
					ms := []ledger.Movement{{SourceKey: key, SKU: fmt.Sprintf("S%d", i%5), Location: "WH", Kind: ledger.KindReceipt, Quantity: 1}}
					if _, err := s.Post(ctx, ledger.Document{Key: key, Movements: ms}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	go func() { wg.Wait(); close(done) }()
	var last uint64
	seen := 0
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true // one more read after the last commit
		default:
		}
		changes, err := reader.ChangesSince(ctx, last, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range changes {
			if c.Seq != last+1 {
				t.Fatalf("after %d the reader got %d", last, c.Seq)
			}
			last = c.Seq
			seen += len(c.Movements)
		}
		if len(changes) == 7 {
			finished = false // more to read
		}
		if len(changes) == 0 && !finished {
			time.Sleep(time.Millisecond)
		}
	}
	if want := len(nodes) * 3 * perWorker; seen != want {
		t.Fatalf("the reader saw %d movements, want %d", seen, want)
	}
}

// TestVerifyFindsTampering changes a balance and an allocation behind the
// ledger's back: Verify must report both.
func TestVerifyFindsTampering(t *testing.T) {
	pool := migrated(t)
	s, err := Open(context.Background(), pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	_, err = s.Post(ctx, ledger.Document{Key: "d", Movements: []ledger.Movement{
		{SourceKey: "1", SKU: "A", Location: "WH", Kind: ledger.KindReceipt, Quantity: 5},
		{SourceKey: "2", SKU: "A", Location: "WH", Kind: ledger.KindAllocate, Quantity: 2, Reference: ledger.Reference{Order: "SO1"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(ctx); err != nil {
		t.Fatalf("verify before: %v", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE ledger_positions SET on_hand = 6`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE ledger_allocations SET quantity = 3`); err != nil {
		t.Fatal(err)
	}
	err = s.Verify(ctx)
	if !errors.Is(err, ledger.ErrCorrupt) {
		t.Fatalf("verify after tampering: %v", err)
	}
	for _, want := range []string{"not the sum of its movements", "not the sum of the orders' allocations"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("verify after tampering: %v; want a problem saying %q", err, want)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE ledger_positions SET on_hand = 5; UPDATE ledger_allocations SET quantity = 2`); err != nil {
		t.Fatal(err)
	}
}

// TestCommittedWakesReaders: a reader waiting on one node's Committed
// wakes when another node posts, and when its store closes.
func TestCommittedWakesReaders(t *testing.T) {
	pool := migrated(t)
	reader := node(t, pool, true, &Options{Poll: 20 * time.Millisecond})
	writer := node(t, pool, true, nil)
	ctx := context.Background()
	wake := reader.Committed()
	select {
	case <-wake:
		t.Fatal("woken before any posting")
	default:
	}
	ms := []ledger.Movement{{SourceKey: "k1", SKU: "A", Location: "WH", Kind: ledger.KindReceipt, Quantity: 1}}
	if _, err := writer.Post(ctx, ledger.Document{Key: "d1", Movements: ms}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wake:
	case <-time.After(30 * time.Second):
		t.Fatal("another node's posting did not wake the reader")
	}
	if ch, err := reader.ChangesSince(ctx, 0, 0); err != nil || len(ch) != 1 {
		t.Fatalf("changes %v %v", ch, err)
	}
	own := writer.Committed()
	ms[0].SourceKey = "k2"
	if _, err := writer.Post(ctx, ledger.Document{Key: "d2", Movements: ms}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-own:
	default:
		t.Fatal("the node's own posting did not wake its reader at once")
	}
	last := reader.Committed()
	reader.Close()
	select {
	case <-last:
	default:
		t.Fatal("closing did not wake the reader")
	}
	select {
	case <-reader.Committed():
	default:
		t.Fatal("Committed after Close is not closed")
	}
}
