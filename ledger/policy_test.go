package ledger

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestChannelQuantity(t *testing.T) {
	now := t0
	day := 24 * time.Hour
	onHand := func(loc string, n int64) Balance {
		return Balance{SKU: "A", Location: loc, Quantities: Quantities{OnHand: n}}
	}
	one := func(n int64) []Balance { return []Balance{onHand("WH1", n)} }
	share := func(pct int) Policy { return Policy{SharePercent: pct} }
	tests := []struct {
		name     string
		balances []Balance
		p        Policy
		want     int64
	}{
		{"all of it", one(10), share(100), 10},
		{"nothing", nil, share(100), 0},
		{"zero policy shares nothing", one(10), Policy{}, 0},
		{"share rounds down: 40% of 2 is 0", one(2), share(40), 0},
		{"share rounds down: 40% of 9 is 3", one(9), share(40), 3},
		{"share rounds down: 33% of 100 is 33", one(100), share(33), 33},
		{"share above 100 is clamped", one(10), share(250), 10},
		{"negative share is clamped", one(10), share(-5), 0},
		{"negative available gives 0", one(-5), share(100), 0},
		{"negative location offsets a positive one", []Balance{onHand("WH1", -5), onHand("WH2", 8)}, share(100), 3},
		{"available, not on hand", []Balance{{Quantities: Quantities{OnHand: 10, Allocated: 3, Damaged: 1, Quarantined: 2}}}, share(100), 4},
		{"safety stock", one(10), Policy{SharePercent: 100, SafetyStock: 4}, 6},
		{"safety stock above stock", one(3), Policy{SharePercent: 100, SafetyStock: 4}, 0},
		{"safety stock before share", one(10), Policy{SharePercent: 50, SafetyStock: 4}, 3},
		{"at the threshold is zero", one(5), Policy{SharePercent: 100, ZeroAtOrBelow: 5}, 0},
		{"above the threshold", one(6), Policy{SharePercent: 100, ZeroAtOrBelow: 5}, 6},
		{"threshold after safety stock", one(8), Policy{SharePercent: 100, SafetyStock: 3, ZeroAtOrBelow: 5}, 0},
		{"negative threshold does not show negatives", one(-2), Policy{SharePercent: 100, ZeroAtOrBelow: -10}, 0},
		{"max cap", one(100), Policy{SharePercent: 100, Max: 25}, 25},
		{"max cap not reached", one(10), Policy{SharePercent: 100, Max: 25}, 10},
		{"min raises a small share", one(10), Policy{SharePercent: 10, Min: 3}, 3},
		{"min never above the pool", one(2), Policy{SharePercent: 10, Min: 3}, 2},
		{"min does not beat the threshold", one(2), Policy{SharePercent: 10, Min: 3, ZeroAtOrBelow: 2}, 0},
		{"min and max", one(1000), Policy{SharePercent: 1, Min: 20, Max: 15}, 15},
		{"locations that count", []Balance{onHand("WH1", 5), onHand("WH2", 7), onHand("STORE", 100)}, Policy{SharePercent: 100, Locations: []string{"WH1", "WH2"}}, 12},
		{"in transit not counted by default", []Balance{{Location: "WH1", Quantities: Quantities{OnHand: 5, InTransit: 10}, Incoming: []Incoming{{Due: now.Add(day), Quantity: 10}}}}, share(100), 5},
		{"in transit within the window", []Balance{{Location: "WH1", Quantities: Quantities{OnHand: 5, InTransit: 31}, Incoming: []Incoming{
			{Quantity: 1},                         // undated: not counted
			{Due: now.Add(-day), Quantity: 2},     // overdue: counted
			{Due: now.Add(3 * day), Quantity: 4},  // counted
			{Due: now.Add(4 * day), Quantity: 8},  // edge of the window: counted
			{Due: now.Add(5 * day), Quantity: 16}, // too late
		}}}, Policy{SharePercent: 100, IncludeInTransit: true, InTransitDays: 4}, 19},
		{"in transit from uncounted locations", []Balance{
			{Location: "WH1", Quantities: Quantities{OnHand: 5}},
			{Location: "WH9", Quantities: Quantities{InTransit: 10}, Incoming: []Incoming{{Due: now, Quantity: 10}}},
		}, Policy{SharePercent: 100, IncludeInTransit: true, Locations: []string{"WH1"}}, 5},
		{"huge figures do not overflow", []Balance{onHand("A", math.MaxInt64), onHand("B", math.MaxInt64)}, share(50), math.MaxInt64 / 2},
		{"huge negative figures do not overflow", []Balance{onHand("A", math.MinInt64), onHand("B", math.MinInt64)}, Policy{SharePercent: 100, SafetyStock: 5}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ChannelQuantity(tt.balances, tt.p, now); got != tt.want {
				t.Errorf("ChannelQuantity = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []Policy{
		{SharePercent: 101},
		{SharePercent: -1},
		{SharePercent: 50, SafetyStock: -1},
		{SharePercent: 50, Min: 10, Max: 5},
		{SharePercent: 50, Max: -1},
		{SharePercent: 50, IncludeInTransit: true, InTransitDays: -1},
	} {
		if err := p.Validate(); !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("%+v: %v", p, err)
		}
	}
}
