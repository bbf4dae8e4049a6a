package ledgertest

import (
	"github.com/dockside-edi/dockside/ledger"

	"slices"
	"testing"
)

// testLateMovementsAfterSnapshot: a movement effective before the newest
// snapshot of a bucket it changes, posted after that snapshot, was counted
// by it: its change to that bucket is recorded as zero (absorbed), its
// other changes apply, and the orders still add up (Verify runs at
// cleanup).
func testLateMovementsAfterSnapshot(t *testing.T, open Open) {
	inTransit := func(m *ledger.Movement) { m.TakeInTransit = true }
	tests := []struct {
		name      string
		postings  [][]ledger.Movement // each one document, in order
		want      ledger.Quantities
		absorbed  []int             // indexes (into the flattened postings) reported absorbed
		lastDelta ledger.Quantities // delta recorded for the last movement
	}{
		{
			name: "late receipt before the count is not counted twice",
			postings: [][]ledger.Movement{
				{mv(ledger.KindSnapshot, 100, 5)},
				{mv(ledger.KindReceipt, 12, 3)},
			},
			want:      ledger.Quantities{OnHand: 100},
			absorbed:  []int{1},
			lastDelta: ledger.Quantities{},
		},
		{
			name: "receipt at the count's time stays applied",
			postings: [][]ledger.Movement{
				{mv(ledger.KindSnapshot, 100, 5)},
				{mv(ledger.KindReceipt, 12, 5)},
			},
			want:      ledger.Quantities{OnHand: 112},
			lastDelta: ledger.Quantities{OnHand: 12},
		},
		{
			name: "receipt after the count applies",
			postings: [][]ledger.Movement{
				{mv(ledger.KindSnapshot, 100, 5)},
				{mv(ledger.KindReceipt, 12, 6)},
			},
			want:      ledger.Quantities{OnHand: 112},
			lastDelta: ledger.Quantities{OnHand: 12},
		},
		{
			name: "late shipment: on hand absorbed, its order's allocation still taken",
			postings: [][]ledger.Movement{
				{mv(ledger.KindReceipt, 60, 0.5), with(mv(ledger.KindAllocate, 4, 1), order("SO1"))},
				{mv(ledger.KindSnapshot, 50, 5)},
				{with(mv(ledger.KindShipment, 3, 3), order("SO1"))},
			},
			want:      ledger.Quantities{OnHand: 50, Allocated: 1},
			absorbed:  []int{3},
			lastDelta: ledger.Quantities{Allocated: -3},
		},
		{
			name: "late allocation under an allocated count: the order holds it, the bucket stays",
			postings: [][]ledger.Movement{
				{with(mv(ledger.KindSnapshot, 10, 5), bucket(ledger.BucketAllocated))},
				{with(mv(ledger.KindAllocate, 3, 2), order("SO2"))},
				{with(mv(ledger.KindRelease, 3, 6), order("SO2"))},
			},
			want:      ledger.Quantities{Allocated: 7},
			absorbed:  []int{1},
			lastDelta: ledger.Quantities{Allocated: -3},
		},
		{
			name: "late expected receipt takes in-transit stock that no count covered",
			postings: [][]ledger.Movement{
				{with(mv(ledger.KindInTransit, 6, 1), func(m *ledger.Movement) { m.Expected = at(4) })},
				{mv(ledger.KindSnapshot, 20, 5)},
				{with(mv(ledger.KindReceipt, 6, 3), inTransit)},
			},
			want:      ledger.Quantities{OnHand: 20},
			absorbed:  []int{2},
			lastDelta: ledger.Quantities{InTransit: -6},
		},
		{
			name: "only the counted bucket absorbs",
			postings: [][]ledger.Movement{
				{mv(ledger.KindReceipt, 10, 1), with(mv(ledger.KindSnapshot, 2, 5), bucket(ledger.BucketDamaged))},
				{mv(ledger.KindDamage, 1, 3), mv(ledger.KindReceipt, 5, 3)},
			},
			want:      ledger.Quantities{OnHand: 15, Damaged: 2},
			absorbed:  []int{2},
			lastDelta: ledger.Quantities{OnHand: 5},
		},
		{
			name: "another location's count absorbs nothing here",
			postings: [][]ledger.Movement{
				{with(mv(ledger.KindSnapshot, 9, 5), func(m *ledger.Movement) { m.Location = "WH2" })},
				{mv(ledger.KindReceipt, 4, 3)},
			},
			want:      ledger.Quantities{OnHand: 4},
			lastDelta: ledger.Quantities{OnHand: 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openTest(t, open)
			all, results := postEach(t, l, tt.postings)
			var absorbed []string
			for _, r := range results {
				absorbed = append(absorbed, r.Absorbed...)
			}
			want := keysAt(all, tt.absorbed)
			if !slices.Equal(absorbed, want) {
				t.Errorf("absorbed %v, want %v", absorbed, want)
			}
			if b := mustBalance(t, l, "A1", "WH1"); b.Quantities != tt.want {
				t.Errorf("balance %+v, want %+v", b.Quantities, tt.want)
			}
			hist, last := historyA1(t, l, all[len(all)-1].SourceKey)
			for _, m := range hist {
				if m.Absorbed != slices.Contains(want, m.SourceKey) {
					t.Errorf("history: movement %s absorbed = %v", m.SourceKey, m.Absorbed)
				}
			}
			if last.Delta != tt.lastDelta {
				t.Errorf("last delta %+v, want %+v", last.Delta, tt.lastDelta)
			}
		})
	}
}
