package ledger

import "time"

// Position is a (SKU, location) pair: where a balance is kept.
type Position struct {
	SKU      string
	Location string
}

// Balance is the state of one (SKU, location), or of one SKU across
// locations when Location is empty.
type Balance struct {
	SKU      string
	Location string // empty for a sum across locations
	Quantities
	// Incoming splits InTransit by due date, earliest first (undated
	// first); its quantities add up to InTransit. Empty in balances as of a
	// past time.
	Incoming []Incoming
	// Seq is the change sequence number of the last posting that recorded
	// a movement here (the highest one, across locations).
	Seq uint64
}

// Available is available to promise: on_hand − allocated − damaged −
// quarantined. A negative figure is an oversell: report it, never hide it.
// (Ledger figures are bounded by MaxQuantity; figures built elsewhere
// saturate rather than wrap around.)
func (b Balance) Available() int64 {
	return satSub(satSub(satSub(b.OnHand, b.Allocated), b.Damaged), b.Quarantined)
}

// Incoming is in-transit stock due at one date.
type Incoming struct {
	Due      time.Time // zero when undated
	Quantity int64     // may be negative after corrections
}

// AddBalance returns sum with b's figures added (saturating, since a sum
// over many locations is not bounded by MaxQuantity), the incoming
// schedules merged and the higher Seq: how a SKU's balance across
// locations adds up, for every store.
func AddBalance(sum, b Balance) Balance { return addBalance(sum, b) }
