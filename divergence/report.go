package divergence

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

// Kind says whose figure a row compares with ours.
type Kind string

// Row kinds.
const (
	// KindLocation: a partner's own available figure for one of our
	// locations (a 3PL's 846) against the ledger's available figure.
	KindLocation Kind = "location"
	// KindChannel: what a channel may believe of a SKU (the last
	// delivered advice) against what its policy lets it sell now.
	KindChannel Kind = "channel"
)

// Row is one divergence.
type Row struct {
	Partner string `json:"partner"`
	Kind    Kind   `json:"kind"`
	SKU     string `json:"sku"`
	// Location is our location, for KindLocation.
	Location string `json:"location,omitempty"`
	// Ours is our figure: the ledger's available quantity, or what the
	// channel's policy lets it sell now.
	Ours int64 `json:"ours"`
	// Theirs is the partner's figure: its reported quantity, or what the
	// channel holds from the last advice delivered to it.
	Theirs int64 `json:"theirs"`
	// Possible are other figures a channel may hold (advice sent, not
	// confirmed delivered).
	Possible []int64 `json:"possible,omitempty"`
	// Unknown: the channel rejected the advice that set Theirs.
	Unknown bool `json:"unknown,omitempty"`
	// Difference is Theirs − Ours: positive, they think there is more.
	Difference int64 `json:"difference"`
	// Since is when the divergence was first seen.
	Since time.Time `json:"since"`
	// Reported is when the partner reported its figure (KindLocation).
	Reported time.Time `json:"reported,omitzero"`
}

// Report is the divergences at one time.
type Report struct {
	AsOf time.Time `json:"as_of"`
	Rows []Row     `json:"rows"`
}

// Partner sums up one partner's divergences.
type Partner struct {
	Divergent int           // SKUs (and locations) that diverge
	Oldest    time.Duration // age of the oldest divergence
}

// ByPartner sums up the report per partner.
func (r *Report) ByPartner() map[string]Partner {
	out := map[string]Partner{}
	for _, row := range r.Rows {
		p := out[row.Partner]
		p.Divergent++
		p.Oldest = max(p.Oldest, r.AsOf.Sub(row.Since))
		out[row.Partner] = p
	}
	return out
}

// Checker computes the divergence report.
type Checker struct {
	Ledger ledger.Store
	Store  Store
	// Beliefs returns what a channel may believe (broadcast.Store.Beliefs).
	Beliefs func(partner string) (*broadcast.Beliefs, error)
	// Figures returns what a channel's policy lets it sell now, by SKU
	// (broadcast.Broadcaster.Figures).
	Figures func(ctx context.Context, partner string) (map[string]int64, error)
	// Profiles returns the partner profiles in use.
	Profiles func() []*partners.Profile
	Now      func() time.Time
}

// Check computes the report and records when each divergence was first
// seen.
func (c *Checker) Check(ctx context.Context) (*Report, error) {
	now := c.Now()
	var rows []Row
	reported, err := c.Store.Reported()
	if err != nil {
		return nil, err
	}
	available, err := c.available(ctx, reported)
	if err != nil {
		return nil, err
	}
	for _, r := range reported {
		if ours := available[r.SKU+"\x00"+r.Location]; ours != r.Quantity {
			rows = append(rows, Row{Partner: r.Partner, Kind: KindLocation, SKU: r.SKU, Location: r.Location,
				Ours: ours, Theirs: r.Quantity, Difference: r.Quantity - ours, Reported: r.At})
		}
	}
	for _, p := range c.Profiles() {
		if p.Advice == nil {
			continue
		}
		ch, err := c.channel(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		rows = append(rows, ch...)
	}
	slices.SortFunc(rows, func(a, b Row) int {
		return strings.Compare(a.Key(), b.Key())
	})
	if err := c.Store.Track(rows, now); err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []Row{}
	}
	return &Report{AsOf: now.UTC(), Rows: rows}, nil
}

// channel returns the SKUs a channel may believe something of that
// differs from what it may sell now.
func (c *Checker) channel(ctx context.Context, partner string) ([]Row, error) {
	b, err := c.Beliefs(partner)
	if err != nil {
		return nil, err
	}
	if len(b.Held) == 0 && len(b.Possible) == 0 {
		return nil, nil // never told anything
	}
	figures, err := c.Figures(ctx, partner)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for sku, ours := range figures {
		theirs, held := b.Held[sku]
		_, possible := b.Possible[sku]
		if !held && !possible || b.Agrees(sku, ours) {
			continue
		}
		row := Row{Partner: partner, Kind: KindChannel, SKU: sku, Ours: ours, Theirs: theirs, Unknown: b.Unknown[sku],
			Difference: theirs - ours}
		for _, q := range b.Possible[sku] {
			if q != theirs || !held {
				row.Possible = append(row.Possible, q)
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// available returns the ledger's available figure of each reported SKU
// and location ("sku 0 location"). A location with many reported SKUs
// (a 3PL's whole warehouse) is listed page by page instead of one lookup
// per SKU.
func (c *Checker) available(ctx context.Context, reported []Reported) (map[string]int64, error) {
	out := make(map[string]int64, len(reported))
	byLoc := map[string][]string{}
	for _, r := range reported {
		byLoc[r.Location] = append(byLoc[r.Location], r.SKU)
	}
	for loc, skus := range byLoc {
		if len(skus) < 500 {
			for _, sku := range skus {
				bal, err := c.Ledger.Balance(ctx, sku, loc)
				if err != nil {
					return nil, fmt.Errorf("divergence: %w", err)
				}
				out[sku+"\x00"+loc] = bal.Available()
			}
			continue
		}
		f := ledger.Filter{Locations: []string{loc}, Limit: 10_000}
		for {
			page, err := c.Ledger.Balances(ctx, f)
			if err != nil {
				return nil, fmt.Errorf("divergence: %w", err)
			}
			for _, bal := range page {
				out[bal.SKU+"\x00"+loc] = bal.Available()
			}
			if len(page) < f.Limit {
				break
			}
			last := page[len(page)-1]
			f.After = ledger.Position{SKU: last.SKU, Location: last.Location}
		}
	}
	return out, nil
}
