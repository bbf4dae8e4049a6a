package ledger

import (
	"slices"
	"testing"
)

func bucket(b Bucket) func(*Movement) {
	return func(m *Movement) { m.Bucket = b }
}

func TestSnapshotTiming(t *testing.T) {
	tests := []struct {
		name      string
		postings  [][]Movement // each one document, in order
		want      Quantities
		stale     []int   // indexes (into the flattened postings) reported stale
		asOf      float64 // hour to check BalanceAsOf at
		wantAsOf  Quantities
		lastDelta Quantities // delta recorded for the last movement
	}{
		{
			name: "snapshot after every movement sets the count",
			postings: [][]Movement{
				{mv(KindReceipt, 10, 1), mv(KindShipment, 3, 2)},
				{mv(KindSnapshot, 5, 3)},
			},
			want:      Quantities{OnHand: 5},
			asOf:      2.5,
			wantAsOf:  Quantities{OnHand: 7},
			lastDelta: Quantities{OnHand: -2},
		},
		{
			name: "old snapshot keeps later movements applied",
			postings: [][]Movement{
				{mv(KindReceipt, 10, 1), with(mv(KindAllocate, 4, 5), order("SO1")), mv(KindShipment, 2, 6)},
				// the 3PL counted 9 at hour 2, before the allocation and the shipment
				{mv(KindSnapshot, 9, 2)},
			},
			want:      Quantities{OnHand: 7, Allocated: 4},
			asOf:      2,
			wantAsOf:  Quantities{OnHand: 9},
			lastDelta: Quantities{OnHand: -1},
		},
		{
			name: "snapshot between movements",
			postings: [][]Movement{
				{mv(KindReceipt, 10, 1), mv(KindShipment, 4, 3), mv(KindReceipt, 5, 5)},
				{mv(KindSnapshot, 8, 4)}, // as of 4: 10-4 = 6; count 8 → +2
			},
			want:      Quantities{OnHand: 13},
			asOf:      4,
			wantAsOf:  Quantities{OnHand: 8},
			lastDelta: Quantities{OnHand: 2},
		},
		{
			name: "snapshot at the same time as a movement counts it",
			postings: [][]Movement{
				{mv(KindReceipt, 10, 1), mv(KindShipment, 4, 3)},
				{mv(KindSnapshot, 6, 3)},
			},
			want:      Quantities{OnHand: 6},
			asOf:      3,
			wantAsOf:  Quantities{OnHand: 6},
			lastDelta: Quantities{},
		},
		{
			name: "stale snapshot is recorded, not applied",
			postings: [][]Movement{
				{mv(KindReceipt, 10, 1)},
				{mv(KindSnapshot, 7, 5)},
				{mv(KindSnapshot, 100, 4)},
			},
			want:      Quantities{OnHand: 7},
			stale:     []int{2},
			asOf:      4.5,
			wantAsOf:  Quantities{OnHand: 10},
			lastDelta: Quantities{},
		},
		{
			name: "stale within one document",
			postings: [][]Movement{
				{mv(KindSnapshot, 7, 5), mv(KindSnapshot, 100, 4)},
			},
			want:      Quantities{OnHand: 7},
			stale:     []int{1},
			asOf:      4.5,
			wantAsOf:  Quantities{},
			lastDelta: Quantities{},
		},
		{
			name: "newer snapshot after an older one applies",
			postings: [][]Movement{
				{mv(KindSnapshot, 7, 4)},
				{mv(KindReceipt, 3, 4.5)},
				{mv(KindSnapshot, 20, 5)},
			},
			want:      Quantities{OnHand: 20},
			asOf:      4.7,
			wantAsOf:  Quantities{OnHand: 10},
			lastDelta: Quantities{OnHand: 10},
		},
		{
			name: "snapshot at the same time as the newest applied one replaces it",
			postings: [][]Movement{
				{mv(KindSnapshot, 7, 4)},
				{mv(KindSnapshot, 9, 4)},
			},
			want:      Quantities{OnHand: 9},
			asOf:      4,
			wantAsOf:  Quantities{OnHand: 9},
			lastDelta: Quantities{OnHand: 2},
		},
		{
			name: "staleness is per bucket",
			postings: [][]Movement{
				{mv(KindReceipt, 10, 1), mv(KindSnapshot, 9, 5)},
				{with(mv(KindSnapshot, 2, 4), bucket(BucketDamaged))},
			},
			want:      Quantities{OnHand: 9, Damaged: 2},
			asOf:      4,
			wantAsOf:  Quantities{OnHand: 10, Damaged: 2},
			lastDelta: Quantities{Damaged: 2},
		},
		{
			name: "staleness is per location",
			postings: [][]Movement{
				{with(mv(KindSnapshot, 9, 5), func(m *Movement) { m.Location = "WH2" })},
				{mv(KindSnapshot, 4, 4)},
			},
			want:      Quantities{OnHand: 4},
			asOf:      4,
			wantAsOf:  Quantities{OnHand: 4},
			lastDelta: Quantities{OnHand: 4},
		},
		{
			name: "snapshot before any movement",
			postings: [][]Movement{
				{mv(KindReceipt, 10, 5)},
				{mv(KindSnapshot, 4, 1)},
			},
			want:      Quantities{OnHand: 14},
			asOf:      1,
			wantAsOf:  Quantities{OnHand: 4},
			lastDelta: Quantities{OnHand: 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openTest(t)
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
