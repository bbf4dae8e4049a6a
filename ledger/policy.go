package ledger

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Policy is how much of the stock a sales channel may promise.
//
// ChannelQuantity applies it in this order:
//
//  1. pool = Σ available over the counted locations, plus (with
//     IncludeInTransit) in-transit stock due within InTransitDays days;
//  2. pool −= SafetyStock;
//  3. if pool ≤ ZeroAtOrBelow the channel gets 0;
//  4. share = ⌊pool × SharePercent / 100⌋;
//  5. share is raised to Min (never above pool) and lowered to Max
//     (when Max > 0); the result is never negative.
type Policy struct {
	// SharePercent is the channel's share of the pool, 0..100, rounded
	// down (40% of 2 is 0).
	SharePercent int
	// SafetyStock is held back from every channel.
	SafetyStock int64
	// Min is the least the channel shows while the pool is above
	// ZeroAtOrBelow (capped by the pool itself); 0 for none.
	Min int64
	// Max is the most the channel shows; 0 for no cap.
	Max int64
	// ZeroAtOrBelow: a pool (after safety stock) at or below it shows 0.
	ZeroAtOrBelow int64
	// Locations are the locations that count; empty means all.
	Locations []string
	// IncludeInTransit counts in-transit stock due within InTransitDays
	// days of now (overdue stock included, undated stock not).
	IncludeInTransit bool
	InTransitDays    int
}

// DefaultPolicy shares everything available, without in-transit stock.
func DefaultPolicy() Policy { return Policy{SharePercent: 100} }

// Validate reports settings out of range.
func (p Policy) Validate() error {
	switch {
	case p.SharePercent < 0 || p.SharePercent > 100:
		return fmt.Errorf("%w: share %d%% not in 0..100", ErrInvalidPolicy, p.SharePercent)
	case p.SafetyStock < 0 || p.SafetyStock > MaxQuantity:
		return fmt.Errorf("%w: safety stock %d", ErrInvalidPolicy, p.SafetyStock)
	case p.Min < 0 || p.Min > MaxQuantity:
		return fmt.Errorf("%w: minimum %d", ErrInvalidPolicy, p.Min)
	case p.Max < 0 || p.Max > MaxQuantity:
		return fmt.Errorf("%w: maximum %d", ErrInvalidPolicy, p.Max)
	case p.Max > 0 && p.Min > p.Max:
		return fmt.Errorf("%w: minimum %d above maximum %d", ErrInvalidPolicy, p.Min, p.Max)
	case p.ZeroAtOrBelow < -MaxQuantity || p.ZeroAtOrBelow > MaxQuantity:
		return fmt.Errorf("%w: threshold %d", ErrInvalidPolicy, p.ZeroAtOrBelow)
	case p.InTransitDays < 0 || p.InTransitDays > 36500:
		return fmt.Errorf("%w: in-transit window of %d days", ErrInvalidPolicy, p.InTransitDays)
	}
	return nil
}

// ChannelQuantity computes the quantity a channel may promise from the
// balances of one SKU (one per location) under policy p, at time now. It is
// a pure function. Settings out of range (see Policy.Validate) are clamped
// into range; the result is never negative.
func ChannelQuantity(balances []Balance, p Policy, now time.Time) int64 {
	pool := channelPool(balances, p, now)
	pool = satAdd(pool, -max(p.SafetyStock, 0))
	if pool <= p.ZeroAtOrBelow || pool <= 0 {
		return 0
	}
	share := percentOf(pool, min(max(p.SharePercent, 0), 100))
	if p.Min > 0 {
		share = max(share, min(p.Min, pool))
	}
	if p.Max > 0 {
		share = min(share, p.Max)
	}
	return max(share, 0)
}

// channelPool adds up available stock (and in-transit stock due in time)
// over the locations p counts.
func channelPool(balances []Balance, p Policy, now time.Time) int64 {
	var pool int64
	var horizon time.Time
	if p.IncludeInTransit {
		horizon = now.AddDate(0, 0, min(max(p.InTransitDays, 0), 36500))
	}
	for _, b := range balances {
		if len(p.Locations) > 0 && !slices.Contains(p.Locations, b.Location) {
			continue
		}
		pool = satAdd(pool, b.Available())
		if !p.IncludeInTransit {
			continue
		}
		for _, in := range b.Incoming {
			if !in.Due.IsZero() && !in.Due.After(horizon) {
				pool = satAdd(pool, in.Quantity)
			}
		}
	}
	return pool
}

// percentOf returns ⌊n × pct / 100⌋ for n > 0 and 0 ≤ pct ≤ 100 without
// overflowing.
func percentOf(n int64, pct int) int64 {
	if n > math.MaxInt64/100 {
		return n/100*int64(pct) + n%100*int64(pct)/100
	}
	return n * int64(pct) / 100
}
