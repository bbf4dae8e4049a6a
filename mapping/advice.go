package mapping

import (
	"fmt"
	"strconv"
	"time"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

// AdviceLine is one item of an outbound 846: our SKU, the partner's id,
// and the quantity the partner is told.
type AdviceLine struct {
	SKU       string `json:"sku"`
	PartnerID string `json:"partner_id"`
	Quantity  int64  `json:"quantity"`
}

// LedgerPolicy converts a profile's availability policy into the
// ledger's.
func LedgerPolicy(p partners.Policy) ledger.Policy {
	return ledger.Policy{SharePercent: p.SharePercent, SafetyStock: p.SafetyStock, Min: p.Min, Max: p.Max,
		ZeroAtOrBelow: p.ZeroAtOrBelow, Locations: p.Locations, IncludeInTransit: p.InTransitDays > 0,
		InTransitDays: p.InTransitDays}
}

// AdviceLines computes what the partner is told for each SKU: the channel
// quantity of its balances (one slice per SKU, one balance per location)
// under the partner's policy, in the partner's item ids. SKUs the item
// table misses with on_miss skip are left out; with on_miss error they are
// problems.
func (m *Mapper) AdviceLines(bySKU [][]ledger.Balance, now time.Time) ([]AdviceLine, []Problem, error) {
	a := m.p.Advice
	if a == nil {
		return nil, nil, fmt.Errorf("partner %s: %w (no advice section)", m.p.ID, ErrNoMapping)
	}
	pol := LedgerPolicy(a.Policy)
	var table *partners.Table
	if a.Items.Lookup != "" {
		if table = m.p.Table(a.Items.Lookup); table == nil {
			return nil, nil, fmt.Errorf("partner %s: table %q is not defined", m.p.ID, a.Items.Lookup)
		}
	}
	lines := make([]AdviceLine, 0, len(bySKU))
	var problems []Problem
	for _, bals := range bySKU {
		if len(bals) == 0 {
			continue
		}
		sku := bals[0].SKU
		id := sku
		if table != nil {
			v, ok := table.Find(sku)
			switch {
			case ok:
				id = v
			case table.OnMiss == partners.MissSkip:
				continue
			case table.OnMiss == partners.MissError:
				problems = append(problems, Problem{Place: "sku " + sku, Field: "item", Value: sku, Reason: fmt.Sprintf("not found in table %q", table.Name)})
				continue
			}
		}
		lines = append(lines, AdviceLine{SKU: sku, PartnerID: id, Quantity: ledger.ChannelQuantity(bals, pol, now)})
	}
	return lines, problems, nil
}

// Advice846 builds the typed 846 telling the partner its quantities: one
// LIN per line with the profile's qualifier and a QTY*33 (available for
// sale) in the base unit, as of now.
func (m *Mapper) Advice846(lines []AdviceLine, reference string, now time.Time) *documents.Inventory846 {
	t := now.In(m.p.Location())
	date, hhmm := t.Format("20060102"), t.Format("1504")
	q := "SK"
	if m.p.Advice != nil {
		q = m.p.Advice.Items.Qualifier
	}
	doc := &documents.Inventory846{Purpose: "00", ReportType: "DD", Reference: reference, Date: date, Time: hhmm,
		Dates: []documents.DateTime{{Qualifier: "405", Date: date, Time: hhmm}},
		Items: make([]documents.Item846, len(lines))}
	for i, l := range lines {
		doc.Items[i] = documents.Item846{
			Line:       strconv.Itoa(i + 1),
			IDs:        []documents.ProductID{{Qualifier: q, ID: l.PartnerID}},
			Quantities: []documents.Quantity846{{Qualifier: "33", Quantity: documents.Decimal(strconv.FormatInt(l.Quantity, 10)), Unit: "EA"}},
		}
	}
	doc.Totals = &documents.Totals{Count: strconv.Itoa(len(lines))}
	return doc
}
