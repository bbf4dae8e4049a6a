package partners

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Document is one kind of inbound document and its mapping onto the
// ledger.
type Document struct {
	// Type is the document's kind.
	Type DocType `yaml:"type" required:"true"`
	// Match is a file-name pattern (path.Match syntax, on the base name)
	// selecting the flat files this document applies to; empty: every
	// file. Flat files only: X12 documents are recognized by ST01.
	Match string `yaml:"match"`
	// Content says whether the document holds absolute figures or
	// changes: required for x12/846 and flat files; not used by 850, 856
	// and 940, which are movements.
	Content Content `yaml:"content"`
	// OnError says what happens when some lines are bad (default reject).
	OnError OnError `yaml:"on_error"`
	// Mapping is how the document's content maps onto the ledger.
	Mapping Mapping `yaml:"mapping"`
}

func (d *Document) setDefaults() {
	if d.OnError == "" {
		d.OnError = OnErrorReject
	}
}

// Mapping is how a document's lines become ledger movements. Which fields
// apply depends on the document type; the others must be left out.
type Mapping struct {
	// Buckets maps the partner's quantity codes to ledger buckets: QTY01
	// qualifiers for x12/846 (e.g. "17": on_hand, "20": damaged,
	// "33": compare), the values of the bucket column for flat files.
	// Codes not listed are reported as errors.
	Buckets map[string]Bucket `yaml:"buckets"`
	// Bucket is where a flat file's quantities go when it has no bucket
	// column (default on_hand).
	Bucket Bucket `yaml:"bucket"`
	// Location says where the document names its location. Required for
	// x12/846 and x12/850 (an 850 names the retailer's stores, rarely our
	// warehouse: {source: fixed, id: CODE} allocates every order at one
	// location, {source: header_n1, qualifier: SF} at the N1*SF ship-from
	// the 850 must then carry); 940 defaults to header N1*WH; 856 to header
	// N1*ST (asn) or N1*SF (shipment_confirmation); 945 to header N1*SF (a
	// 945 without it ships from the location its 940 was sent for); flat
	// files to the location column.
	Location Location `yaml:"location"`
	// Effective says where the time of the figures comes from. Defaults:
	// 846 bia; 856 dtm 011 (shipped); 850 and 940 received (the only
	// source an 850 takes: an order allocates when it arrives); 943, 944,
	// 945 and 947 document; flat files the time column when there is one,
	// else received.
	Effective Effective `yaml:"effective"`
	// Mode is what an x12/856 means (required for 856).
	Mode ShipNoticeMode `yaml:"mode"`
	// ExpectedDate is the DTM01 qualifier of the expected arrival date of
	// an 856 in asn mode (default 017, estimated delivery), or the G6201
	// qualifier of a 943's (default 17, estimated delivery).
	ExpectedDate string `yaml:"expected_date"`
	// ReceiveAgainst says what an x12/944 receipt takes off: none (the
	// default: on hand grows, in transit is left alone) or in_transit
	// (the stock a 943 or an 856 announced at the receiving location is
	// taken off in transit, up to the quantity received; a short receipt
	// leaves the rest in transit, where it stays visible; a receipt line
	// whose item has nothing in transit there, a transfer nobody
	// announced, fails the 944 at its W07, nothing posted, to be replayed
	// once the 943 or 856 is in). The movements carry W17-04, or W17-05
	// when it is empty, as their order reference.
	ReceiveAgainst ReceiveAgainst `yaml:"receive_against"`
	// Conditions maps the receiving condition codes of a 944's W13
	// exceptions (W13-03, e.g. "01" damaged) to the bucket the excepted
	// quantity goes to: damaged or quarantined (moved out of available;
	// on hand keeps it), on_hand (counted as good) or ignore. A W13 with a
	// code not listed is an error naming its segment. x12/944 only.
	Conditions map[string]Bucket `yaml:"conditions"`
	// Reasons is the reason table of an x12/947: each W19-01 adjustment
	// reason code the partner uses and what it does (partners differ in
	// both the codes and the sign of W19-02). Required for 947; a line
	// whose reason is not listed, or whose sign contradicts the reason's
	// direction, is an error naming its segment, and (with the default
	// on_error: reject) nothing of the document is posted.
	Reasons map[string]Adjustment `yaml:"reasons"`
	// Items says how the partner's item ids become our SKUs.
	Items Items `yaml:"items"`
	// Units converts the partner's units of measure to ours.
	Units Units `yaml:"units"`
	// Warehouses names a table mapping the partner's location codes to
	// our locations; empty: the partner's codes are our locations.
	Warehouses string `yaml:"warehouses"`
	// CSV is the layout of a csv document.
	CSV *CSVLayout `yaml:"csv"`
	// Fixed is the layout of a fixed-width document.
	Fixed *FixedLayout `yaml:"fixed"`
	// XLSX is the layout of an xlsx document.
	XLSX *XLSXLayout `yaml:"xlsx"`
	// Columns are the columns of a csv or xlsx document.
	Columns *Columns `yaml:"columns"`
	// TimeFormat is the Go time layout of a flat file's time column
	// (default RFC 3339, "2006-01-02T15:04:05Z07:00").
	TimeFormat string `yaml:"time_format"`
}

// Location says where a document names the location of its quantities.
type Location struct {
	// Source is where the location comes from.
	Source LocationSource `yaml:"source"`
	// Qualifier is the N1-01 entity code of the N1 to read (WH warehouse,
	// ST ship to, SF ship from...): header_n1 and lin_n1 only.
	Qualifier string `yaml:"qualifier"`
	// IDQualifier, when set, is the N1-03 (or SDQ-02) id code qualifier
	// the location id must carry (92 assigned by buyer, 1 DUNS, ZZ...).
	IDQualifier string `yaml:"id_qualifier"`
	// ID is the partner's code of the single location (fixed only); it
	// goes through the warehouses table like any other.
	ID string `yaml:"id"`
}

// Effective says where the time of a document's figures comes from.
type Effective struct {
	// Source is where the time comes from.
	Source TimeSource `yaml:"source"`
	// Qualifier is the DTM01 qualifier to read (dtm only), e.g. 405.
	Qualifier string `yaml:"qualifier"`
}

// Items says how a partner's item ids become our SKUs.
type Items struct {
	// Order lists the X12 product id qualifiers to try, first found wins
	// (SK, VN, VP, UP, UK, EN, BP, IN...): required for X12 documents,
	// not used by flat files (the sku column).
	Order []string `yaml:"order"`
	// Lookup names a table translating the partner's id to our SKU;
	// empty: the partner's id is our SKU.
	Lookup string `yaml:"lookup"`
}

// Units converts a partner's units of measure to the one we count in.
type Units struct {
	// Base is the unit we count in (default EA).
	Base string `yaml:"base"`
	// Convert maps a partner unit to its size in base units: a fixed
	// factor (CA: 12) or the name of a table keyed by our SKU whose value
	// is the pack size (CA: case_packs).
	Convert map[string]UnitConversion `yaml:"convert"`
}

func (u *Units) setDefaults() {
	if u.Base == "" {
		u.Base = "EA"
	}
}

// UnitConversion is a fixed factor or a per-item table: exactly one is
// set.
type UnitConversion struct {
	Factor int    // base units per partner unit
	Table  string // table giving the pack size per SKU
}

// decodeScalar reads a whole number as a factor, anything else as a
// table name.
func (u *UnitConversion) decodeScalar(n *yaml.Node) error {
	if f, err := strconv.Atoi(n.Value); err == nil {
		*u = UnitConversion{Factor: f}
		if f < 1 {
			return details(ErrInvalid, "factor %d must be at least 1", f)
		}
		return nil
	}
	if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
		return details(ErrInvalid, "factor %s must be a whole number", n.Value)
	}
	*u = UnitConversion{Table: n.Value}
	return nil
}

// CSVLayout is the layout of a delimited text file.
type CSVLayout struct {
	// Delimiter is one character (default ","; "\t" or "tab" for tabs).
	Delimiter string `yaml:"delimiter"`
	// Header says whether the first line holds column names (default
	// true).
	Header bool `yaml:"header"`
}

func (c *CSVLayout) setDefaults() {
	if c.Delimiter == "" {
		c.Delimiter = ","
		c.Header = true
	}
}

// Comma returns the delimiter as a rune.
func (c *CSVLayout) Comma() rune { return delimiterRune(c.Delimiter) }

// FixedLayout is the layout of a fixed-width text file.
type FixedLayout struct {
	// SkipLines is the number of lines to skip at the top (headers).
	SkipLines int `yaml:"skip_lines"`
	// Fields are the positions of the fields.
	Fields FixedFields `yaml:"fields" required:"true"`
}

// FixedFields are the positions of a fixed-width file's fields; SKU and
// Quantity are required.
type FixedFields struct {
	SKU      *Span `yaml:"sku"`      // our or the partner's item id
	Location *Span `yaml:"location"` // the partner's location code
	Quantity *Span `yaml:"quantity"` // signed whole number
	Bucket   *Span `yaml:"bucket"`   // code looked up in Mapping.Buckets
	Time     *Span `yaml:"time"`     // read with Mapping.TimeFormat
	Unit     *Span `yaml:"unit"`     // unit of measure, see Mapping.Units
}

// Span is a field of a fixed-width line.
type Span struct {
	// Start is the 1-based column of the first character.
	Start int `yaml:"start" required:"true"`
	// Length is the number of characters.
	Length int `yaml:"length" required:"true"`
}

// XLSXLayout is the layout of an Excel workbook.
type XLSXLayout struct {
	// Sheet is the sheet name; empty: the first sheet.
	Sheet string `yaml:"sheet"`
	// HeaderRow is the 1-based row holding the column names (default 1);
	// data starts on the next row. 0: no header, data starts on row 1.
	HeaderRow int `yaml:"header_row"`
}

func (x *XLSXLayout) setDefaults() {
	if x.HeaderRow == 0 {
		x.HeaderRow = 1
	}
}

// Columns are the columns of a csv or xlsx document: each a header name
// or a 1-based column number (numbers only when there is no header). SKU
// and Quantity are required.
type Columns struct {
	SKU      Column `yaml:"sku" required:"true"`      // the item id
	Location Column `yaml:"location"`                 // the partner's location code
	Quantity Column `yaml:"quantity" required:"true"` // signed number
	Bucket   Column `yaml:"bucket"`                   // code looked up in Mapping.Buckets
	Time     Column `yaml:"time"`                     // read with Mapping.TimeFormat
	Unit     Column `yaml:"unit"`                     // unit of measure, see Mapping.Units
}

// Column is a header name or a 1-based column number.
type Column string

// Number returns the 1-based column number when the column is given by
// number.
func (c Column) Number() (int, bool) {
	n, err := strconv.Atoi(string(c))
	return n, err == nil && n > 0
}
