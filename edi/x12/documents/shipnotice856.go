package documents

// ShipNotice856 is an 856 Ship Notice/Manifest: the BSN, header DTMs, the
// HL tree and the CTT.
//
// The HL tree is built from the HL01/HL02 links, so it has whatever shape
// the sender used: 0001 shipment/order/pack/item, 0002 shipment/order/item/
// pack, 0004 shipment/order/item, items directly under orders, tares above
// packs. Every HL level takes the same segments in X12 (an order may carry
// a TD1 and an N1*BY, a pack a PO4), so every node is an HL with all of
// them; its Level (HL03) says what it is. Lines flattens the tree into what
// the mapping posts.
type ShipNotice856 struct {
	Purpose    string     `json:"purpose"`             // BSN01, e.g. 00 original
	ShipmentID string     `json:"shipment_id"`         // BSN02
	Date       string     `json:"date"`                // BSN03
	Time       string     `json:"time,omitempty"`      // BSN04
	Structure  string     `json:"structure,omitempty"` // BSN05: 0001 S/O/P/I, 0002 S/O/I/P, 0004 S/O/I, ...
	Extra      Extra      `json:"extra,omitempty"`     // BSN06, BSN07
	Dates      []DateTime `json:"dates,omitempty"`     // header DTM
	Other      []Segment  `json:"other,omitempty"`     // other header segments
	Hierarchy  []*HL      `json:"hierarchy"`           // the root HLs, normally one shipment
	Totals     *Totals    `json:"totals,omitempty"`    // CTT
	After      []Segment  `json:"after,omitempty"`     // segments after the CTT other than SE
}

// The HL level codes (HL03) of an 856.
const (
	LevelShipment = "S"
	LevelOrder    = "O"
	LevelTare     = "T"
	LevelPack     = "P"
	LevelSubpack  = "Q"
	LevelItem     = "I"
)

// HL is one HL loop of an 856 with its nested loops.
type HL struct {
	ID        string `json:"id"`                   // HL01
	Parent    string `json:"parent,omitempty"`     // HL02
	Level     string `json:"level"`                // HL03: S shipment, O order, T tare, P pack, Q subpack, I item, ...
	ChildCode string `json:"child_code,omitempty"` // HL04
	Extra     Extra  `json:"extra,omitempty"`

	Item         *LineItem     `json:"item,omitempty"`    // LIN
	Shipped      *ShipQuantity `json:"shipped,omitempty"` // SN1
	Order        *OrderRef     `json:"order,omitempty"`   // PRF
	Pack         *PackInfo     `json:"pack,omitempty"`    // PO4
	Descriptions []Description `json:"descriptions,omitempty"`
	Lading       []Lading      `json:"lading,omitempty"`    // TD1
	Carriers     []Carrier     `json:"carriers,omitempty"`  // TD5
	Equipment    []Equipment   `json:"equipment,omitempty"` // TD3
	Refs         []Reference   `json:"refs,omitempty"`      // REF, e.g. BM bill of lading, IV invoice
	Marks        []Mark        `json:"marks,omitempty"`     // MAN, e.g. GM SSCC-18
	Dates        []DateTime    `json:"dates,omitempty"`     // DTM, e.g. 011 shipped, 017 estimated delivery
	Other        []Segment     `json:"other,omitempty"`     // other segments of the loop (FOB, MEA, PKG, ...)
	Parties      []Party       `json:"parties,omitempty"`   // N1 loops, e.g. ST ship to, SF ship from, BY buyer
	Children     []*HL         `json:"children,omitempty"`
	Pos          int           `json:"pos,omitempty"` // the HL's number in the set
}

// LineItem is a LIN segment: the item's ids by qualifier.
type LineItem struct {
	Line string      `json:"line,omitempty"` // LIN01
	IDs  []ProductID `json:"ids"`            // LIN02/03, 04/05, ...
}

// ShipQuantity is an SN1 segment.
type ShipQuantity struct {
	Line          string  `json:"line,omitempty"`            // SN101, assigned id
	Quantity      Decimal `json:"quantity"`                  // SN102, units shipped
	Unit          string  `json:"unit"`                      // SN103
	ShippedToDate Decimal `json:"shipped_to_date,omitempty"` // SN104
	Ordered       Decimal `json:"ordered,omitempty"`         // SN105
	OrderedUnit   string  `json:"ordered_unit,omitempty"`    // SN106
	Extra         Extra   `json:"extra,omitempty"`           // SN107, SN108 (line item status)
}

// OrderRef is a PRF segment: the purchase order an HL ships.
type OrderRef struct {
	PurchaseOrder  string `json:"purchase_order"`            // PRF01
	Release        string `json:"release,omitempty"`         // PRF02
	ChangeSequence string `json:"change_sequence,omitempty"` // PRF03
	Date           string `json:"date,omitempty"`            // PRF04, PO date
	Extra          Extra  `json:"extra,omitempty"`           // PRF05.., e.g. contract number
}

// PackInfo is a PO4 segment.
type PackInfo struct {
	Pack            string  `json:"pack,omitempty"`             // PO401, inner units per outer pack
	Size            Decimal `json:"size,omitempty"`             // PO402
	Unit            string  `json:"unit,omitempty"`             // PO403
	Packaging       string  `json:"packaging,omitempty"`        // PO404, e.g. CTN25
	WeightQualifier string  `json:"weight_qualifier,omitempty"` // PO405
	Weight          Decimal `json:"weight,omitempty"`           // PO406, gross weight per pack
	WeightUnit      string  `json:"weight_unit,omitempty"`      // PO407
	Extra           Extra   `json:"extra,omitempty"`            // PO408.. volume, dimensions, inner pack
}

// Lading is a TD1 segment: packaging, lading quantity, weight and volume.
type Lading struct {
	Packaging          string  `json:"packaging,omitempty"`           // TD101, e.g. CTN, PLT
	Quantity           string  `json:"quantity,omitempty"`            // TD102
	CommodityQualifier string  `json:"commodity_qualifier,omitempty"` // TD103
	Commodity          string  `json:"commodity,omitempty"`           // TD104
	Description        string  `json:"description,omitempty"`         // TD105
	WeightQualifier    string  `json:"weight_qualifier,omitempty"`    // TD106, e.g. G gross
	Weight             Decimal `json:"weight,omitempty"`              // TD107
	WeightUnit         string  `json:"weight_unit,omitempty"`         // TD108
	Volume             Decimal `json:"volume,omitempty"`              // TD109
	VolumeUnit         string  `json:"volume_unit,omitempty"`         // TD110
	Extra              Extra   `json:"extra,omitempty"`
}

// Carrier is a TD5 segment. With IDQualifier 2, ID is the carrier's SCAC.
type Carrier struct {
	Sequence        string `json:"sequence,omitempty"`         // TD501, routing sequence
	IDQualifier     string `json:"id_qualifier,omitempty"`     // TD502, 2 = SCAC
	ID              string `json:"id,omitempty"`               // TD503
	TransportMethod string `json:"transport_method,omitempty"` // TD504, e.g. M motor, U parcel
	Routing         string `json:"routing,omitempty"`          // TD505, free-form carrier/route name
	Status          string `json:"status,omitempty"`           // TD506
	Extra           Extra  `json:"extra,omitempty"`            // TD507.. location, service level
}

// SCAC returns the carrier's Standard Carrier Alpha Code: TD503 when TD502
// is 2, else "".
func (c *Carrier) SCAC() string {
	if c.IDQualifier == "2" {
		return c.ID
	}
	return ""
}

// Equipment is a TD3 segment (trailer or container).
type Equipment struct {
	Code    string `json:"code,omitempty"`    // TD301, e.g. TL trailer
	Initial string `json:"initial,omitempty"` // TD302
	Number  string `json:"number,omitempty"`  // TD303
	Seal    string `json:"seal,omitempty"`    // TD309, seal number
	Extra   Extra  `json:"extra,omitempty"`
}

// Mark is a MAN segment: marks and numbers, e.g. GM and an SSCC-18.
type Mark struct {
	Qualifier string `json:"qualifier"`            // MAN01, e.g. GM SSCC-18, CP carrier package id
	Number    string `json:"number"`               // MAN02
	NumberEnd string `json:"number_end,omitempty"` // MAN03, the end of a range
	Extra     Extra  `json:"extra,omitempty"`
}

// SetID returns "856".
func (*ShipNotice856) SetID() string { return "856" }

// Walk calls fn for every HL in depth-first order (an HL before its
// children), with the HL's ancestors from the root down; it stops when fn
// returns false. ancestors is reused between calls. The walk is iterative:
// a deep tree cannot overflow the stack.
func (sn *ShipNotice856) Walk(fn func(hl *HL, ancestors []*HL) bool) {
	type visit struct {
		hl    *HL
		depth int
	}
	var stack []visit
	var path []*HL
	push := func(nodes []*HL, depth int) {
		for i := len(nodes) - 1; i >= 0; i-- {
			stack = append(stack, visit{nodes[i], depth})
		}
	}
	push(sn.Hierarchy, 0)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		path = path[:v.depth]
		if !fn(v.hl, path) {
			return
		}
		path = append(path, v.hl)
		push(v.hl.Children, v.depth+1)
	}
}

// Count returns the number of HL loops in the tree.
func (sn *ShipNotice856) Count() int {
	n := 0
	sn.Walk(func(*HL, []*HL) bool { n++; return true })
	return n
}
