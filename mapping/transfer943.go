package mapping

import (
	"strconv"
	"time"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

// TransferShipment943 maps a 943: each W04 line is stock in transit to the
// destination warehouse (the heading N1*ST by default), due on the G62
// date the profile names (expected_date, default 17 estimated delivery;
// undated when absent). A 944 receiving it with receive_against:
// in_transit takes it off again. The document is keyed by partner +
// W06-02 + W06-04 (order and shipment), not its control numbers:
// re-sent under new ones, it posts nothing again.
func (m *Mapper) TransferShipment943(doc *documents.TransferShipment943, src Source) (*Result, error) {
	mp, err := m.start(partners.DocX12943, src)
	if err != nil {
		return nil, err
	}
	mp.identify("943", doc.Shipment.DepositorOrder, doc.Shipment.ShipmentID)
	loc, ok := mp.warehouseLocation(doc.Parties)
	if !ok {
		return mp.finish()
	}
	var expected documents.OrderDate
	for _, d := range doc.Dates {
		if d.Qualifier == mp.doc.Mapping.ExpectedDate {
			expected = d
			break
		}
	}
	due, ok := mp.x12Time(expected.Date, expected.Time)
	if !ok {
		due = time.Time{} // undated
	}
	eff := mp.documentTime(doc.Shipment.Date)
	order := doc.Shipment.DepositorOrder
	mp.res.Lines = len(doc.Lines)
	for i := range doc.Lines {
		l := &doc.Lines[i]
		sku, n, ok := mp.lineQuantity(l.IDs, l.CaseUPC, l.Quantity, l.Unit, segAt(l.Pos, "W04"), "W0401", "shipped")
		if !ok {
			continue
		}
		mp.res.Movements = append(mp.res.Movements, ledger.Movement{SourceKey: mp.sourceKey(strconv.Itoa(l.Pos)),
			SKU: sku, Location: loc, Kind: ledger.KindInTransit, Quantity: n, Expected: due, Effective: eff,
			Reference: mp.reference("943", l.Pos, order)})
	}
	return mp.finish()
}
