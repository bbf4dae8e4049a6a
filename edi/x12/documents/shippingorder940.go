package documents

// ShippingOrder940 is a 940 Warehouse Shipping Order: a depositor asks its
// warehouse to ship an order. Header: W05, N1 loops, N9, G62, NTE, W66;
// detail: the W01 lines (in LX loops or not); summary: W76.
type ShippingOrder940 struct {
	// Purpose is W0501, the order status code: N original, R change,
	// F cancel, D delete, B backorder original, T resubmission,
	// X simulation (C is confirmation, not cancel).
	Purpose         string            `json:"purpose"`
	DepositorOrder  string            `json:"depositor_order"`            // W0502
	PurchaseOrder   string            `json:"purchase_order,omitempty"`   // W0503
	LinkSequence    string            `json:"link_sequence,omitempty"`    // W0504
	MasterReference string            `json:"master_reference,omitempty"` // W0505
	Extra           Extra             `json:"extra,omitempty"`            // W0506, W0507
	Parties         []Party           `json:"parties,omitempty"`          // N1 loops: ST ship to, WH warehouse, DE depositor, SF ship from, BT bill to, ...
	Refs            []Reference       `json:"refs,omitempty"`             // header N9
	Dates           []OrderDate       `json:"dates,omitempty"`            // header G62, e.g. 10 requested ship, 02 delivery requested
	Notes           []Note            `json:"notes,omitempty"`            // header NTE
	Carrier         *WarehouseCarrier `json:"carrier,omitempty"`          // W66
	Other           []Segment         `json:"other,omitempty"`            // other header segments (G61, W09, ...)
	Lines           []Line940         `json:"lines"`
	Totals          *OrderTotals      `json:"totals,omitempty"` // W76
	After           []Segment         `json:"after,omitempty"`  // segments after the W76 other than SE
}

// Order status codes (W0501, element 473).
const (
	OrderOriginal     = "N"
	OrderChange       = "R"
	OrderCancel       = "F"
	OrderDelete       = "D"
	OrderBackorder    = "B"
	OrderResubmission = "T"
	OrderSimulation   = "X"
)

// OrderDate is a G62 segment.
type OrderDate struct {
	Qualifier     string `json:"qualifier"`                // G6201, e.g. 10 requested ship, 02 delivery requested
	Date          string `json:"date,omitempty"`           // G6202, CCYYMMDD
	TimeQualifier string `json:"time_qualifier,omitempty"` // G6203
	Time          string `json:"time,omitempty"`           // G6204
	TimeCode      string `json:"time_code,omitempty"`      // G6205
	Extra         Extra  `json:"extra,omitempty"`
}

// WarehouseCarrier is a W66 segment.
type WarehouseCarrier struct {
	PaymentMethod   string `json:"payment_method"`            // W6601, e.g. PP prepaid, CC collect, TP third party
	TransportMethod string `json:"transport_method"`          // W6602, e.g. M motor, A air, U parcel
	PalletExchange  string `json:"pallet_exchange,omitempty"` // W6603
	UnitLoad        string `json:"unit_load,omitempty"`       // W6604
	Routing         string `json:"routing,omitempty"`         // W6605, carrier name or route
	SCAC            string `json:"scac,omitempty"`            // W6610
	Extra           Extra  `json:"extra,omitempty"`           // W6606..W6609
}

// Line940 is one W01 loop of a 940, with the LX that opens it.
type Line940 struct {
	// LX is LX01 of the LX loop holding the line, "" when the order has no
	// LX. Consecutive lines with the same LX share one LX loop.
	LX string `json:"lx,omitempty"`
	// LoopSegments are the LX loop's segments before its first W01 (MAN,
	// SDQ, N1, G62, ...).
	LoopSegments []Segment `json:"lx_segments,omitempty"`
	Quantity     Decimal   `json:"quantity"`           // W0101, quantity ordered
	Unit         string    `json:"unit"`               // W0102
	CaseUPC      string    `json:"case_upc,omitempty"` // W0103, U.P.C. case code
	// IDs are the qualifier/id pairs W0104/05, W0106/07 and W0115/16, in
	// that order; an empty pair is kept only when a later one follows.
	IDs          []ProductID `json:"ids,omitempty"`
	Extra        Extra       `json:"extra,omitempty"`        // W0108..W0114, W0117
	Descriptions []string    `json:"descriptions,omitempty"` // G6901
	Refs         []Reference `json:"refs,omitempty"`         // N9
	Notes        []Note      `json:"notes,omitempty"`        // NTE
	Dates        []OrderDate `json:"dates,omitempty"`        // G62
	Other        []Segment   `json:"other,omitempty"`        // other segments of the W01 loop (W20, QTY, AMT, ...)
	Pos          int         `json:"pos,omitempty"`          // the W01's number in the set
}

// OrderTotals is a W76 segment.
type OrderTotals struct {
	Quantity   Decimal `json:"quantity"`              // W7601, total quantity ordered
	Weight     Decimal `json:"weight,omitempty"`      // W7602
	WeightUnit string  `json:"weight_unit,omitempty"` // W7603
	Volume     Decimal `json:"volume,omitempty"`      // W7604
	VolumeUnit string  `json:"volume_unit,omitempty"` // W7605
	Extra      Extra   `json:"extra,omitempty"`
}

// SetID returns "940".
func (*ShippingOrder940) SetID() string { return "940" }

// ID returns the line's id with qualifier q (e.g. "VN", "UP"), or "".
func (l *Line940) ID(q string) string { return FindID(l.IDs, q) }

// Description returns the line's first G69 description, or "".
func (l *Line940) Description() string {
	if len(l.Descriptions) == 0 {
		return ""
	}
	return l.Descriptions[0]
}

// w01IDPairs are the element positions of W01's qualifier/id pairs.
var w01IDPairs = [3]int{4, 6, 15}
