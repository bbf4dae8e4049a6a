package documents

// AdjustmentAdvice947 is a 947 Warehouse Inventory Adjustment Advice: the
// warehouse reports changes to the depositor's stock (counts, damage,
// holds, ...). Heading: W15, N1 loops, N9, G62, NTE (G61, LM loops in
// Other); detail: the W19 loops. The set has no totals segment.
type AdjustmentAdvice947 struct {
	Date                string `json:"date"`                           // W1501, CCYYMMDD
	WarehouseAdjustment string `json:"warehouse_adjustment,omitempty"` // W1502, the warehouse's adjustment number
	DepositorAdjustment string `json:"depositor_adjustment,omitempty"` // W1503
	Purpose             string `json:"purpose,omitempty"`              // W1504, transaction set purpose (353)
	TransactionType     string `json:"transaction_type,omitempty"`     // W1505
	Action              string `json:"action,omitempty"`               // W1506
	Extra               Extra  `json:"extra,omitempty"`
	WarehouseHeading
	Lines []Line947 `json:"lines"`
}

// Line947 is one W19 loop of a 947: an adjustment of one item.
type Line947 struct {
	// Reason is W1901 (element 181), e.g. 05 put on hold, 55 off hold, 06
	// book decrease, 56 book increase, 07 destroyed, AA physical count, AU
	// damaged in facility. Partners use codes of their own too: what a
	// reason does to the stock is the partner profile's reason table.
	Reason   string  `json:"reason"`
	Quantity Decimal `json:"quantity"`           // W1902, credit/debit quantity (signed by some partners)
	Unit     string  `json:"unit"`               // W1903
	CaseUPC  string  `json:"case_upc,omitempty"` // W1904
	// IDs are the qualifier/id pairs W1905/06, W1907/08 and W1917/18, in
	// that order; an empty pair is kept only when a later one follows.
	IDs             []ProductID `json:"ids,omitempty"`
	Lot             string      `json:"lot,omitempty"`              // W1909, warehouse lot number
	TransactionType string      `json:"transaction_type,omitempty"` // W1916, inventory transaction type (529)
	Extra           Extra       `json:"extra,omitempty"`            // W1910..W1915 (weights, volume)
	LineDetail
	Pos int `json:"pos,omitempty"` // the W19's number in the set
}

// SetID returns "947".
func (*AdjustmentAdvice947) SetID() string { return "947" }

// ID returns the line's id with qualifier q (e.g. "VN", "UP"), or "".
func (l *Line947) ID(q string) string { return FindID(l.IDs, q) }

// Effective returns the line's effective date: its first G62 date, or "".
func (l *Line947) Effective() string {
	for _, d := range l.Dates {
		if d.Date != "" {
			return d.Date
		}
	}
	return ""
}

// w19IDPairs are the element positions of W19's qualifier/id pairs.
var w19IDPairs = []int{5, 7, 17}
