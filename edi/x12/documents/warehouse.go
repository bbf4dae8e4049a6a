package documents

// The types the warehouse sets (943, 944, 945, 947) share.

// WarehouseHeading holds the heading segments the warehouse sets share:
// the N1 loops, N9, G62 and NTE. Other heading segments (G61, W08, W28,
// W10, LM loops, ...) are kept in Other, in order, and written after the
// notes.
type WarehouseHeading struct {
	Parties []Party     `json:"parties,omitempty"` // N1 loops: WH warehouse, DE depositor, SF ship from, ST ship to, ...
	Refs    []Reference `json:"refs,omitempty"`    // N9, e.g. BM bill of lading, PO
	Dates   []OrderDate `json:"dates,omitempty"`   // G62, e.g. 11 shipped, 17 estimated delivery, 09 received
	Notes   []Note      `json:"notes,omitempty"`   // NTE
	Other   []Segment   `json:"other,omitempty"`   // other heading segments
}

// WarehouseShipment is a W06 segment: the identification of a 943 or a 945.
type WarehouseShipment struct {
	// ReportingCode is W0601 (element 514): F full detail, A inventory
	// adjustment, B book transfer, C customer return, J original, N no
	// exceptions, O/S physical-inventory overage/shortage, P production
	// receipt, X exceptions only, K simulation.
	ReportingCode   string `json:"reporting_code"`
	DepositorOrder  string `json:"depositor_order,omitempty"`   // W0602: in a 945, the 940's W0502
	Date            string `json:"date,omitempty"`              // W0603, CCYYMMDD: in a 945 the actual ship date
	ShipmentID      string `json:"shipment_id,omitempty"`       // W0604, e.g. bill of lading or the warehouse's order number
	AgentShipmentID string `json:"agent_shipment_id,omitempty"` // W0605
	PurchaseOrder   string `json:"purchase_order,omitempty"`    // W0606: in a 945, the 940's W0503
	Extra           Extra  `json:"extra,omitempty"`             // W0607..W0612
}

// CarrierDetail is a W27 segment.
type CarrierDetail struct {
	TransportMethod string `json:"transport_method"`         // W2701, e.g. M motor, LT less than trailer load, H customer pickup, R rail
	SCAC            string `json:"scac,omitempty"`           // W2702
	Routing         string `json:"routing,omitempty"`        // W2703
	PaymentMethod   string `json:"payment_method,omitempty"` // W2704, e.g. PP prepaid, CC collect, TP third party
	Extra           Extra  `json:"extra,omitempty"`          // W2705..W2710
}

// ShipmentTotals is a W03 segment.
type ShipmentTotals struct {
	Units      Decimal `json:"units"`                 // W0301, total units shipped
	Weight     Decimal `json:"weight,omitempty"`      // W0302
	WeightUnit string  `json:"weight_unit,omitempty"` // W0303
	Volume     Decimal `json:"volume,omitempty"`      // W0304
	VolumeUnit string  `json:"volume_unit,omitempty"` // W0305
	Lading     Decimal `json:"lading,omitempty"`      // W0306, lading quantity
	LadingUnit string  `json:"lading_unit,omitempty"` // W0307
	Extra      Extra   `json:"extra,omitempty"`
}

// LineDetail holds the segments a warehouse line loop (W04, W07, W12,
// W19) shares: G69 descriptions, N9 references and G62 dates; the loop's
// other segments (W20, QTY, MEA, ...) are kept in Other.
type LineDetail struct {
	Descriptions []string    `json:"descriptions,omitempty"` // G6901
	Refs         []Reference `json:"refs,omitempty"`         // N9, e.g. LI line number, LT lot, LV license plate
	Dates        []OrderDate `json:"dates,omitempty"`        // G62
	Other        []Segment   `json:"other,omitempty"`        // other segments of the loop
}

// Description returns the first G69 description, or "".
func (l *LineDetail) Description() string {
	if len(l.Descriptions) == 0 {
		return ""
	}
	return l.Descriptions[0]
}

// LineNumber returns the N9*LI reference of the line (the line number of
// the order it answers), or "".
func (l *LineDetail) LineNumber() string {
	if r := FindRef(l.Refs, "LI"); r != nil {
		return r.ID
	}
	return ""
}
