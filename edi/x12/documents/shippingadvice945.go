package documents

// ShippingAdvice945 is a 945 Warehouse Shipping Advice: the warehouse
// confirms what it shipped of a 940. Heading: W06, N1 loops, N9, G62, NTE,
// W27 (G61, W10, G72, LM loops in Other); detail: the W12 loops inside LX
// loops; summary: W03. One 940 may get several 945s, one per shipment
// (W0604).
type ShippingAdvice945 struct {
	// Shipment is the W06: W0602 is the 940's depositor order number
	// (W0502), W0603 the actual ship date, W0604 the shipment id, W0606
	// the 940's purchase order number (W0503).
	Shipment WarehouseShipment `json:"shipment"`
	WarehouseHeading
	Carrier *CarrierDetail  `json:"carrier,omitempty"` // W27
	Lines   []Line945       `json:"lines"`
	Totals  *ShipmentTotals `json:"totals,omitempty"` // W03
	After   []Segment       `json:"after,omitempty"`  // segments after the W03 other than SE
}

// Line945 is one W12 loop of a 945: what shipped of one order line.
type Line945 struct {
	// LX is LX01 of the LX loop holding the line, "" when the set has no
	// LX. Consecutive lines with the same LX share one LX loop.
	LX string `json:"lx,omitempty"`
	// LoopSegments are the LX loop's segments before its first W12 (MAN,
	// N9).
	LoopSegments []Segment `json:"lx_segments,omitempty"`
	// Status is W1201 (element 368): CC complete, CP partial (no
	// backorder), BP partial (backorder to follow), PR partial, CM complete
	// with extra, CS complete with substitution, IS substituted item, IC
	// item cancelled, BK/CK backordered/cancelled from a previous order,
	// DE deleted order.
	Status     string  `json:"status"`
	Ordered    Decimal `json:"ordered,omitempty"`    // W1202, quantity ordered
	Shipped    Decimal `json:"shipped,omitempty"`    // W1203, units shipped
	Difference Decimal `json:"difference,omitempty"` // W1204
	Unit       string  `json:"unit,omitempty"`       // W1205
	CaseUPC    string  `json:"case_upc,omitempty"`   // W1206
	// IDs are the qualifier/id pairs W1207/08, W1217/18 and W1221/22, in
	// that order; an empty pair is kept only when a later one follows.
	IDs   []ProductID `json:"ids,omitempty"`
	Lot   string      `json:"lot,omitempty"`   // W1209, warehouse lot number
	Extra Extra       `json:"extra,omitempty"` // W1210..W1216 (weights, the original item's UPC), W1219, W1220
	LineDetail
	Pos int `json:"pos,omitempty"` // the W12's number in the set
}

// Shipment status codes (W1201, element 368).
const (
	ShipComplete            = "CC"
	ShipPartialNoBackorder  = "CP"
	ShipPartialBackorder    = "BP"
	ShipPartial             = "PR"
	ShipCompleteExtra       = "CM"
	ShipCompleteSubstituted = "CS"
	ShipSubstitutedItem     = "IS"
	ShipItemCancelled       = "IC"
	ShipBackordered         = "BK"
	ShipCancelledPrevious   = "CK"
	ShipDeletedOrder        = "DE"
)

// SetID returns "945".
func (*ShippingAdvice945) SetID() string { return "945" }

// ID returns the line's id with qualifier q (e.g. "VN", "UP"), or "".
func (l *Line945) ID(q string) string { return FindID(l.IDs, q) }

// w12IDPairs are the element positions of W12's qualifier/id pairs.
var w12IDPairs = []int{7, 17, 21}
