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
	asn := mp.doc.Mapping.Mode != partners.ModeShipmentConfirmation
	entity := mp.doc.Mapping.Location.Qualifier
	if entity == "" {
		entity = "ST"
		if !asn {
			entity = "SF"
		}
	}
	lines := doc.Lines()
	mp.res.Lines = len(lines)
	mp.res.Movements = make([]ledger.Movement, 0, len(lines))
	for i := range lines {
		mp.line856(doc, &lines[i], asn, entity)
	}
	return mp.finish()
}

func (mp *mapping) line856(doc *documents.ShipNotice856, l *documents.ShipLine, asn bool, entity string) {
	place := segAt(l.Pos, "HL")
	sku, ok := mp.sku(l.IDs, place)
	if !ok {
		return
	}
	party := l.ShipTo
	if entity == "SF" {
		party = l.ShipFrom
	} else if entity != "ST" {
		for _, root := range doc.Hierarchy {
			if party = findParty(root.Parties, entity, ""); party != nil {
				break
			}
		}
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
		mv.Expected = mp.expected856(doc, l)
		mv.Effective = mp.shipTime(l)
	} else {
		mv.Kind = ledger.KindShipment
		mv.Effective = mp.shipTime(l)
	}
	mp.res.Movements = append(mp.res.Movements, mv)
}

// expected856 returns the expected arrival of an ASN line (zero: undated).
func (mp *mapping) expected856(doc *documents.ShipNotice856, l *documents.ShipLine) time.Time {
	q := mp.doc.Mapping.ExpectedDate
	date := l.DeliveryDate
	if q != "" && q != "017" {
		date = ""
		if d := documents.FindDate(doc.Dates, q); d != nil {
			date = d.Date
		}
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
