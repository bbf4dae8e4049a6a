package partners

// The profile options of the warehouse advices (x12/943, x12/944,
// x12/947).

// ReceiveAgainst says what a 944 receipt takes off besides adding to on
// hand.
type ReceiveAgainst string

// Receive-against options.
const (
	ReceiveNone      ReceiveAgainst = "none"       // on hand only (the default)
	ReceiveInTransit ReceiveAgainst = "in_transit" // also take the receipt off in transit at the receiving location
)

func (r ReceiveAgainst) check() error { return oneOf(r, ReceiveNone, ReceiveInTransit) }

// Adjustment is what one 947 reason code does to the stock.
type Adjustment struct {
	// Bucket is what the reason changes: on_hand (a quantity gained or
	// lost: counts, book increase/decrease, destroyed, found), damaged or
	// quarantined (a status: the quantity moves between available and
	// that bucket, on hand unchanged), or ignore (the line is read and
	// dropped).
	Bucket Bucket `yaml:"bucket" required:"true"`
	// Direction says how to read W19-02: increase (adds to the bucket;
	// W19-02 must not be negative), decrease (takes from the bucket;
	// W19-02 must not be negative), signed (W19-02's own sign says; for
	// partners that send "positive or negative" quantities), or count
	// (W19-02 is the bucket's counted quantity as of the line's date, its
	// G62 or else W15-01, as for a physical count AA: the ledger posts the
	// difference from its balance as of then). Not used with ignore.
	Direction Direction `yaml:"direction"`
}

// Direction is how to read a 947 line's quantity.
type Direction string

// Directions.
const (
	DirectionIncrease Direction = "increase" // adds W19-02 to the bucket
	DirectionDecrease Direction = "decrease" // takes W19-02 from the bucket
	DirectionSigned   Direction = "signed"   // W19-02 is signed: positive adds, negative takes
	DirectionCount    Direction = "count"    // W19-02 is the counted quantity of the bucket
)

func (d Direction) check() error {
	return oneOf(d, DirectionIncrease, DirectionDecrease, DirectionSigned, DirectionCount)
}

// warehouse checks the options of an x12/943, x12/944 or x12/947 document.
func (c *checker) warehouse(doc *Document, mp, why string) {
	m := &doc.Mapping
	c.notHere(mp, why, map[string]bool{
		"buckets": m.Buckets != nil, "bucket": m.Bucket != "", "mode": m.Mode != "",
		"csv": m.CSV != nil, "fixed": m.Fixed != nil, "xlsx": m.XLSX != nil, "columns": m.Columns != nil,
		"time_format": m.TimeFormat != "",
	})
	only := map[string]bool{
		"expected_date":   m.ExpectedDate != "" && doc.Type != DocX12943,
		"receive_against": m.ReceiveAgainst != "" && doc.Type != DocX12944,
		"conditions":      m.Conditions != nil && doc.Type != DocX12944,
		"reasons":         m.Reasons != nil && doc.Type != DocX12947,
	}
	c.notHere(mp, why, only)
	if m.Location.Source == "" {
		q := "WH"
		if doc.Type == DocX12943 {
			q = "ST" // the destination warehouse of the transfer
		}
		m.Location = Location{Source: LocationHeaderN1, Qualifier: q}
	}
	switch doc.Type {
	case DocX12943:
		if m.ExpectedDate == "" {
			m.ExpectedDate = "17"
		} else if !code(m.ExpectedDate, 2, 2) {
			c.failf(keyPath(mp, "expected_date"), ErrInvalid, "%q is not a G62-01 date qualifier (2 letters or digits, e.g. 17)", m.ExpectedDate)
		}
	case DocX12944:
		if m.ReceiveAgainst == "" {
			m.ReceiveAgainst = ReceiveNone
		}
		for cond, b := range m.Conditions {
			p := keyPath(keyPath(mp, "conditions"), cond)
			if !code(cond, 2, 2) {
				c.failKey(p, ErrInvalid, "%q is not a W13-03 receiving condition code (2 letters or digits)", cond)
			}
			switch b {
			case BucketDamaged, BucketQuarantined, BucketOnHand, BucketIgnore:
			case "":
				c.failf(p, ErrRequired, "is required: damaged, quarantined, on_hand or ignore")
			default:
				c.failf(p, ErrInvalid, "%s: a receipt exception goes to damaged, quarantined, on_hand or ignore", b)
			}
		}
	case DocX12947:
		if len(m.Reasons) == 0 {
			c.failf(keyPath(mp, "reasons"), ErrRequired, "is required: what each W19-01 reason code does (e.g. \"AU\": {bucket: damaged, direction: increase})")
		}
		for reason, a := range m.Reasons {
			p := keyPath(keyPath(mp, "reasons"), reason)
			if !code(reason, 2, 2) {
				c.failKey(p, ErrInvalid, "%q is not a W19-01 reason code (2 letters or digits)", reason)
			}
			switch a.Bucket {
			case BucketIgnore:
				c.notHere(p, "to an ignored reason", map[string]bool{"direction": a.Direction != ""})
			case BucketOnHand, BucketDamaged, BucketQuarantined:
				if a.Direction == "" {
					c.failf(keyPath(p, "direction"), ErrRequired, "is required: increase, decrease, signed or count")
				}
			case "":
			default:
				c.failf(keyPath(p, "bucket"), ErrInvalid, "%s: an adjustment changes on_hand, damaged or quarantined (or ignore)", a.Bucket)
			}
		}
	}
}

// notWarehouse refuses the warehouse-only options on other document
// types.
func (c *checker) notWarehouse(doc *Document, mp, why string) {
	m := &doc.Mapping
	c.notHere(mp, why, map[string]bool{
		"receive_against": m.ReceiveAgainst != "", "conditions": m.Conditions != nil, "reasons": m.Reasons != nil,
	})
}
