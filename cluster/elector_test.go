package cluster_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/cluster"
)

// flakyLease grants terms until told to fail, then answers every
// request with an error (a database gone away).
type flakyLease struct {
	mu     sync.Mutex
	epoch  int64
	broken bool
}

func (l *flakyLease) Acquire(ctx context.Context) (cluster.Term, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken {
		return cluster.Term{}, errors.New("connection refused")
	}
	if l.epoch == 0 {
		l.epoch = 1
	}
	return cluster.Term{Name: "t", Holder: "me", Epoch: l.epoch, Expires: time.Now().Add(l.TTL())}, nil
}

func (l *flakyLease) Check(ctx context.Context, t cluster.Term) error { return nil }
func (l *flakyLease) Release(ctx context.Context, t cluster.Term) error {
	return nil
}
func (l *flakyLease) TTL() time.Duration { return 100 * time.Millisecond }

func (l *flakyLease) set(broken bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.broken = broken
	if !broken {
		l.epoch++ // a new term after the old one ran out
	}
}

// TestElectorStopsWorkItCannotRenew: when renewals fail, the leader's
// work is cancelled at the end of its term (it must not go on as a
// leader it may no longer be); once the lease answers again the work
// runs anew under the new term.
func TestElectorStopsWorkItCannotRenew(t *testing.T) {
	l := &flakyLease{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan cluster.Term, 4)
	stopped := make(chan struct{}, 4)
	done := make(chan error, 1)
	go func() {
		done <- (&cluster.Elector{Lease: l, Retry: 10 * time.Millisecond}).Run(ctx, func(ctx context.Context) error {
			term, _ := cluster.TermFrom(ctx)
			started <- term
			<-ctx.Done()
			stopped <- struct{}{}
			return nil
		})
	}()
	wait := func(what string, c <-chan struct{}) {
		t.Helper()
		select {
		case <-c:
		case <-time.After(30 * time.Second):
			t.Fatalf("no %s within 30 s", what)
		}
	}
	first := <-started
	l.set(true)
	wait("stop of the work whose term could not be renewed", stopped)
	l.set(false)
	var second cluster.Term
	select {
	case second = <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the work did not start again")
	}
	if second.Epoch <= first.Epoch {
		t.Errorf("second term's epoch %d after %d", second.Epoch, first.Epoch)
	}
	cancel()
	wait("stop at the end", stopped)
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
