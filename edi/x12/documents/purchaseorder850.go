package documents

// PurchaseOrder850 is an 850 Purchase Order, as a retail channel sends it.
// Heading: BEG, REF, DTM, N1 loops (other heading segments: CUR, PER, FOB,
// SAC loops, ITD, TD5, N9 loops, ... in Other); detail: the PO1 loops;
// summary: CTT.
//
// The encoder writes Other segments at their place in the standard's
// order: those that come before REF (CUR), then the REFs, those before DTM
// (PER, FOB, SAC, ITD, ...), the DTMs, those before the N1 loops (TD5, N9
// loops, ...), the N1 loops, then the rest. A segment of an unknown id
// stays after the segment it followed.
type PurchaseOrder850 struct {
	// Purpose is BEG01 (element 353): 00 original, 01 cancellation, 04
	// change, 05 replace, 06 confirmation, 07 duplicate.
	Purpose string `json:"purpose"`
	// Type is BEG02 (element 92), e.g. SA stand-alone, RL release, BK
	// blanket, DS drop ship, NE new.
	Type    string      `json:"type,omitempty"`
	Number  string      `json:"number"`            // BEG03, the PO number: the order's identity with the partner
	Release string      `json:"release,omitempty"` // BEG04
	Date    string      `json:"date,omitempty"`    // BEG05, CCYYMMDD
	Extra   Extra       `json:"extra,omitempty"`   // BEG06..BEG12
	Refs    []Reference `json:"refs,omitempty"`    // REF, e.g. DP department, IA vendor number
	Dates   []DateTime  `json:"dates,omitempty"`   // DTM, e.g. 002 delivery requested, 010 requested ship
	Parties []Party     `json:"parties,omitempty"` // N1 loops: BY buyer, ST ship to, BT bill to, ...
	Other   []Segment   `json:"other,omitempty"`   // other heading segments, in order
	Lines   []Line850   `json:"lines"`
	Totals  *Totals     `json:"totals,omitempty"` // CTT: CTT01 number of PO1 lines, CTT02 hash of PO102
	After   []Segment   `json:"after,omitempty"`  // segments after the CTT other than SE (AMT)
}

// Line850 is one PO1 loop of an 850.
type Line850 struct {
	LineID     string  `json:"line_id,omitempty"`     // PO101, echoed in the 855, 856 and 810
	Quantity   Decimal `json:"quantity,omitempty"`    // PO102, quantity ordered
	Unit       string  `json:"unit,omitempty"`        // PO103
	UnitPrice  Decimal `json:"unit_price,omitempty"`  // PO104
	PriceBasis string  `json:"price_basis,omitempty"` // PO105
	// IDs are the qualifier/id pairs PO106/07 ... PO124/25, in order; an
	// empty pair is kept only when a later one follows.
	IDs   []ProductID `json:"ids,omitempty"`
	Extra Extra       `json:"extra,omitempty"`
	// Destinations are the SDQ segments: the quantities by store or
	// location (SDQ01 unit, SDQ02 id qualifier, then location/quantity
	// pairs).
	Destinations []LocationQuantities `json:"destinations,omitempty"`
	// Other are the loop's other segments, in order (LIN, PID, PO4, REF,
	// DTM, N9 and N1 loops, ...): those that come before the SDQ in the
	// standard are written before the Destinations, the rest after.
	Other []Segment `json:"other,omitempty"`
	Pos   int       `json:"pos,omitempty"` // the PO1's number in the set
}

// Purchase order purposes (BEG01, element 353) an order's life uses.
const (
	POOriginal     = "00"
	POCancellation = "01"
	POChange       = "04"
	POReplace      = "05"
)

// SetID returns "850".
func (*PurchaseOrder850) SetID() string { return "850" }

// ID returns the line's id with qualifier q (e.g. "UP", "VN"), or "".
func (l *Line850) ID(q string) string { return FindID(l.IDs, q) }

// Description returns the text of the line's first free-form PID
// (PID01 F or X, PID05), or "".
func (l *Line850) Description() string {
	for _, s := range l.Other {
		if s.ID == "PID" && len(s.Elements) >= 5 && (s.Elements[0] == "F" || s.Elements[0] == "X") && s.Elements[4] != "" {
			return s.Elements[4]
		}
	}
	return ""
}

// po1IDPairs are the element positions of PO1's qualifier/id pairs.
var po1IDPairs = []int{6, 8, 10, 12, 14, 16, 18, 20, 22, 24}

// Where heading segments of an 850 stand in the standard's order (a
// rank), for the encoder to put Other segments back among the typed ones.
// Segments inside a loop kept in Other (CUR of a SAC loop, DTM and MSG of
// an N9 loop) keep the rank of the loop.
var (
	rank850Heading = map[string]int{
		"CUR": 1, "REF": 2, "PER": 3, "TAX": 3, "FOB": 3, "CTP": 3, "PAM": 3, "CSH": 3, "TC2": 3,
		"SAC": 3, "ITD": 3, "DIS": 3, "INC": 3, "DTM": 4, "LDT": 5, "LIN": 5, "SI": 5, "PID": 5,
		"MEA": 5, "PWK": 5, "PKG": 5, "TD1": 5, "TD5": 5, "TD3": 5, "TD4": 5, "MAN": 5, "PCT": 5,
		"CTB": 5, "TXI": 5, "AMT": 5, "N9": 5, "N1": 6, "LM": 7, "SPI": 7, "ADV": 7,
	}
	rank850Line = map[string]int{
		"LIN": 1, "SI": 1, "CUR": 1, "CN1": 1, "PO3": 1, "CTP": 1, "PAM": 1, "MEA": 1, "PID": 1,
		"PWK": 1, "PO4": 1, "REF": 1, "PER": 1, "SAC": 1, "IT8": 1, "CSH": 1, "ITD": 1, "DIS": 1,
		"INC": 1, "TAX": 1, "FOB": 1, "SDQ": 2, "IT3": 3, "DTM": 3, "TC2": 3, "TD1": 3, "TD5": 3,
		"TD3": 3, "TD4": 3, "PCT": 3, "MAN": 3, "MSG": 3, "SPI": 3, "TXI": 3, "CTB": 3, "QTY": 3,
		"SCH": 3, "PKG": 3, "LS": 3, "N9": 3, "N1": 3, "SLN": 3, "AMT": 3, "LM": 3,
	}
)

// ranked returns, for each segment of segs, its rank: the rank of its id,
// or of the segment before it when that is higher or the id is unknown.
func ranked(segs []Segment, ranks map[string]int) []int {
	out := make([]int, len(segs))
	prev := 0
	for i, s := range segs {
		r, ok := ranks[s.ID]
		if !ok || r < prev {
			r = prev
		}
		out[i], prev = r, r
	}
	return out
}
