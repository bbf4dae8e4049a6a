// Package streamtest is the contract test suite of stream.CursorStore:
// every implementation (bbolt in package stream, PostgreSQL in
// events/stream/postgres) runs the same Run.
package streamtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/dockside-edi/dockside/events/stream"
)

// Open returns a fresh, empty store location for t, and a function that
// opens it: called again after the store was closed, it opens the same
// store (for the durability check). Stores still open when t ends are
// closed by the implementation's test (t.Cleanup).
type Open func(t *testing.T) (open func() stream.CursorStore)

// Run checks a CursorStore: an unknown subscriber is ErrUnknownSubscriber;
// a cursor reads back as set, also backwards and at the extremes; every
// subscriber is listed; names are exact bytes; a deleted cursor is
// unknown; a bad name is ErrInvalidName; concurrent writers of different
// subscribers do not lose each other's cursors; and cursors survive
// closing and opening the store.
func Run(t *testing.T, open Open) {
	t.Run("Unknown", func(t *testing.T) {
		s := open(t)()
		if _, err := s.Cursor(context.Background(), "nobody"); !errors.Is(err, stream.ErrUnknownSubscriber) {
			t.Errorf("Cursor of an unknown subscriber: %v, want ErrUnknownSubscriber", err)
		}
		all, err := s.Cursors(context.Background())
		if err != nil || len(all) != 0 {
			t.Errorf("Cursors of an empty store: %v, %v", all, err)
		}
		if err := s.DeleteCursor(context.Background(), "nobody"); err != nil {
			t.Errorf("deleting an unknown cursor: %v", err)
		}
	})
	t.Run("SetAndRead", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)()
		steps := []struct {
			name string
			seq  uint64
		}{
			{"nats", 0},
			{"nats", 1},
			{"hooks/acme", 7},
			{"nats", 1 << 40},
			{"nats", 3}, // backwards: an operator's replay
			{"hooks/acme", ^uint64(0)},
			{"Hooks/acme", 9},   // names are case-sensitive
			{"hooks/acme ", 11}, // and exact bytes
			{"ünïcødé·名前", 12},  // any UTF-8
			{strings.Repeat("n", stream.MaxNameLen), 13},
		}
		want := map[string]uint64{}
		for _, st := range steps {
			if err := s.SetCursor(ctx, st.name, st.seq); err != nil {
				t.Fatalf("SetCursor(%q, %d): %v", st.name, st.seq, err)
			}
			want[st.name] = st.seq
			for name, seq := range want {
				got, err := s.Cursor(ctx, name)
				if err != nil || got != seq {
					t.Fatalf("after SetCursor(%q, %d): Cursor(%q) = %d, %v; want %d", st.name, st.seq, name, got, err, seq)
				}
			}
		}
		all, err := s.Cursors(ctx)
		if err != nil || !maps.Equal(all, want) {
			t.Errorf("Cursors = %v, %v; want %v", all, err, want)
		}
		if err := s.DeleteCursor(ctx, "nats"); err != nil {
			t.Fatal(err)
		}
		delete(want, "nats")
		if _, err := s.Cursor(ctx, "nats"); !errors.Is(err, stream.ErrUnknownSubscriber) {
			t.Errorf("Cursor after DeleteCursor: %v, want ErrUnknownSubscriber", err)
		}
		if all, err := s.Cursors(ctx); err != nil || !maps.Equal(all, want) {
			t.Errorf("Cursors after delete = %v, %v; want %v", all, err, want)
		}
	})
	t.Run("BadNames", func(t *testing.T) {
		s := open(t)()
		for _, name := range []string{"", strings.Repeat("n", stream.MaxNameLen+1)} {
			if err := s.SetCursor(context.Background(), name, 1); !errors.Is(err, stream.ErrInvalidName) {
				t.Errorf("SetCursor(%d bytes): %v, want ErrInvalidName", len(name), err)
			}
		}
		if all, _ := s.Cursors(context.Background()); len(all) != 0 {
			t.Errorf("a refused name was stored: %v", all)
		}
	})
	t.Run("Canceled", func(t *testing.T) {
		s := open(t)()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.SetCursor(ctx, "nats", 5); !errors.Is(err, context.Canceled) {
			t.Errorf("SetCursor with a canceled context: %v", err)
		}
		if _, err := s.Cursor(context.Background(), "nats"); !errors.Is(err, stream.ErrUnknownSubscriber) {
			t.Errorf("a canceled SetCursor stored a cursor: %v", err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)()
		const writers, steps = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Go(func() {
				for i := 1; i <= steps; i++ {
					if err := s.SetCursor(ctx, fmt.Sprintf("sub-%d", w), uint64(w*1000+i)); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		all, err := s.Cursors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for w := range writers {
			if got := all[fmt.Sprintf("sub-%d", w)]; got != uint64(w*1000+steps) {
				t.Errorf("sub-%d: cursor %d, want %d", w, got, w*1000+steps)
			}
		}
	})
	t.Run("Durable", func(t *testing.T) {
		ctx := context.Background()
		reopen := open(t)
		s := reopen()
		want := map[string]uint64{"nats": 41, "hooks/acme": 42}
		for name, seq := range want {
			if err := s.SetCursor(ctx, name, seq); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SetCursor(ctx, "gone", 1); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteCursor(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = reopen()
		if all, err := s.Cursors(ctx); err != nil || !maps.Equal(all, want) {
			t.Errorf("after reopening: Cursors = %v, %v; want %v", all, err, want)
		}
	})
}
