package ledgertest

import (
	"github.com/dockside-edi/dockside/ledger"

	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func testRequireAvailableNeverPromisesTheSameUnitTwice(t *testing.T, open Open) {
	l := openTest(t, open)
	ctx := context.Background()
	post := func(key string, ms ...ledger.Movement) error {
		_, err := l.Post(ctx, ledger.Document{Key: key, Movements: ms})
		return err
	}
	if err := post("stock", ledger.Movement{SourceKey: "stock", SKU: "A", Location: "W", Kind: ledger.KindReceipt, Quantity: 10}); err != nil {
		t.Fatal(err)
	}
	reserve := func(key string, q int64) error {
		return post(key, ledger.Movement{SourceKey: key, SKU: "A", Location: "W", Kind: ledger.KindAllocate, Quantity: q,
			RequireAvailable: true, Reference: ledger.Reference{Order: key}})
	}
	if err := reserve("r1", 6); err != nil {
		t.Fatal(err)
	}
	err := reserve("r2", 5)
	if !errors.Is(err, ledger.ErrInsufficient) {
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
	if err := post("bad", ledger.Movement{SourceKey: "bad", SKU: "A", Location: "W", Kind: ledger.KindReceipt, Quantity: 1, RequireAvailable: true}); err == nil {
		t.Error("a receipt accepted RequireAvailable")
	}
}
