package ledger

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

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

// openTest opens a ledger in a temp folder, recording at t0 + 100 h and
// on. Cleanup closes it and checks the file: bbolt's Tx.Check, then the
// ledger's invariants.
func openTest(t testing.TB) *Ledger {
	t.Helper()
	clock := &testClock{now: at(100)}
	return openTestOpts(t, &Options{Now: clock.Now})
}

func openTestOpts(t testing.TB, opts *Options) *Ledger {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		checkFile(t, path)
	})
	return l
}

// checkFile runs bbolt's Tx.Check and the ledger's Verify on a closed file.
func checkFile(t testing.TB, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("reopening %s for check: %v", path, err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt check: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	if err := db.Close(); err != nil {
		t.Error(err)
	}
	l, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reopening %s: %v", path, err)
	}
	defer l.Close()
	if err := l.Verify(context.Background()); err != nil {
		t.Errorf("verify: %v", err)
	}
}

// mustPost posts and fails the test on error.
func mustPost(t testing.TB, l *Ledger, key string, ms ...Movement) PostResult {
	t.Helper()
	res, err := l.Post(context.Background(), Document{Key: key, Movements: ms})
	if err != nil {
		t.Fatalf("post %s: %v", key, err)
	}
	return res
}

// mustBalance reads a balance and fails the test on error.
func mustBalance(t testing.TB, l *Ledger, sku, loc string) Balance {
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
func mv(kind Kind, qty int64, h float64) Movement {
	return Movement{SourceKey: src(), SKU: "A1", Location: "WH1", Kind: kind, Quantity: qty, Effective: at(h)}
}

// with returns m changed by fn.
func with(m Movement, fn func(*Movement)) Movement {
	fn(&m)
	return m
}

// postEach posts each group of movements as one document "doc" and
// returns every movement, in order, and the results.
func postEach(t testing.TB, l *Ledger, postings [][]Movement) (all []Movement, results []PostResult) {
	t.Helper()
	for _, ms := range postings {
		all = append(all, ms...)
		results = append(results, mustPost(t, l, "doc", ms...))
	}
	return all, results
}

// keysAt returns the source keys of the movements at the given indexes.
func keysAt(all []Movement, idx []int) []string {
	var keys []string
	for _, i := range idx {
		keys = append(keys, all[i].SourceKey)
	}
	return keys
}

// historyA1 returns the history of A1 at WH1 and the entry of the
// movement with the given source key in it.
func historyA1(t testing.TB, l *Ledger, key string) ([]Movement, Movement) {
	t.Helper()
	hist, err := l.History(context.Background(), "A1", "WH1", HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(hist, func(m Movement) bool { return m.SourceKey == key })
	if i < 0 {
		t.Fatalf("movement %s not in history", key)
	}
	return hist, hist[i]
}
