package mapping

import (
	"strconv"
	"time"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

// ShipNotice856 maps an 856: in asn mode, in-transit stock at the ship-to
// location due on the expected date; in shipment_confirmation mode, a
// shipment out of the ship-from location against the PRF order.
func (m *Mapper) ShipNotice856(doc *documents.ShipNotice856, src Source) (*Result, error) {
	mp, err := m.start(partners.DocX12856, src)
	if err != nil {
		return nil, err
	}
	if doc.Purpose == purposeCancel856 {
		// Posting its lines would add the stock it cancels; taking it
		// out is not supported: refused whatever on_error says.
		mp.problem(segAt(2, "BSN"), "BSN01", doc.Purpose, "a cancellation of shipment %s is not supported (the stock of its notice may have been received since): nothing was posted; correct the ledger by hand", doc.ShipmentID)
		return mp.refuse()
	}
	asn := mp.doc.Mapping.Mode != partners.ModeShipmentConfirmation
	entity := mp.doc.Mapping.Location.Qualifier
	if entity == "" {
		entity = "ST"
		if !asn {
			entity = "SF"
		}
	}
	// Another qualifier than ST or SF is looked up at the top level, once
	// for every line.
	var top *documents.Party
	if entity != "ST" && entity != "SF" {
		for _, root := range doc.Hierarchy {
			if top = findParty(root.Parties, entity, ""); top != nil {
				break
			}
		}
	}
	expected := mp.headerExpected856(doc)
	lines := doc.Lines()
	mp.res.Lines = len(lines)
	mp.res.Movements = make([]ledger.Movement, 0, len(lines))
	for i := range lines {
		mp.line856(&lines[i], asn, entity, top, expected)
	}
	mp.shipment856(doc)
	return mp.finish()
}

// BSN01 purposes (element 353) that change what an 856 does: a notice
// that replaces an earlier one of the same shipment, one that cancels it.
const (
	purposeReplace856 = "05"
	purposeCancel856  = "01"
)

// shipment856 names the shipment (partner + BSN02) and its lines, so that
// the notice is settled against the shipment as received before
// (Result.SettleOrder): the same notice under new control numbers is a
// duplicate, not stock in transit twice. A notice without a BSN02 is
// identified by its control numbers alone.
func (mp *mapping) shipment856(doc *documents.ShipNotice856) {
	if doc.ShipmentID == "" {
		return
	}
	action := OrderNew
	if doc.Purpose == purposeReplace856 {
		action = OrderReplace
	}
	lines := make([]OrderLine, len(mp.res.Movements))
	for i := range mp.res.Movements {
		m := &mp.res.Movements[i]
		lines[i] = OrderLine{SKU: m.SKU, Location: m.Location, Quantity: m.Quantity}
		if !m.Expected.IsZero() {
			lines[i].Due = m.Expected.Format(time.DateOnly)
		}
	}
	mp.res.Order = &Order{Kind: KindShipment, Partner: mp.src.Partner, Number: doc.ShipmentID, Action: action, Lines: orderLines(lines)}
}

// line856 maps one item line; top is the party of another qualifier than
// ST or SF, expected the header's expected date (see headerExpected856).
func (mp *mapping) line856(l *documents.ShipLine, asn bool, entity string, top *documents.Party, expected *string) {
	place := segAt(l.Pos, "HL")
	sku, ok := mp.sku(l.IDs, place)
	if !ok {
		return
	}
	party := l.ShipTo
	if entity == "SF" {
		party = l.ShipFrom
	} else if entity != "ST" {
		party = top
	}
	if party == nil {
		mp.problem(place, "N1", entity, "no N1*%s names the location", entity)
		return
	}
	loc, ok := mp.location(party.ID, place)
	if !ok {
		return
	}
	n, ok := mp.quantity(l.Quantity, l.Unit, sku, place)
	if !ok {
		return
	}
	mv := ledger.Movement{SKU: sku, Location: loc, Quantity: n, Reference: mp.reference("856", l.Pos, l.PurchaseOrder)}
	mv.SourceKey = mp.sourceKey(strconv.Itoa(l.Pos))
	if asn {
		mv.Kind = ledger.KindInTransit
		mv.Expected = mp.expected856(l, expected)
		mv.Effective = mp.shipTime(l)
	} else {
		mv.Kind = ledger.KindShipment
		mv.Effective = mp.shipTime(l)
	}
	mp.res.Movements = append(mp.res.Movements, mv)
}

// headerExpected856 returns the header date that gives every line its
// expected arrival, or nil when the lines' own DTM*017 does (the default).
func (mp *mapping) headerExpected856(doc *documents.ShipNotice856) *string {
	q := mp.doc.Mapping.ExpectedDate
	if q == "" || q == "017" {
		return nil
	}
	date := ""
	if d := documents.FindDate(doc.Dates, q); d != nil {
		date = d.Date
	}
	return &date
}

// expected856 returns the expected arrival of an ASN line (zero: undated):
// the header's date when the profile names another qualifier than 017,
// else the line's nearest DTM*017.
func (mp *mapping) expected856(l *documents.ShipLine, header *string) time.Time {
	date := l.DeliveryDate
	if header != nil {
		date = *header
	}
	t, _ := mp.x12Time(date, "")
	return t
}

// shipTime returns when the line shipped, or when we received the notice.
func (mp *mapping) shipTime(l *documents.ShipLine) time.Time {
	if t, ok := mp.x12Time(l.ShipDate, ""); ok && l.ShipDate != "" {
		return t
	}
	return mp.src.Received
}
