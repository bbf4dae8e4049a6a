package partners

import "time"

// Divergence says when a difference between the partner's figures and
// ours needs an operator: a 3PL's own available figure (its 846 QTYs
// mapped to compare) or what a channel may believe after our advice.
type Divergence struct {
	// WarnAfter is how long a divergence may last before it is logged at
	// WARN (and posted to Webhook), once per incident; default 1h,
	// at least 1m.
	WarnAfter time.Duration `yaml:"warn_after"`
	// Webhook, when set, is an http or https URL that receives a JSON
	// POST when one of the partner's divergences passes WarnAfter.
	Webhook string `yaml:"webhook"`
}

func (d *Divergence) setDefaults() {
	if d.WarnAfter == 0 {
		d.WarnAfter = time.Hour
	}
}
