package mapping

import (
	"strconv"
	"time"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

// ReceiptAdvice944 maps a 944: each W07 line is a receipt into on hand at
// the receiving location (the heading N1*WH by default); with
// receive_against: in_transit it also takes the quantity off in transit
// there (what a 943 or an 856 announced), so a short receipt leaves the
// rest in transit. Each W13 exception moves its quantity out of available
// into the bucket the profile's conditions table gives its W13-03 code
// (damaged or quarantined); on hand keeps it.
//
// The ledger keeps in transit by item and location, not by shipment: the
// movements carry W17-04 (or W17-05) as their order reference, for the
// record, and the ledger never takes in transit below zero. A receipt
// whose item has nothing in transit there (no 943 or 856 announced it, or
// the 944 came first) is refused by the gateway before posting
// (gateway/receipts944.go), so that it can be replayed once announced.
//
// The document is keyed by partner + W17-03 (the warehouse receipt), not
// its control numbers: re-sent under new ones, it posts nothing again.
func (m *Mapper) ReceiptAdvice944(doc *documents.ReceiptAdvice944, src Source) (*Result, error) {
	mp, err := m.start(partners.DocX12944, src)
	if err != nil {
		return nil, err
	}
	mp.identify("944", doc.ReceiptNumber)
	loc, ok := mp.warehouseLocation(doc.Parties)
	if !ok {
		return mp.finish()
	}
	order := doc.DepositorOrder
	if order == "" {
		order = doc.ShipmentID
	}
	eff := mp.documentTime(doc.ReceivedDate)
	against := mp.doc.Mapping.ReceiveAgainst == partners.ReceiveInTransit
	mp.res.Lines = len(doc.Lines)
	for i := range doc.Lines {
		l := &doc.Lines[i]
		sku, n, ok := mp.lineQuantity(l.IDs, l.CaseUPC, l.Quantity, l.Unit, segAt(l.Pos, "W07"), "W0701", "received")
		if !ok {
			continue
		}
		ref := mp.reference("944", l.Pos, order)
		mp.res.Movements = append(mp.res.Movements, ledger.Movement{SourceKey: mp.sourceKey(strconv.Itoa(l.Pos), "receipt"),
			SKU: sku, Location: loc, Kind: ledger.KindReceipt, Quantity: n, TakeInTransit: against, Effective: eff, Reference: ref})
		mp.exceptions944(l, sku, loc, n, eff, ref)
	}
	return mp.finish()
}

// exceptions944 maps the W13 loops of a line that received n.
func (mp *mapping) exceptions944(l *documents.Line944, sku, loc string, n int64, eff time.Time, ref ledger.Reference) {
	var excepted int64
	for _, x := range l.Exceptions {
		place := segAt(x.Pos, "W13")
		b, ok := mp.doc.Mapping.Conditions[x.Condition]
		if !ok {
			mp.problem(place, "W1303", x.Condition, "receiving condition not in the profile's conditions table")
			continue
		}
		q, ok := mp.quantity(x.Quantity, x.Unit, sku, place)
		if !ok {
			continue
		}
		if q < 0 {
			mp.problem(place, "W1301", string(x.Quantity), "an exception quantity cannot be negative")
			continue
		}
		if excepted += q; excepted > n {
			mp.problem(place, "W1301", string(x.Quantity), "the line's exceptions exceed the %d received (W0701)", n)
			continue
		}
		var kind ledger.Kind
		switch b {
		case partners.BucketDamaged:
			kind = ledger.KindDamage
		case partners.BucketQuarantined:
			kind = ledger.KindQuarantine
		default:
			continue // on_hand (counted as good) or ignore
		}
		r := ref
		r.Line = x.Pos
		mp.res.Movements = append(mp.res.Movements, ledger.Movement{SourceKey: mp.sourceKey(strconv.Itoa(x.Pos), "exception"),
			SKU: sku, Location: loc, Kind: kind, Quantity: q, Effective: eff, Reference: r, Reason: "944 receiving condition " + x.Condition})
	}
}
