package partners

import "time"

// Advice is the 846 inventory advice we send a partner (a sales channel,
// usually): when, what, and how much of our stock it may sell.
type Advice struct {
	// Schedule is when the advice is sent (cron, CRON_TZ= allowed).
	Schedule Schedule `yaml:"schedule" required:"true"`
	// Mode is full (every item, re-asserting every figure: the safety net
	// against a channel that dropped an update) or delta (the items whose
	// figure differs from any the channel may believe: the last advice
	// delivered to it, or one sent and not confirmed); default full. No
	// advice with zero items is sent.
	Mode AdviceMode `yaml:"mode"`
	// Version is the X12 release to send (default 4010).
	Version X12Version `yaml:"version"`
	// Format is x12 (an 846, the default) or json (its JSON twin, see
	// docs/webhooks.md, for a webhook receiver). Nothing acknowledges
	// JSON advice: acks.expect_within is refused with it (unless the
	// partner is also sent orders); it needs no identities.isa, and
	// version does not apply to it.
	Format AdviceFormat `yaml:"format"`
	// Debounce, when set, also sends a delta advice this long after the
	// advised quantity of an item changes (near real time), coalescing
	// the changes that come in meanwhile; 0: on schedule only. Changes
	// made while the gateway was stopped are sent right after its start.
	Debounce time.Duration `yaml:"debounce"`
	// Items says which item id the partner gets.
	Items AdviceItems `yaml:"items" required:"true"`
	// Policy is how much of our availability the partner is told.
	Policy Policy `yaml:"policy"`
}

func (a *Advice) setDefaults() {
	if a.Mode == "" {
		a.Mode = AdviceFull
	}
	if a.Version == "" {
		a.Version = X12V4010
	}
	if a.Format == "" {
		a.Format = AdviceX12
	}
}

// AdviceItems says how our SKU becomes the partner's item id in the LIN.
type AdviceItems struct {
	// Qualifier is the LIN product id qualifier we send (UP, VN, SK...).
	Qualifier string `yaml:"qualifier" required:"true"`
	// Lookup names a table translating our SKU to the partner's id (keyed
	// by our SKU); empty: our SKU is sent as is. Items the table misses
	// follow its on_miss (skip leaves them out of the advice).
	Lookup string `yaml:"lookup"`
}

// Policy is a channel allocation rule, the settings of ledger.Policy
// (which computes it): the pool is the available stock summed over
// Locations, plus in-transit stock due within InTransitDays; SafetyStock is
// subtracted; a pool at or below ZeroAtOrBelow advises 0; otherwise the
// partner gets SharePercent of it, rounded down, raised to Min (never
// above the pool) and capped at Max.
type Policy struct {
	// SharePercent is the percentage of the pool offered, 0 to 100
	// (default 100).
	SharePercent int `yaml:"share_percent"`
	// SafetyStock is held back from the partner.
	SafetyStock int64 `yaml:"safety_stock"`
	// Min is the least quantity advised while the pool is above
	// ZeroAtOrBelow; 0: no floor.
	Min int64 `yaml:"min"`
	// Max caps the advised quantity; 0: no cap.
	Max int64 `yaml:"max"`
	// ZeroAtOrBelow advises 0 when the pool after safety stock is at or
	// below it.
	ZeroAtOrBelow int64 `yaml:"zero_at_or_below"`
	// Locations are our locations counted; empty: all of them.
	Locations []string `yaml:"locations"`
	// InTransitDays counts stock in transit to the Locations when it is
	// due within this many days (overdue included); 0: in-transit stock
	// does not count (ledger.Policy.IncludeInTransit = InTransitDays > 0).
	InTransitDays int `yaml:"in_transit_days"`
}

func (p *Policy) setDefaults() {
	if p.SharePercent == 0 {
		p.SharePercent = 100
	}
}
