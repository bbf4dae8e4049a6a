package mapping

import (
	"strconv"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

// W05-01 purposes that change what a 940 does.
const (
	purposeCancel = "F"
	purposeChange = "R"
)

// ShippingOrder940 maps a 940: each line is allocated at the warehouse for
// the W05 order; a cancel releases the order's lines; a change releases
// them and allocates the new quantities.
func (m *Mapper) ShippingOrder940(doc *documents.ShippingOrder940, src Source) (*Result, error) {
	mp, err := m.start(partners.DocX12940, src)
	if err != nil {
		return nil, err
	}
	entity := mp.doc.Mapping.Location.Qualifier
	if entity == "" {
		entity = "WH"
	}
	order := doc.DepositorOrder
	if order == "" {
		mp.problem(at("W05"), "W0502", "", "no depositor order number")
		return mp.finish()
	}
	wh := findParty(doc.Parties, entity, mp.doc.Mapping.Location.IDQualifier)
	if wh == nil {
		mp.problem(at("heading"), "N1", entity, "no N1*%s names the warehouse", entity)
		return mp.finish()
	}
	loc, ok := mp.location(wh.ID, segAt(wh.Pos, "N1"))
	if !ok {
		return mp.finish()
	}
	mp.res.Lines = len(doc.Lines)
	for i := range doc.Lines {
		mp.line940(&doc.Lines[i], doc.Purpose, order, loc)
	}
	return mp.finish()
}

func (mp *mapping) line940(l *documents.Line940, purpose, order, loc string) {
	place := segAt(l.Pos, "W01")
	ids := l.IDs
	if l.CaseUPC != "" {
		// W01-03, the U.P.C. case code, counts as a UP id after the pairs.
		ids = append(append([]documents.ProductID(nil), ids...), documents.ProductID{Qualifier: "UP", ID: l.CaseUPC})
	}
	sku, ok := mp.sku(ids, place)
	if !ok {
		return
	}
	ref := mp.reference("940", l.Pos, order)
	line := strconv.Itoa(l.Pos)
	at := mp.src.Received
	if purpose == purposeCancel || purpose == purposeChange {
		// Release what the order holds of this item, whatever it was.
		mp.res.Movements = append(mp.res.Movements, ledger.Movement{SourceKey: mp.sourceKey(line, "release"),
			SKU: sku, Location: loc, Kind: ledger.KindRelease, Quantity: ledger.MaxQuantity, Effective: at, Reference: ref})
		if purpose == purposeCancel {
			return
		}
	}
	n, ok := mp.quantity(l.Quantity, l.Unit, sku, place)
	if !ok {
		return
	}
	if n < 0 {
		mp.problem(place, "W0101", string(l.Quantity), "an order quantity cannot be negative")
		return
	}
	mp.res.Movements = append(mp.res.Movements, ledger.Movement{SourceKey: mp.sourceKey(line, "allocate"),
		SKU: sku, Location: loc, Kind: ledger.KindAllocate, Quantity: n, Effective: at, Reference: ref})
}
