package mapping

import (
	"strconv"
	"strings"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

// BEG01 purposes of an 850 (element 353) this mapping handles: 00
// original opens an order, 01 cancellation cancels it, 05 replace
// replaces its lines. The others are refused rather than guessed at: 04
// change (retailers send changes as 860s; an 850 04 may list only what
// changes, and taking it as a replace would release the rest), 06
// confirmation (of an order placed by other means) and 07 duplicate
// (sent again for information: as an original it would reopen a
// cancelled order).
const (
	poOriginal = documents.POOriginal
	poCancel   = documents.POCancellation
	poReplace  = documents.POReplace
)

// begPos is the position of BEG in an 850: it follows ST.
const begPos = 2

// PurchaseOrder850 maps a retail channel's 850: each PO1 line is
// allocated at the location the profile names for the order BEG03 (with
// its release, BEG04, when there is one: each release of a blanket order
// is an order of its own). The result's Order names the order (partner +
// number, as a 940's does: an order is the same whichever document
// carries it) and what BEG01 asks (00 new, 01 cancel, 05 replace); settle
// it against the order as it stands (Result.SettleOrder) before posting.
// BEG03 (the channel's PO number) and the heading N1*ST loop go with the
// order to the warehouse that ships it (940 W05-03 and N1*ST), as a 940's
// do.
//
// A line's quantity is PO102 in the unit PO103, its item the first
// PO106/07... pair with a qualifier the profile lists. SDQ store
// quantities are the retailer's distribution of the line: the line's
// total is what is allocated.
func (m *Mapper) PurchaseOrder850(doc *documents.PurchaseOrder850, src Source) (*Result, error) {
	mp, err := m.start(partners.DocX12850, src)
	if err != nil {
		return nil, err
	}
	beg := segAt(begPos, "BEG")
	number := strings.TrimSpace(doc.Number)
	if number == "" {
		mp.problem(beg, "BEG03", "", "no purchase order number")
		return mp.refuse()
	}
	if r := strings.TrimSpace(doc.Release); r != "" {
		number += "/" + r
	}
	var action OrderAction
	switch doc.Purpose {
	case poOriginal:
		action = OrderNew
	case poCancel:
		action = OrderCancel
	case poReplace:
		action = OrderReplace
	case documents.POChange:
		mp.problem(beg, "BEG01", doc.Purpose, "a change (04) is not handled: send the whole order as a replace (05), or cancel it (01)")
		return mp.refuse()
	default:
		mp.problem(beg, "BEG01", doc.Purpose, "not a purpose this mapping handles (00 opens an order, 01 cancels it, 05 replaces it)")
		return mp.refuse()
	}
	mp.res.Order = &Order{Partner: src.Partner, Number: number, Action: action, PurchaseOrder: strings.TrimSpace(doc.Number),
		ref: mp.reference("850", 0, number), at: src.Received}
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
	loc, ok := mp.warehouseLocation(doc.Parties)
	if !ok {
		return mp.refuse() // every line would be at the wrong place
	}
	var lines []OrderLine
	for i := range doc.Lines {
		if l, ok := mp.line850(&doc.Lines[i], number, loc); ok {
			lines = append(lines, l)
		}
	}
	mp.res.Order.Lines = orderLines(lines)
	return mp.finish()
}

// line850 maps one PO1 line to an allocation.
func (mp *mapping) line850(l *documents.Line850, order, loc string) (OrderLine, bool) {
	place := segAt(l.Pos, "PO1")
	from := len(mp.res.Problems)
	sku, ok := mp.sku(l.IDs, place)
	if !ok {
		mp.po1Fields(from, l.IDs)
		return OrderLine{}, false
	}
	if l.Quantity == "" {
		mp.problem(place, "PO102", "", "no quantity ordered")
		return OrderLine{}, false
	}
	n, ok := mp.quantity(l.Quantity, l.Unit, sku, place)
	if !ok {
		mp.po1Fields(from, l.IDs)
		return OrderLine{}, false
	}
	if n < 0 {
		mp.problem(place, "PO102", string(l.Quantity), "an order quantity cannot be negative")
		return OrderLine{}, false
	}
	mp.res.Movements = append(mp.res.Movements, ledger.Movement{SourceKey: mp.sourceKey(strconv.Itoa(l.Pos), "allocate"),
		SKU: sku, Location: loc, Kind: ledger.KindAllocate, Quantity: n, Effective: mp.src.Received, Reference: mp.reference("850", l.Pos, order)})
	return OrderLine{SKU: sku, Location: loc, Quantity: n}, true
}

// po1Fields names the PO1 element of the problems recorded since from by
// the shared item and quantity helpers: "quantity" is PO102, "unit"
// PO103, "item id" (no listed qualifier) PO106, "item VN" the element of
// the VN id.
func (mp *mapping) po1Fields(from int, ids []documents.ProductID) {
	for i := from; i < len(mp.res.Problems); i++ {
		p := &mp.res.Problems[i]
		switch {
		case p.Field == "quantity":
			p.Field = "PO102"
		case p.Field == "unit":
			p.Field = "PO103"
		case p.Field == "item id":
			p.Field = "PO106"
		case strings.HasPrefix(p.Field, "item "):
			q := strings.TrimPrefix(p.Field, "item ")
			for k, id := range ids {
				if id.Qualifier == q {
					p.Field = "PO1" + pad2(7+2*k) + " (" + q + ")"
					break
				}
			}
		}
	}
}

// pad2 writes n on two digits, as X12 element references are.
func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
