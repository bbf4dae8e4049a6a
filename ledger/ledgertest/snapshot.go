package ledgertest

import (
	"github.com/dockside-edi/dockside/ledger"

	"slices"
	"testing"
)

func bucket(b ledger.Bucket) func(*ledger.Movement) {
	return func(m *ledger.Movement) { m.Bucket = b }
}

func testSnapshotTiming(t *testing.T, open Open) {
	tests := []struct {
		name      string
		postings  [][]ledger.Movement // each one document, in order
		want      ledger.Quantities
		stale     []int   // indexes (into the flattened postings) reported stale
		asOf      float64 // hour to check BalanceAsOf at
		wantAsOf  ledger.Quantities
		lastDelta ledger.Quantities // delta recorded for the last movement
	}{
		{
			name: "snapshot after every movement sets the count",
			postings: [][]ledger.Movement{
				{mv(ledger.KindReceipt, 10, 1), mv(ledger.KindShipment, 3, 2)},
				{mv(ledger.KindSnapshot, 5, 3)},
			},
			want:      ledger.Quantities{OnHand: 5},
			asOf:      2.5,
			wantAsOf:  ledger.Quantities{OnHand: 7},
			lastDelta: ledger.Quantities{OnHand: -2},
		},
		{
			name: "old snapshot keeps later movements applied",
			postings: [][]ledger.Movement{
				{mv(ledger.KindReceipt, 10, 1), with(mv(ledger.KindAllocate, 4, 5), order("SO1")), mv(ledger.KindShipment, 2, 6)},
				// the 3PL counted 9 at hour 2, before the allocation and the shipment
				{mv(ledger.KindSnapshot, 9, 2)},
			},
			want:      ledger.Quantities{OnHand: 7, Allocated: 4},
			asOf:      2,
			wantAsOf:  ledger.Quantities{OnHand: 9},
			lastDelta: ledger.Quantities{OnHand: -1},
		},
		{
			name: "snapshot between movements",
			postings: [][]ledger.Movement{
				{mv(ledger.KindReceipt, 10, 1), mv(ledger.KindShipment, 4, 3), mv(ledger.KindReceipt, 5, 5)},
				{mv(ledger.KindSnapshot, 8, 4)}, // as of 4: 10-4 = 6; count 8 → +2
			},
			want:      ledger.Quantities{OnHand: 13},
			asOf:      4,
			wantAsOf:  ledger.Quantities{OnHand: 8},
			lastDelta: ledger.Quantities{OnHand: 2},
		},
		{
			name: "snapshot at the same time as a movement counts it",
			postings: [][]ledger.Movement{
				{mv(ledger.KindReceipt, 10, 1), mv(ledger.KindShipment, 4, 3)},
				{mv(ledger.KindSnapshot, 6, 3)},
			},
			want:      ledger.Quantities{OnHand: 6},
			asOf:      3,
			wantAsOf:  ledger.Quantities{OnHand: 6},
			lastDelta: ledger.Quantities{},
		},
		{
			name: "stale snapshot is recorded, not applied",
			postings: [][]ledger.Movement{
				{mv(ledger.KindReceipt, 10, 1)},
				{mv(ledger.KindSnapshot, 7, 5)},
				{mv(ledger.KindSnapshot, 100, 4)},
			},
			want:      ledger.Quantities{OnHand: 7},
			stale:     []int{2},
			asOf:      4.5,
			wantAsOf:  ledger.Quantities{OnHand: 10},
			lastDelta: ledger.Quantities{},
		},
		{
			name: "stale within one document",
			postings: [][]ledger.Movement{
				{mv(ledger.KindSnapshot, 7, 5), mv(ledger.KindSnapshot, 100, 4)},
			},
			want:      ledger.Quantities{OnHand: 7},
			stale:     []int{1},
			asOf:      4.5,
			wantAsOf:  ledger.Quantities{},
			lastDelta: ledger.Quantities{},
		},
		{
			name: "newer snapshot after an older one applies",
			postings: [][]ledger.Movement{
				{mv(ledger.KindSnapshot, 7, 4)},
				{mv(ledger.KindReceipt, 3, 4.5)},
				{mv(ledger.KindSnapshot, 20, 5)},
			},
			want:      ledger.Quantities{OnHand: 20},
			asOf:      4.7,
			wantAsOf:  ledger.Quantities{OnHand: 10},
			lastDelta: ledger.Quantities{OnHand: 10},
		},
		{
			name: "snapshot at the same time as the newest applied one replaces it",
			postings: [][]ledger.Movement{
				{mv(ledger.KindSnapshot, 7, 4)},
				{mv(ledger.KindSnapshot, 9, 4)},
			},
			want:      ledger.Quantities{OnHand: 9},
			asOf:      4,
			wantAsOf:  ledger.Quantities{OnHand: 9},
			lastDelta: ledger.Quantities{OnHand: 2},
		},
		{
			name: "staleness is per bucket",
			postings: [][]ledger.Movement{
				{mv(ledger.KindReceipt, 10, 1), mv(ledger.KindSnapshot, 9, 5)},
				{with(mv(ledger.KindSnapshot, 2, 4), bucket(ledger.BucketDamaged))},
			},
			want:      ledger.Quantities{OnHand: 9, Damaged: 2},
			asOf:      4,
			wantAsOf:  ledger.Quantities{OnHand: 10, Damaged: 2},
			lastDelta: ledger.Quantities{Damaged: 2},
		},
		{
			name: "staleness is per location",
			postings: [][]ledger.Movement{
				{with(mv(ledger.KindSnapshot, 9, 5), func(m *ledger.Movement) { m.Location = "WH2" })},
				{mv(ledger.KindSnapshot, 4, 4)},
			},
			want:      ledger.Quantities{OnHand: 4},
			asOf:      4,
			wantAsOf:  ledger.Quantities{OnHand: 4},
			lastDelta: ledger.Quantities{OnHand: 4},
		},
		{
			name: "snapshot before any movement",
			postings: [][]ledger.Movement{
				{mv(ledger.KindReceipt, 10, 5)},
				{mv(ledger.KindSnapshot, 4, 1)},
			},
			want:      ledger.Quantities{OnHand: 14},
			asOf:      1,
			wantAsOf:  ledger.Quantities{OnHand: 4},
			lastDelta: ledger.Quantities{OnHand: 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openTest(t, open)
			all, results := postEach(t, l, tt.postings)
			var stale []string
			for _, r := range results {
				stale = append(stale, r.Stale...)
			}
			wantStale := keysAt(all, tt.stale)
			if !slices.Equal(stale, wantStale) {
				t.Errorf("stale %v, want %v", stale, wantStale)
			}
			if b := mustBalance(t, l, "A1", "WH1"); b.Quantities != tt.want {
				t.Errorf("balance %+v, want %+v", b.Quantities, tt.want)
			}
			asOf, err := l.BalanceAsOf(t.Context(), "A1", "WH1", at(tt.asOf))
			if err != nil {
				t.Fatal(err)
			}
			if asOf.Quantities != tt.wantAsOf {
				t.Errorf("as of %v: %+v, want %+v", tt.asOf, asOf.Quantities, tt.wantAsOf)
			}
			last := all[len(all)-1]
			_, got := historyA1(t, l, last.SourceKey)
			if got.Delta != tt.lastDelta {
				t.Errorf("last delta %+v, want %+v", got.Delta, tt.lastDelta)
			}
			if got.Stale != slices.Contains(wantStale, last.SourceKey) {
				t.Errorf("last stale = %v", got.Stale)
			}
		})
	}
}
