// Package reservationstest is the contract suite of reservations.Store:
// every implementation (bbolt, PostgreSQL) runs it.
package reservationstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/reservations"
)

// Open returns an empty store for one test; the suite closes it.
type Open func(t *testing.T) reservations.Store

// Record returns a record for key with every field set (times to the
// microsecond, as every implementation keeps them).
func Record(key string, i int) reservations.Record {
	return reservations.Record{Key: key, SKU: fmt.Sprintf("SKU-%d", i%7), Location: "dallas", Quantity: int64(i%5 + 1),
		Order: "SO-" + key, Available: int64(100 - i), Seq: uint64(i + 1),
		Created: time.Date(2026, 3, 1, 8, 0, i%60, 123456000, time.UTC), Replayed: i%3 == 0,
		Channel: fmt.Sprintf("channel-%d", i%2), ShipTo: i%2 == 1}
}

// Run runs the suite.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		run  func(t *testing.T, s reservations.Store)
	}{
		{"CreateThenGet", createThenGet},
		{"KeyCreatedOnce", keyCreatedOnce},
		{"ConcurrentCreatesOneWins", concurrentCreates},
		{"ReleaseKeepsFirstTime", releaseKeepsFirstTime},
		{"ListPagesInKeyOrder", listPages},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.run(t, s)
		})
	}
}

func createThenGet(t *testing.T, s reservations.Store) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "k1"); !errors.Is(err, reservations.ErrNotFound) {
		t.Errorf("Get of an unknown key: %v, want ErrNotFound", err)
	}
	for i, key := range []string{"k1", "k2", "ключ é/ 3"} {
		want := Record(key, i)
		if err := s.Create(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, key)
		if err != nil || !Equal(got, want) {
			t.Errorf("Get(%q) = %+v %v, want %+v", key, got, err, want)
		}
	}
}

func keyCreatedOnce(t *testing.T, s reservations.Store) {
	ctx := context.Background()
	first := Record("k", 1)
	if err := s.Create(ctx, first); err != nil {
		t.Fatal(err)
	}
	other := Record("k", 2)
	if err := s.Create(ctx, other); !errors.Is(err, reservations.ErrExists) {
		t.Errorf("Create of a held key: %v, want ErrExists", err)
	}
	if got, err := s.Get(ctx, "k"); err != nil || !Equal(got, first) {
		t.Errorf("after a refused Create: %+v %v, want the first %+v", got, err, first)
	}
}

func concurrentCreates(t *testing.T, s reservations.Store) {
	ctx := context.Background()
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = s.Create(ctx, Record("same", i)) })
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("creates %d and %d both succeeded", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, reservations.ErrExists):
			t.Errorf("create %d: %v", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no create succeeded")
	}
	if got, err := s.Get(ctx, "same"); err != nil || !Equal(got, Record("same", won)) {
		t.Errorf("kept %+v %v, want the winner's", got, err)
	}
}

func releaseKeepsFirstTime(t *testing.T, s reservations.Store) {
	ctx := context.Background()
	if _, err := s.Release(ctx, "nope", time.Now()); !errors.Is(err, reservations.ErrNotFound) {
		t.Errorf("Release of an unknown key: %v, want ErrNotFound", err)
	}
	want := Record("k", 4)
	if err := s.Create(ctx, want); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 5000, time.UTC)
	want.Released = at
	if got, err := s.Release(ctx, "k", at); err != nil || !Equal(got, want) {
		t.Errorf("Release = %+v %v, want %+v", got, err, want)
	}
	if got, err := s.Release(ctx, "k", at.Add(time.Hour)); err != nil || !got.Released.Equal(at) {
		t.Errorf("second Release = %+v %v, want the first time %s", got, err, at)
	}
	if got, err := s.Get(ctx, "k"); err != nil || !Equal(got, want) {
		t.Errorf("Get after Release = %+v %v, want %+v", got, err, want)
	}
}

func listPages(t *testing.T, s reservations.Store) {
	ctx := context.Background()
	const n = 25
	for i := range n {
		if err := s.Create(ctx, Record(fmt.Sprintf("key-%02d", (i*7)%n), i)); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	for after := ""; ; {
		page, err := s.List(ctx, after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 10 {
			t.Fatalf("page of %d, limit 10", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			keys = append(keys, r.Key)
		}
		after = page[len(page)-1].Key
	}
	if len(keys) != n {
		t.Fatalf("listed %d keys, want %d", len(keys), n)
	}
	for i, k := range keys {
		if want := fmt.Sprintf("key-%02d", i); k != want {
			t.Errorf("key %d = %q, want %q", i, k, want)
		}
	}
}

// Equal reports whether two records are the same (Record.Equal).
func Equal(a, b reservations.Record) bool { return a.Equal(b) }
