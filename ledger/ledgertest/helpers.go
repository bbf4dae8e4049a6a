package ledgertest

import (
	"github.com/dockside-edi/dockside/ledger"

	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// largeDocument is a document size from which *ledger.Ledger sorts the
// source keys beside the commit: documents at least this large take
// another path in a store.
const largeDocument = 4096

// t0 is the tests' reference time.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// at returns t0 plus h hours.
func at(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

// testClock is a clock that moves one second per reading.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

// Open opens an empty store for a test, whose clock for recorded times
// is now. The implementation closes the store when the test ends and
// checks it then (Verify, and whatever else it can check).
type Open func(t testing.TB, now func() time.Time) ledger.Store

// openTest opens an empty store recording at t0 + 100 h and on, one
// second later at each reading of the clock.
func openTest(t testing.TB, open Open) ledger.Store {
	t.Helper()
	clock := &testClock{now: at(100)}
	return open(t, clock.Now)
}

// mustPost posts and fails the test on error.
func mustPost(t testing.TB, l ledger.Store, key string, ms ...ledger.Movement) ledger.PostResult {
	t.Helper()
	res, err := l.Post(context.Background(), ledger.Document{Key: key, Movements: ms})
	if err != nil {
		t.Fatalf("post %s: %v", key, err)
	}
	return res
}

// mustBalance reads a balance and fails the test on error.
func mustBalance(t testing.TB, l ledger.Store, sku, loc string) ledger.Balance {
	t.Helper()
	b, err := l.Balance(context.Background(), sku, loc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seq numbers source keys for tests.
var srcN struct {
	sync.Mutex
	n int
}

func src() string {
	srcN.Lock()
	defer srcN.Unlock()
	srcN.n++
	return fmt.Sprintf("src-%d", srcN.n)
}

// mv builds a movement of sku A1 at WH1 with a fresh source key.
func mv(kind ledger.Kind, qty int64, h float64) ledger.Movement {
	return ledger.Movement{SourceKey: src(), SKU: "A1", Location: "WH1", Kind: kind, Quantity: qty, Effective: at(h)}
}

// with returns m changed by fn.
func with(m ledger.Movement, fn func(*ledger.Movement)) ledger.Movement {
	fn(&m)
	return m
}

// postEach posts each group of movements as one document "doc" and
// returns every movement, in order, and the results.
func postEach(t testing.TB, l ledger.Store, postings [][]ledger.Movement) (all []ledger.Movement, results []ledger.PostResult) {
	t.Helper()
	for _, ms := range postings {
		all = append(all, ms...)
		results = append(results, mustPost(t, l, "doc", ms...))
	}
	return all, results
}

// keysAt returns the source keys of the movements at the given indexes.
func keysAt(all []ledger.Movement, idx []int) []string {
	var keys []string
	for _, i := range idx {
		keys = append(keys, all[i].SourceKey)
	}
	return keys
}

// historyA1 returns the history of A1 at WH1 and the entry of the
// movement with the given source key in it.
func historyA1(t testing.TB, l ledger.Store, key string) ([]ledger.Movement, ledger.Movement) {
	t.Helper()
	hist, err := l.History(context.Background(), "A1", "WH1", ledger.HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(hist, func(m ledger.Movement) bool { return m.SourceKey == key })
	if i < 0 {
		t.Fatalf("movement %s not in history", key)
	}
	return hist, hist[i]
}
