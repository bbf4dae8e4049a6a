package txgroup

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucket = []byte("b")

func openDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucket); return err }); err != nil {
		t.Fatal(err)
	}
	return db
}

func put(k string) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(k), []byte("v")) }
}

// keys returns the bucket's keys, committed.
func keys(t *testing.T, db *bolt.DB) string {
	t.Helper()
	var ks []string
	db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, _ []byte) error { ks = append(ks, string(k)); return nil })
	})
	return strings.Join(ks, ",")
}

func TestLoneCallerCommits(t *testing.T) {
	db := openDB(t)
	g := New(db)
	if err := g.Update(put("a")); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, db); got != "a" {
		t.Fatalf("keys %q, want a", got)
	}
}

// waitQueued waits until n calls wait in g's queue.
func waitQueued(t *testing.T, g *Group, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g.mu.Lock()
		q := len(g.pending)
		g.mu.Unlock()
		if q == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestQueuedCallsShareACommit holds the first commit open until nine more
// callers queue, then checks that those nine ran in one transaction.
func TestQueuedCallsShareACommit(t *testing.T) {
	db := openDB(t)
	g := New(db)
	release := make(chan struct{})
	var first sync.WaitGroup
	first.Go(func() {
		err := g.Update(func(tx *bolt.Tx) error {
			<-release
			return tx.Bucket(bucket).Put([]byte("first"), nil)
		})
		if err != nil {
			t.Error(err)
		}
	})
	// The leader is inside its commit once the queue is empty again and
	// "leading" is set.
	for {
		g.mu.Lock()
		leading := g.leading && len(g.pending) == 0
		g.mu.Unlock()
		if leading {
			break
		}
		time.Sleep(time.Millisecond)
	}
	var mu sync.Mutex
	txs := map[*bolt.Tx]int{}
	var wg sync.WaitGroup
	for i := range 9 {
		wg.Go(func() {
			err := g.Update(func(tx *bolt.Tx) error {
				mu.Lock()
				txs[tx]++
				mu.Unlock()
				return put(fmt.Sprint("k", i))(tx)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	waitQueued(t, g, 9)
	close(release)
	wg.Wait()
	first.Wait()
	if len(txs) != 1 {
		t.Fatalf("the 9 queued calls ran in %d transactions, want 1", len(txs))
	}
	if got := keys(t, db); got != "first,k0,k1,k2,k3,k4,k5,k6,k7,k8" {
		t.Fatalf("keys %q", got)
	}
}

// TestFailureIsolated checks that a failing function gets its error, its
// writes are not committed, and the rest of its batch commits.
func TestFailureIsolated(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		bad  func(*bolt.Tx) error
		want string // in the error
	}{
		{"error", func(tx *bolt.Tx) error { put("bad")(tx); return boom }, "boom"},
		{"panic", func(tx *bolt.Tx) error { put("bad")(tx); panic("oops") }, "panicked: oops"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			g := New(db)
			release := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				g.Update(func(tx *bolt.Tx) error { <-release; return put("a")(tx) })
			})
			for {
				g.mu.Lock()
				leading := g.leading
				g.mu.Unlock()
				if leading {
					break
				}
				time.Sleep(time.Millisecond)
			}
			errs := make([]error, 3)
			wg.Go(func() { errs[0] = g.Update(put("b")) })
			waitQueued(t, g, 1)
			wg.Go(func() { errs[1] = g.Update(tc.bad) })
			waitQueued(t, g, 2)
			wg.Go(func() { errs[2] = g.Update(put("c")) })
			waitQueued(t, g, 3)
			close(release)
			wg.Wait()
			if errs[0] != nil || errs[2] != nil {
				t.Fatalf("good calls failed: %v, %v", errs[0], errs[2])
			}
			if errs[1] == nil || !strings.Contains(errs[1].Error(), tc.want) {
				t.Fatalf("bad call: %v, want %q", errs[1], tc.want)
			}
			if tc.name == "error" && !errors.Is(errs[1], boom) {
				t.Fatalf("error %v does not wrap boom", errs[1])
			}
			if got := keys(t, db); got != "a,b,c" {
				t.Fatalf("keys %q, want a,b,c", got)
			}
		})
	}
}

// TestManyCallers: every caller's write lands exactly once.
func TestManyCallers(t *testing.T) {
	db := openDB(t)
	g := New(db)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				k := fmt.Sprintf("%d-%02d", w, i)
				if err := g.Update(func(tx *bolt.Tx) error {
					b := tx.Bucket(bucket)
					n := 0
					if v := b.Get([]byte("count")); v != nil {
						fmt.Sscan(string(v), &n)
					}
					b.Put([]byte("count"), []byte(fmt.Sprint(n+1)))
					return b.Put([]byte(k), nil)
				}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	var count string
	n := 0
	db.View(func(tx *bolt.Tx) error {
		count = string(tx.Bucket(bucket).Get([]byte("count")))
		n = tx.Bucket(bucket).Stats().KeyN
		return nil
	})
	if count != "400" || n != 401 {
		t.Fatalf("count %s, %d keys; want 400, 401", count, n)
	}
}
