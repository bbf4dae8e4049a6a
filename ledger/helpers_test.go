package ledger

import (
	"context"
	"fmt"
	"math/rand/v2"
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
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := Open(path, &Options{Now: clock.Now})
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

// randomDocument makes a document of random movements; some reuse source
// keys of earlier documents (or of the same one).
func randomDocument(rng *rand.Rand, key string, earlier []Document) Document {
	n := 1 + rng.IntN(8)
	doc := Document{Key: key}
	for i := range n {
		src := fmt.Sprintf("%s/%d", key, i)
		switch {
		case len(earlier) > 0 && rng.IntN(6) == 0:
			e := earlier[rng.IntN(len(earlier))]
			src = e.Movements[rng.IntN(len(e.Movements))].SourceKey
		case i > 0 && rng.IntN(12) == 0:
			src = doc.Movements[rng.IntN(i)].SourceKey
		}
		m := randomMovement(rng, src, 3, 2)
		if rng.IntN(3) == 0 {
			m.Kind, m.Bucket, m.Expected, m.TakeInTransit, m.Reason = KindSnapshot, Bucket(rng.IntN(int(bucketEnd))), time.Time{}, false, ""
			m.Reference.Order = ""
			if m.Quantity < 0 {
				m.Quantity = -m.Quantity
			}
		}
		doc.Movements = append(doc.Movements, m)
	}
	return doc
}

func allBalances(t *testing.T, l *Ledger) []Balance {
	t.Helper()
	bs, err := l.Balances(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

func sameBalance(a, b Balance) bool {
	return a.SKU == b.SKU && a.Location == b.Location && a.Quantities == b.Quantities &&
		slices.EqualFunc(a.Incoming, b.Incoming, func(x, y Incoming) bool { return x.Due.Equal(y.Due) && x.Quantity == y.Quantity })
}
