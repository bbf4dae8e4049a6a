package documents

// Extra holds the elements of a segment that have no field of their own,
// by element position (1-based), as written: composite components joined
// by '>' and repetitions by '^'. Empty elements are not kept. It is nil
// when there are none.
type Extra map[int]string

// Segment is a segment kept as data: a segment of a set without a typed
// form, or one a typed loop does not model. Elements are as written, with
// composite components joined by '>' and repetitions by '^'; trailing empty
// elements are dropped.
type Segment struct {
	ID       string   `json:"id"`
	Elements []string `json:"elements,omitempty"`
}

// ProductID is one qualifier/id pair of a LIN or W01 segment, e.g. UP and a
// UPC, SK and a SKU, VN and a vendor item number.
type ProductID struct {
	Qualifier string `json:"qualifier"` // element 235: UP, SK, VN, VP, BP, EN, UK, ...
	ID        string `json:"id"`        // element 234
}

// DateTime is a DTM segment.
type DateTime struct {
	Qualifier    string `json:"qualifier"`               // DTM01, e.g. 405 as of, 011 shipped, 017 estimated delivery
	Date         string `json:"date,omitempty"`          // DTM02, CCYYMMDD
	Time         string `json:"time,omitempty"`          // DTM03, HHMM[SS[D..]]
	TimeCode     string `json:"time_code,omitempty"`     // DTM04
	PeriodFormat string `json:"period_format,omitempty"` // DTM05
	Period       string `json:"period,omitempty"`        // DTM06
	Extra        Extra  `json:"extra,omitempty"`
}

// Reference is a REF segment, or an N9 segment (which adds a date and a
// time).
type Reference struct {
	Qualifier   string `json:"qualifier"`             // REF01 / N901, e.g. BM bill of lading, PO, IA vendor number
	ID          string `json:"id,omitempty"`          // REF02 / N902
	Description string `json:"description,omitempty"` // REF03 / N903
	Date        string `json:"date,omitempty"`        // N904 (N9 only)
	Time        string `json:"time,omitempty"`        // N905 (N9 only)
	Extra       Extra  `json:"extra,omitempty"`       // e.g. REF04, N906, N907
}

// Description is a PID segment. A free-form description has Type F and the
// text in Text.
type Description struct {
	Type           string `json:"type"`                     // PID01: F free-form, S structured, X both
	Characteristic string `json:"characteristic,omitempty"` // PID02
	Agency         string `json:"agency,omitempty"`         // PID03
	Code           string `json:"code,omitempty"`           // PID04
	Text           string `json:"text,omitempty"`           // PID05
	Extra          Extra  `json:"extra,omitempty"`
}

// Note is an NTE segment.
type Note struct {
	Code  string `json:"code,omitempty"` // NTE01, e.g. WHI warehouse instruction
	Text  string `json:"text"`           // NTE02
	Extra Extra  `json:"extra,omitempty"`
}

// TextLine is an N2 (two names) or N3 (two address lines) segment.
type TextLine struct {
	Text  string `json:"text"`            // N201 / N301
	Text2 string `json:"text2,omitempty"` // N202 / N302
	Extra Extra  `json:"extra,omitempty"`
}

// Place is an N4 segment.
type Place struct {
	City              string `json:"city,omitempty"`               // N401
	State             string `json:"state,omitempty"`              // N402
	Postal            string `json:"postal,omitempty"`             // N403
	Country           string `json:"country,omitempty"`            // N404
	LocationQualifier string `json:"location_qualifier,omitempty"` // N405
	Location          string `json:"location,omitempty"`           // N406
	Extra             Extra  `json:"extra,omitempty"`
}

// Party is an N1 loop: N1, N2, N3, N4 and REF; other segments of the loop
// (PER, FOB, ...) are kept in Other, and so is an N2, N3, N4 or REF that
// comes out of that order, with every segment after it (the loop is
// written in the order read).
type Party struct {
	Entity      string      `json:"entity"`                 // N101: ST ship to, SF ship from, WH warehouse, DE depositor, BY buyer, ...
	Name        string      `json:"name,omitempty"`         // N102
	IDQualifier string      `json:"id_qualifier,omitempty"` // N103, e.g. 92 assigned by buyer, 9 DUNS+4, ZZ
	ID          string      `json:"id,omitempty"`           // N104
	Extra       Extra       `json:"extra,omitempty"`        // N105, N106
	Names       []TextLine  `json:"names,omitempty"`        // N2 segments
	Street      []TextLine  `json:"street,omitempty"`       // N3 segments
	Place       *Place      `json:"place,omitempty"`        // N4
	Refs        []Reference `json:"refs,omitempty"`         // REF segments
	Other       []Segment   `json:"other,omitempty"`
	Pos         int         `json:"pos,omitempty"` // the N1's number in the set
}

// Totals is a CTT segment.
type Totals struct {
	Count string  `json:"count"`          // CTT01: LIN items (846) or HL segments (856)
	Hash  Decimal `json:"hash,omitempty"` // CTT02: hash total of quantities
	Extra Extra   `json:"extra,omitempty"`
}

// FindParty returns the first party with entity code entity, or nil.
func FindParty(parties []Party, entity string) *Party {
	for i := range parties {
		if parties[i].Entity == entity {
			return &parties[i]
		}
	}
	return nil
}

// FindDate returns the first date with qualifier q, or nil.
func FindDate(dates []DateTime, q string) *DateTime {
	for i := range dates {
		if dates[i].Qualifier == q {
			return &dates[i]
		}
	}
	return nil
}

// FindRef returns the first reference with qualifier q, or nil.
func FindRef(refs []Reference, q string) *Reference {
	for i := range refs {
		if refs[i].Qualifier == q {
			return &refs[i]
		}
	}
	return nil
}

// FindID returns the id with qualifier q, or "".
func FindID(ids []ProductID, q string) string {
	for _, p := range ids {
		if p.Qualifier == q {
			return p.ID
		}
	}
	return ""
}

// FreeText returns the text of the first free-form (type F or X)
// description, or "".
func FreeText(descs []Description) string {
	for _, d := range descs {
		if (d.Type == "F" || d.Type == "X") && d.Text != "" {
			return d.Text
		}
	}
	return ""
}
