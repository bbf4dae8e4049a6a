package mapping

import (
	"fmt"
	"strconv"
	"time"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/partners"
)

// WarehouseOrder is an order we send a warehouse partner as a 940.
type WarehouseOrder struct {
	// Purpose is W05-01: N new, R change, F cancel.
	Purpose string
	// Order is the depositor order number (W05-02) the warehouse will
	// confirm in its 945 (W06-02); PurchaseOrder is W05-03.
	Order, PurchaseOrder string
	// Location is our location; the warehouse's code for it (from the
	// profile's fulfils.locations) goes in N1*WH.
	Location string
	// ShipTo is the N1*ST loop passed on from the channel's order.
	ShipTo *documents.Party
	// Lines are our SKUs and quantities in base units, in W01 order.
	Lines []WarehouseLine
	// Requested is the order's date (G62*04, order date).
	Requested time.Time
}

// WarehouseLine is one line of a WarehouseOrder.
type WarehouseLine struct {
	SKU      string
	Quantity int64
}

// WarehouseOrder940 builds the 940 asking the partner (a warehouse with a
// fulfils section) to ship o: N1*WH with the partner's code for the
// location, one W01 per line in base units with the partner's item id
// (fulfils.items: its qualifier, our SKU through its table), the W01
// number echoed in an N9*LI. It also returns the partner's item id of
// each line. A SKU the table misses is an error wrapping ErrNoItem
// (unless the table's on_miss is pass: our SKU is sent).
func (m *Mapper) WarehouseOrder940(o *WarehouseOrder) (*documents.ShippingOrder940, []string, error) {
	f := m.p.Fulfils
	if f == nil {
		return nil, nil, fmt.Errorf("partner %s: %w (no fulfils section)", m.p.ID, ErrNoMapping)
	}
	code, ok := f.Locations[o.Location]
	if !ok {
		return nil, nil, fmt.Errorf("partner %s does not fulfil location %s: %w", m.p.ID, o.Location, ErrNoMapping)
	}
	var table *partners.Table
	if f.Items.Lookup != "" {
		if table = m.p.Table(f.Items.Lookup); table == nil {
			return nil, nil, fmt.Errorf("partner %s: table %q is not defined", m.p.ID, f.Items.Lookup)
		}
	}
	doc := &documents.ShippingOrder940{Purpose: o.Purpose, DepositorOrder: o.Order, PurchaseOrder: o.PurchaseOrder}
	if o.ShipTo != nil {
		doc.Parties = append(doc.Parties, *o.ShipTo)
	}
	doc.Parties = append(doc.Parties, documents.Party{Entity: "WH", IDQualifier: "92", ID: code})
	if !o.Requested.IsZero() {
		doc.Dates = []documents.OrderDate{{Qualifier: "04", Date: o.Requested.In(m.p.Location()).Format("20060102")}}
	}
	items := make([]string, len(o.Lines))
	var total int64
	for i, l := range o.Lines {
		id := l.SKU
		if table != nil {
			v, found := table.Find(l.SKU)
			switch {
			case found:
				id = v
			case table.OnMiss != partners.MissPass:
				return nil, nil, fmt.Errorf("line %d: SKU %s is not in table %q of partner %s: %w", i+1, l.SKU, table.Name, m.p.ID, ErrNoItem)
			}
		}
		items[i] = id
		n := strconv.Itoa(i + 1)
		doc.Lines = append(doc.Lines, documents.Line940{LX: n, Quantity: documents.Decimal(strconv.FormatInt(l.Quantity, 10)), Unit: "EA",
			IDs:  []documents.ProductID{{Qualifier: f.Items.Qualifier, ID: id}},
			Refs: []documents.Reference{{Qualifier: "LI", ID: n}}})
		total += l.Quantity
	}
	doc.Totals = &documents.OrderTotals{Quantity: documents.Decimal(strconv.FormatInt(total, 10))}
	return doc, items, nil
}
