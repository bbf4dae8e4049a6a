package documents

// ReceiptAdvice944 is a 944 Warehouse Stock Transfer Receipt Advice: the
// receiving site tells the depositor what it received against a 943 or a
// purchase order. Heading: W17, N1 loops, N9, G62, NTE (G61, W08, G94, G08
// in Other); detail: the W07 loops, with their W13 exception loops, either
// directly (the 004010 shape) or each inside an LX loop (the 004020-and-
// later shape, Line944.LX set); summary: W14.
type ReceiptAdvice944 struct {
	// ReportingCode is W1701 (element 514), e.g. F full detail.
	ReportingCode  string `json:"reporting_code"`
	ReceivedDate   string `json:"received_date"`             // W1702, CCYYMMDD
	ReceiptNumber  string `json:"receipt_number"`            // W1703, the warehouse receipt number
	DepositorOrder string `json:"depositor_order,omitempty"` // W1704: the 943's W0602, or a PO number
	ShipmentID     string `json:"shipment_id,omitempty"`     // W1705
	Extra          Extra  `json:"extra,omitempty"`           // W1706..W1709
	WarehouseHeading
	Lines  []Line944      `json:"lines"`
	Totals *ReceiptTotals `json:"totals,omitempty"` // W14
	After  []Segment      `json:"after,omitempty"`  // segments after the W14 other than SE
}

// Line944 is one W07 loop of a 944: a quantity received of an item.
type Line944 struct {
	// LX is LX01 of the LX loop holding the line (the 004020-and-later
	// shape), "" in the 004010 shape. Consecutive lines with the same LX
	// share one LX loop.
	LX string `json:"lx,omitempty"`
	// LoopSegments are the LX loop's segments before its W07 (MAN, N9).
	LoopSegments []Segment `json:"lx_segments,omitempty"`
	Quantity     Decimal   `json:"quantity"`           // W0701, quantity received
	Unit         string    `json:"unit"`               // W0702
	CaseUPC      string    `json:"case_upc,omitempty"` // W0703
	// IDs are the qualifier/id pairs W0704/05, W0706/07 and W0710/11, in
	// that order; an empty pair is kept only when a later one follows.
	IDs   []ProductID `json:"ids,omitempty"`
	Lot   string      `json:"lot,omitempty"`   // W0708, warehouse lot number
	Extra Extra       `json:"extra,omitempty"` // W0709
	LineDetail
	// Exceptions are the W13 loops: quantities received in a condition
	// other than good (damaged, on hold, ...).
	Exceptions []ReceiptException `json:"exceptions,omitempty"`
	Pos        int                `json:"pos,omitempty"` // the W07's number in the set
}

// ReceiptException is a W13 loop: part of a line's quantity received in a
// condition other than good.
type ReceiptException struct {
	Quantity Decimal `json:"quantity"` // W1301
	Unit     string  `json:"unit"`     // W1302
	// Condition is W1303, the receiving condition code (element 412),
	// e.g. 01 damaged. What a condition means for the stock is the
	// partner profile's business.
	Condition string      `json:"condition"`
	Lot       string      `json:"lot,omitempty"`   // W1304
	Extra     Extra       `json:"extra,omitempty"` // W1305...
	Refs      []Reference `json:"refs,omitempty"`  // N9 of the W13 loop
	Other     []Segment   `json:"other,omitempty"` // other segments of the W13 loop
	Pos       int         `json:"pos,omitempty"`   // the W13's number in the set
}

// ReceiptTotals is a W14 segment.
type ReceiptTotals struct {
	Quantity Decimal `json:"quantity"`        // W1401, total quantity received
	Extra    Extra   `json:"extra,omitempty"` // W1402..W1405 (W1403 damaged or on hold, in most guides)
}

// Receipt condition codes (W1303, element 412) the guides agree on.
const (
	ConditionDamaged = "01"
)

// SetID returns "944".
func (*ReceiptAdvice944) SetID() string { return "944" }

// ID returns the line's id with qualifier q (e.g. "VN", "UP"), or "".
func (l *Line944) ID(q string) string { return FindID(l.IDs, q) }

// w07IDPairs are the element positions of W07's qualifier/id pairs.
var w07IDPairs = []int{4, 6, 10}
