package ledgertest

import (
	"github.com/dockside-edi/dockside/ledger"

	"context"
	"errors"
	"fmt"
	"testing"
)

// testPostLeavesMovementsWhenRefused posts a large document that fails its
// checks, then reuses its movements at once, as the mapping package does:
// Post must not still be reading them (the source keys of large documents
// are sorted on another goroutine). Run with -race.
func testPostLeavesMovementsWhenRefused(t *testing.T, open Open) {
	l := openTest(t, open)
	ms := make([]ledger.Movement, largeDocument+1000)
	for i := range ms {
		ms[i] = ledger.Movement{SourceKey: fmt.Sprintf("s/%06d", i), SKU: "A1", Location: "WH1", Kind: ledger.KindReceipt, Quantity: 1, Effective: at(1)}
	}
	ms[0].SKU = "" // refused at once
	for round := range 5 {
		if _, err := l.Post(context.Background(), ledger.Document{Key: "d", Movements: ms}); !errors.Is(err, ledger.ErrEmptySKU) {
			t.Fatalf("round %d: %v, want ErrEmptySKU", round, err)
		}
		for i := range ms {
			ms[i].SourceKey = fmt.Sprintf("r%d/%06d", round, i) // the caller reuses its movements
		}
	}
}
