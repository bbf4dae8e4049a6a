package documents

// Inventory846 is an 846 Inventory Inquiry/Advice: a header (BIA, REF, DTM,
// N1 loops), the LIN items and the CTT. A 3PL's nightly inventory names its
// warehouse in a header N1*WH, or per item in item-level N1 loops or SDQ
// segments.
type Inventory846 struct {
	Purpose    string      `json:"purpose"`        // BIA01, e.g. 00 original
	ReportType string      `json:"report_type"`    // BIA02, e.g. DD distributor inventory, SI seller inventory
	Reference  string      `json:"reference"`      // BIA03
	Date       string      `json:"date"`           // BIA04, CCYYMMDD
	Time       string      `json:"time,omitempty"` // BIA05
	Extra      Extra       `json:"extra,omitempty"`
	Refs       []Reference `json:"refs,omitempty"`    // header REF
	Dates      []DateTime  `json:"dates,omitempty"`   // header DTM, e.g. 405 as of
	Parties    []Party     `json:"parties,omitempty"` // header N1 loops, e.g. WH warehouse
	Other      []Segment   `json:"other,omitempty"`   // other header segments (CUR, PER, MEA, LM loop, ...)
	Items      []Item846   `json:"items"`
	Totals     *Totals     `json:"totals,omitempty"` // CTT
	// After holds segments after the CTT other than SE.
	After []Segment `json:"after,omitempty"`
}

// Item846 is one LIN loop of an 846.
type Item846 struct {
	Line         string               `json:"line,omitempty"` // LIN01, the assigned id
	IDs          []ProductID          `json:"ids"`            // LIN02/03, 04/05, ... in order
	Descriptions []Description        `json:"descriptions,omitempty"`
	Dates        []DateTime           `json:"dates,omitempty"` // item-level DTM
	Refs         []Reference          `json:"refs,omitempty"`  // item-level REF
	SDQ          []LocationQuantities `json:"sdq,omitempty"`
	Other        []Segment            `json:"other,omitempty"` // other item-level segments (MEA, CTP, ...)
	Quantities   []Quantity846        `json:"quantities,omitempty"`
	Locations    []Location846        `json:"locations,omitempty"` // item-level N1 loops
	Pos          int                  `json:"pos,omitempty"`       // the LIN's number in the set
}

// Quantity846 is one QTY loop: a quantity by qualifier, with its unit and
// dates.
type Quantity846 struct {
	Qualifier string  `json:"qualifier"` // QTY01: 17 on hand, 20 unusable, 33 available for sale, 27 committed, 29 projected available, ...
	Quantity  Decimal `json:"quantity"`  // QTY02, as written ("12", "12.0", "-3")
	Unit      string  `json:"unit,omitempty"`
	// UnitDetail holds the components of QTY03 after the unit code.
	UnitDetail []string   `json:"unit_detail,omitempty"`
	Extra      Extra      `json:"extra,omitempty"` // e.g. QTY04 free-form
	Dates      []DateTime `json:"dates,omitempty"` // DTM in the QTY loop
	Other      []Segment  `json:"other,omitempty"` // UIT, MEA, LDT, SCH, ... in the QTY loop
	Pos        int        `json:"pos,omitempty"`   // the QTY's number in the set
}

// LocationQuantities is an SDQ segment: quantities of one item by location
// (store, warehouse), all in one unit.
type LocationQuantities struct {
	Unit        string             `json:"unit"`                   // SDQ01
	IDQualifier string             `json:"id_qualifier,omitempty"` // SDQ02, e.g. 92
	Quantities  []LocationQuantity `json:"quantities"`             // SDQ03/04 ... SDQ21/22
	Location    string             `json:"location,omitempty"`     // SDQ23, location identifier
	Extra       Extra              `json:"extra,omitempty"`
}

// LocationQuantity is one location/quantity pair of an SDQ.
type LocationQuantity struct {
	Location string  `json:"location"`
	Quantity Decimal `json:"quantity"`
}

// Location846 is an item-level N1 loop: a location with its own
// quantities.
type Location846 struct {
	Party
	Quantities []Quantity846 `json:"quantities,omitempty"`
}

// SetID returns "846".
func (*Inventory846) SetID() string { return "846" }

// Description returns the item's free-form description (PID05 of the
// first PID with PID01 F), or "".
func (it *Item846) Description() string { return FreeText(it.Descriptions) }

// ID returns the item's id with qualifier q (e.g. "SK", "UP"), or "".
func (it *Item846) ID(q string) string { return FindID(it.IDs, q) }

// Quantity returns the item's first quantity with qualifier q, or nil.
func (it *Item846) Quantity(q string) *Quantity846 {
	for i := range it.Quantities {
		if it.Quantities[i].Qualifier == q {
			return &it.Quantities[i]
		}
	}
	return nil
}

// Quantity qualifiers (QTY01, element 673) a 3PL's 846 commonly carries.
// 33 is the quantity available for sale; some generators call it "on
// hand", which is 17.
const (
	QtyOnHand             = "17"
	QtyUnusable           = "20"
	QtyTotalInventory     = "26"
	QtyCommitted          = "27"
	QtyProjectedAvailable = "29"
	QtyAvailableForSale   = "33"
	QtyNoncommitted       = "34"
)
