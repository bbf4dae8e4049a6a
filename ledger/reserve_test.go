package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestRequireAvailableNeverPromisesTheSameUnitTwice(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	post := func(key string, ms ...Movement) error {
		_, err := l.Post(ctx, Document{Key: key, Movements: ms})
		return err
	}
	if err := post("stock", Movement{SourceKey: "stock", SKU: "A", Location: "W", Kind: KindReceipt, Quantity: 10}); err != nil {
		t.Fatal(err)
	}
	reserve := func(key string, q int64) error {
		return post(key, Movement{SourceKey: key, SKU: "A", Location: "W", Kind: KindAllocate, Quantity: q,
			RequireAvailable: true, Reference: Reference{Order: key}})
	}
	if err := reserve("r1", 6); err != nil {
		t.Fatal(err)
	}
	err := reserve("r2", 5)
	if !errors.Is(err, ErrInsufficient) {
		t.Fatalf("over-reservation: %v", err)
	}
	if b, _ := l.Balance(ctx, "A", "W"); b.Allocated != 6 {
		t.Errorf("a refused reservation changed the balance: %+v", b)
	}
	// Many at once: exactly what is available gets promised.
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if reserve(fmt.Sprint("c", i), 1) == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if b, _ := l.Balance(ctx, "A", "W"); ok != 4 || b.Available() != 0 {
		t.Errorf("%d concurrent reservations of 1 succeeded with 4 available; balance %+v", ok, b)
	}
	if err := post("bad", Movement{SourceKey: "bad", SKU: "A", Location: "W", Kind: KindReceipt, Quantity: 1, RequireAvailable: true}); err == nil {
		t.Error("a receipt accepted RequireAvailable")
	}
}
