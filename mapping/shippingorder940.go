package mapping

import (
	"strconv"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

// W05-01 purposes of a 940 (element 473) this mapping handles: N
// original, B backorder original and T resubmission open an order; F
// cancels it; R changes (replaces) it. Others (C confirmation, D delete,
// X simulation) are refused rather than guessed at.
const (
	purposeNew         = "N"
	purposeBackorder   = "B"
	purposeResubmitted = "T"
	purposeCancel      = "F"
	purposeChange      = "R"
)

// ShippingOrder940 maps a 940: each line is allocated at the warehouse for
// the W05 order. The result's Order names the order (partner + W05-02)
// and what W05-01 asks (N new, F cancel, R replace); settle it against the
// order as it stands (Result.SettleOrder), which adds the releases a
// cancel or a replace needs, before posting.
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
	var action OrderAction
	switch doc.Purpose {
	case purposeNew, purposeBackorder, purposeResubmitted:
		action = OrderNew
	case purposeCancel:
		action = OrderCancel
	case purposeChange:
		action = OrderReplace
	default:
		mp.problem(at("W05"), "W0501", doc.Purpose, "not a purpose this mapping handles (N, B or T open an order, F cancels it, R replaces it)")
		return mp.finish()
	}
	mp.res.Order = &Order{Partner: src.Partner, Number: order, Action: action, PurchaseOrder: doc.PurchaseOrder,
		ref: mp.reference("940", 0, order), at: src.Received}
	if st := findParty(doc.Parties, "ST", ""); st != nil {
		shipTo := *st
		shipTo.Pos = 0
		mp.res.Order.ShipTo = &shipTo
	}
	mp.res.Lines = len(doc.Lines)
	if action == OrderCancel {
		// A cancel releases what the order holds, whatever its lines say.
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
	var lines []OrderLine
	for i := range doc.Lines {
		if l, ok := mp.line940(&doc.Lines[i], order, loc); ok {
			lines = append(lines, l)
		}
	}
	mp.res.Order.Lines = orderLines(lines)
	return mp.finish()
}

// line940 maps one W01 line to an allocation.
func (mp *mapping) line940(l *documents.Line940, order, loc string) (OrderLine, bool) {
	place := segAt(l.Pos, "W01")
	ids := l.IDs
	if l.CaseUPC != "" {
		// W01-03, the U.P.C. case code, counts as a UP id after the pairs.
		ids = append(append([]documents.ProductID(nil), ids...), documents.ProductID{Qualifier: "UP", ID: l.CaseUPC})
	}
	sku, ok := mp.sku(ids, place)
	if !ok {
		return OrderLine{}, false
	}
	n, ok := mp.quantity(l.Quantity, l.Unit, sku, place)
	if !ok {
		return OrderLine{}, false
	}
	if n < 0 {
		mp.problem(place, "W0101", string(l.Quantity), "an order quantity cannot be negative")
		return OrderLine{}, false
	}
	mp.res.Movements = append(mp.res.Movements, ledger.Movement{SourceKey: mp.sourceKey(strconv.Itoa(l.Pos), "allocate"),
		SKU: sku, Location: loc, Kind: ledger.KindAllocate, Quantity: n, Effective: mp.src.Received, Reference: mp.reference("940", l.Pos, order)})
	return OrderLine{SKU: sku, Location: loc, Quantity: n}, true
}
