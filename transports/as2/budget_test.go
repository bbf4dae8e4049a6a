package as2

import (
	"context"
	"testing"
)

// TestBudget: shares are granted in the order asked while they fit (a
// small one does not pass a large one waiting); a waiter that gives up
// lets the next one in; a share over the total is clamped to it.
func TestBudget(t *testing.T) {
	ctx := context.Background()
	b := newBudget(10)
	waiting := func(n int) {
		for {
			b.mu.Lock()
			w := len(b.waiters)
			b.mu.Unlock()
			if w == n {
				return
			}
		}
	}
	if n, err := b.acquire(ctx, 6); n != 6 || err != nil {
		t.Fatalf("first: %d %v", n, err)
	}
	bigCtx, cancelBig := context.WithCancel(ctx)
	big, small := make(chan error), make(chan int64)
	go func() { _, err := b.acquire(bigCtx, 8); big <- err }()
	waiting(1)
	go func() { n, _ := b.acquire(ctx, 1); small <- n }()
	waiting(2) // 4 are free, yet the small one waits behind the large one
	cancelBig()
	if err := <-big; err == nil {
		t.Fatal("the cancelled waiter got its share")
	}
	if n := <-small; n != 1 {
		t.Fatalf("small: %d", n)
	}
	b.release(6)
	b.release(1)
	if n, err := b.acquire(ctx, 100); n != 10 || err != nil {
		t.Fatalf("over the total: %d %v", n, err)
	}
	b.release(10)
	if b.free != 10 {
		t.Fatalf("free %d after every release", b.free)
	}
}
