package ledgertest

import (
	"cmp"
	"github.com/dockside-edi/dockside/ledger"

	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// testTimelineLongAndLate posts many movements at one position, in time
// order and then far back in time, so that inline entries spill into
// blocks and late entries are merged into blocks until they split; the
// history, balances as of every hour and the file's invariants must stay
// right throughout.
func testTimelineLongAndLate(t *testing.T, open Open) {
	tests := []struct {
		name  string
		order func(i, n int) float64 // effective hour of movement i of n
	}{
		{"in time order", func(i, n int) float64 { return float64(i) / 4 }},
		{"backwards", func(i, n int) float64 { return float64(n-i) / 4 }},
		{"new, then far back", func(i, n int) float64 {
			if i < n/3 {
				return 100 + float64(i)/4
			}
			return float64(i%97) / 2 // late: older than everything spilled
		}},
		{"random", func(i, n int) float64 { return float64((i*7919)%n) / 4 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openTest(t, open)
			ctx := context.Background()
			const n, per = 900, 30
			var want []ledger.Movement
			for d := 0; d < n/per; d++ {
				var ms []ledger.Movement
				for i := d * per; i < (d+1)*per; i++ {
					m := mv(ledger.KindReceipt, int64(1+i%5), tt.order(i, n))
					if i%11 == 0 {
						m.Kind, m.Quantity, m.Reason = ledger.KindAdjust, -2, "count"
					}
					ms = append(ms, m)
				}
				res := mustPost(t, l, fmt.Sprintf("doc-%d", d), ms...)
				for i := range ms {
					ms[i].ID = res.FirstID + uint64(i)
				}
				want = append(want, ms...)
				if d%10 == 9 {
					if err := l.Verify(ctx); err != nil {
						t.Fatalf("after %d documents: %v", d+1, err)
					}
				}
			}
			// History: newest first by effective time, then ID; paged.
			slices.SortFunc(want, func(a, b ledger.Movement) int {
				return cmp.Or(b.Effective.Compare(a.Effective), cmp.Compare(b.ID, a.ID))
			})
			var got []ledger.Movement
			for before := uint64(0); ; {
				page, err := l.History(ctx, "A1", "WH1", ledger.HistoryOptions{Before: before, Limit: 77})
				if err != nil {
					t.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				got = append(got, page...)
				before = page[len(page)-1].ID
			}
			if len(got) != len(want) {
				t.Fatalf("history has %d movements, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i].ID != want[i].ID {
					t.Fatalf("history[%d] is movement %d, want %d", i, got[i].ID, want[i].ID)
				}
			}
			for h := -1.0; h < 240; h += 0.5 {
				var sum int64
				for _, m := range want {
					if !m.Effective.After(at(h)) {
						sum += m.Quantity
					}
				}
				b, err := l.BalanceAsOf(ctx, "A1", "WH1", at(h))
				if err != nil {
					t.Fatal(err)
				}
				if b.OnHand != sum {
					t.Fatalf("as of %v h: on hand %d, want %d", h, b.OnHand, sum)
				}
			}
		})
	}
}

// testSnapshotAgainstSpilledTimeline posts a snapshot dated before most
// of a long, spilled timeline: its adjustment must count every later
// movement, spilled or not.
func testSnapshotAgainstSpilledTimeline(t *testing.T, open Open) {
	l := openTest(t, open)
	rng := rand.New(rand.NewPCG(1, 2))
	var total int64
	for d := range 20 {
		var ms []ledger.Movement
		for range 10 {
			q := int64(1 + rng.IntN(9))
			total += q
			ms = append(ms, mv(ledger.KindReceipt, q, float64(10+rng.IntN(80))))
		}
		mustPost(t, l, fmt.Sprintf("doc-%d", d), ms...)
	}
	var after int64 // receipts effective after hour 30
	hist, err := l.History(context.Background(), "A1", "WH1", ledger.HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range hist {
		if m.Effective.After(at(30)) {
			after += m.Quantity
		}
	}
	mustPost(t, l, "count", with(mv(ledger.KindSnapshot, 1000, 30), func(m *ledger.Movement) { m.Bucket = ledger.BucketOnHand }))
	if got := mustBalance(t, l, "A1", "WH1").OnHand; got != 1000+after {
		t.Fatalf("on hand %d after a count of 1000 at hour 30, want %d (1000 + %d received later; %d in all)", got, 1000+after, after, total)
	}
	if b, err := l.BalanceAsOf(context.Background(), "A1", "WH1", at(30)); err != nil || b.OnHand != 1000 {
		t.Fatalf("as of the count: %+v %v", b, err)
	}
	_ = time.Hour
}

// testPositionsLoadedInKeyOrder posts documents whose positions come in
// key order, with gaps, present and absent positions mixed, and then in
// reverse: the writer steps its cursor forward for such documents, and
// every balance must still be read and written right.
func testPositionsLoadedInKeyOrder(t *testing.T, open Open) {
	l := openTest(t, open)
	receipt := func(sku, loc string, q int64) ledger.Movement {
		return ledger.Movement{SourceKey: src(), SKU: sku, Location: loc, Kind: ledger.KindReceipt, Quantity: q, Effective: at(1)}
	}
	want := map[ledger.Position]int64{}
	post := func(key string, ms []ledger.Movement) {
		mustPost(t, l, key, ms...)
		for _, m := range ms {
			want[ledger.Position{SKU: m.SKU, Location: m.Location}] += m.Quantity
		}
	}
	var ms []ledger.Movement
	for i := 0; i < 100; i += 3 { // every third SKU, two locations
		ms = append(ms, receipt(fmt.Sprintf("S%03d", i), "A", 1), receipt(fmt.Sprintf("S%03d", i), "B", 2))
	}
	post("sparse", ms)
	ms = nil
	for i := range 100 { // every SKU at A, in key order; some twice
		ms = append(ms, receipt(fmt.Sprintf("S%03d", i), "A", int64(i)))
		if i%7 == 0 {
			ms = append(ms, receipt(fmt.Sprintf("S%03d", i), "A", 1))
		}
	}
	post("dense", ms)
	ms = nil
	for i := 99; i >= 0; i -= 2 { // backwards, at B
		ms = append(ms, receipt(fmt.Sprintf("S%03d", i), "B", 5))
	}
	post("backwards", ms)
	for p, q := range want {
		if got := mustBalance(t, l, p.SKU, p.Location).OnHand; got != q {
			t.Errorf("%s at %s: %d, want %d", p.SKU, p.Location, got, q)
		}
	}
}
