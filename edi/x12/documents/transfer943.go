package documents

// TransferShipment943 is a 943 Warehouse Stock Transfer Shipment Advice:
// the depositor tells its warehouse what is on the way to it (an inbound
// advance ship notice). Heading: W06, N1 loops, N9, G62, NTE, W27 (G61,
// W28, W10 in Other); detail: the W04 loops; summary: W03.
type TransferShipment943 struct {
	// Shipment is the W06: W0602 is the depositor order (or PO) number a
	// 944 receives against (W1704), W0603 the shipment date, W0604 the
	// shipment id (W1705 of the 944).
	Shipment WarehouseShipment `json:"shipment"`
	WarehouseHeading
	Carrier *CarrierDetail  `json:"carrier,omitempty"` // W27
	Lines   []Line943       `json:"lines"`
	Totals  *ShipmentTotals `json:"totals,omitempty"` // W03
	After   []Segment       `json:"after,omitempty"`  // segments after the W03 other than SE
}

// Line943 is one W04 loop of a 943: a quantity shipped of an item.
type Line943 struct {
	Quantity Decimal `json:"quantity"`           // W0401, number of units shipped
	Unit     string  `json:"unit"`               // W0402
	CaseUPC  string  `json:"case_upc,omitempty"` // W0403
	// IDs are the qualifier/id pairs W0404/05, W0406/07 and W0414/15, in
	// that order; an empty pair is kept only when a later one follows.
	IDs   []ProductID `json:"ids,omitempty"`
	Extra Extra       `json:"extra,omitempty"` // W0408..W0413: freight class, rate class, commodity, pallet block and tiers, condition
	LineDetail
	Pos int `json:"pos,omitempty"` // the W04's number in the set
}

// SetID returns "943".
func (*TransferShipment943) SetID() string { return "943" }

// ID returns the line's id with qualifier q (e.g. "VN", "UP"), or "".
func (l *Line943) ID(q string) string { return FindID(l.IDs, q) }

// ExpectedDate returns the date the shipment is expected at the warehouse:
// the G62 with qualifier 17 (estimated delivery) or 02 (delivery
// requested), else "".
func (ts *TransferShipment943) ExpectedDate() string {
	for _, q := range []string{"17", "02"} {
		for _, d := range ts.Dates {
			if d.Qualifier == q && d.Date != "" {
				return d.Date
			}
		}
	}
	return ""
}

// w04IDPairs are the element positions of W04's qualifier/id pairs.
var w04IDPairs = []int{4, 6, 14}
