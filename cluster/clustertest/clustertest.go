// Package clustertest is the contract every cluster.Lease passes, run
// against each implementation by its own tests.
package clustertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/cluster"
)

// Open returns a new lease, alone in its store, for one node.
type Open func(t testing.TB) cluster.Lease

// Run runs the contract on leases from open.
func Run(t *testing.T, open Open) {
	ctx := context.Background()
	t.Run("acquire and renew keep the epoch", func(t *testing.T) {
		l := open(t)
		first, err := l.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if first.Epoch < 1 || first.Holder == "" || first.Name == "" || first.Expires.IsZero() {
			t.Fatalf("term %+v: want an epoch ≥ 1, a holder, a name and an end", first)
		}
		again, err := l.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again.Epoch != first.Epoch || again.Holder != first.Holder || again.Expires.Before(first.Expires) {
			t.Errorf("renewed %+v after %+v: want the same epoch and holder, an end not earlier", again, first)
		}
	})
	t.Run("only the current term passes the check", func(t *testing.T) {
		l := open(t)
		term, err := l.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Check(ctx, term); err != nil {
			t.Errorf("current term: %v", err)
		}
		for _, other := range []cluster.Term{
			{Name: term.Name, Holder: term.Holder, Epoch: term.Epoch + 1, Expires: term.Expires},
			{Name: term.Name, Holder: term.Holder, Epoch: term.Epoch - 1, Expires: term.Expires},
		} {
			if err := l.Check(ctx, other); !errors.Is(err, cluster.ErrFenced) {
				t.Errorf("epoch %d while %d is current: %v, want ErrFenced", other.Epoch, term.Epoch, err)
			}
		}
	})
	t.Run("released and acquired again", func(t *testing.T) {
		l := open(t)
		term, err := l.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Release(ctx, term); err != nil {
			t.Fatal(err)
		}
		if err := l.Release(ctx, term); err != nil {
			t.Errorf("releasing twice: %v", err)
		}
		next, err := l.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if next.Epoch < term.Epoch {
			t.Errorf("epoch %d after %d: epochs never go back", next.Epoch, term.Epoch)
		}
		if err := l.Check(ctx, next); err != nil {
			t.Errorf("the new term: %v", err)
		}
	})
	t.Run("the elector runs work with its term until the end", func(t *testing.T) {
		l := open(t)
		ctx, cancel := context.WithCancel(ctx)
		terms := make(chan cluster.Term, 1)
		done := make(chan error, 1)
		go func() {
			done <- (&cluster.Elector{Lease: l, Retry: 10 * time.Millisecond}).Run(ctx, func(ctx context.Context) error {
				term, ok := cluster.TermFrom(ctx)
				if !ok {
					t.Error("leader-only work's context carries no term")
				}
				terms <- term
				<-ctx.Done()
				return nil
			})
		}()
		term := <-terms
		if err := l.Check(ctx, term); err != nil {
			t.Errorf("the elector's term: %v", err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Run("work that fails ends the elector", func(t *testing.T) {
		l := open(t)
		boom := errors.New("boom")
		err := (&cluster.Elector{Lease: l}).Run(ctx, func(context.Context) error { return boom })
		if !errors.Is(err, boom) {
			t.Errorf("Run: %v, want the work's error", err)
		}
	})
}
