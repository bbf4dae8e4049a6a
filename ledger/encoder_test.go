package ledger

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestLargeCommitsEncodeMovements posts documents large enough for their
// records to be encoded on the encoder goroutine, including one that
// fails at its last movement: the failed one leaves nothing behind, the
// others read back whole.
func TestLargeCommitsEncodeMovements(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	doc := func(key string, n int) Document {
		d := Document{Key: key}
		for i := range n {
			d.Movements = append(d.Movements, Movement{SourceKey: fmt.Sprintf("%s/%d", key, i), SKU: fmt.Sprintf("S%04d", i%700),
				Location: "WH1", Kind: KindReceipt, Quantity: 2, Effective: at(float64(i % 50)), Reason: "r"})
		}
		return d
	}
	bad := doc("bad", encoderMin+300)
	bad.Movements[len(bad.Movements)-1].Kind = KindAdjust
	bad.Movements[len(bad.Movements)-1].Quantity = -MaxQuantity // on hand would go below -MaxQuantity
	bad.Movements[len(bad.Movements)-2].Kind = KindAdjust
	bad.Movements[len(bad.Movements)-2].Quantity = -MaxQuantity
	bad.Movements[len(bad.Movements)-2].SKU = bad.Movements[len(bad.Movements)-1].SKU
	if _, err := l.Post(ctx, bad); !errors.Is(err, ErrOverflow) {
		t.Fatalf("posting the bad document: %v, want ErrOverflow", err)
	}
	if bs := allBalances(t, l); len(bs) != 0 {
		t.Fatalf("a failed document left %d balances", len(bs))
	}
	errs := make(chan error, 3)
	for d := range 3 {
		go func() {
			_, err := l.Post(ctx, doc(fmt.Sprintf("big%d", d), encoderMin+d*1000))
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	want := 3*encoderMin + 3000
	var total int64
	for _, b := range allBalances(t, l) {
		total += b.OnHand
	}
	if total != int64(2*want) {
		t.Fatalf("on hand %d, want %d", total, 2*want)
	}
	hist, err := l.History(ctx, "S0007", "WH1", HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range hist {
		if m.SKU != "S0007" || m.Reason != "r" || m.Quantity != 2 || m.SourceKey == "" {
			t.Fatalf("movement read back as %+v", m)
		}
	}
	if err := l.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}
