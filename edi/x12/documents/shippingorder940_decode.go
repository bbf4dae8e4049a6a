package documents

import (
	"github.com/dockside-edi/dockside/edi/x12"
)

var (
	w05Named = upTo(5)
	g62Named = upTo(5)
	w66Named = upTo(5).and(10)
	w01Named = upTo(7).and(15, 16)
	w76Named = upTo(5)
)

// Decode940 decodes a 940 transaction set.
func Decode940(t *x12.Transaction) (*ShippingOrder940, error) {
	r, err := newSetReader(t, "940")
	if err != nil {
		return nil, err
	}
	d := decoder940{setReader: r}
	return d.decode()
}

type decoder940 struct {
	*setReader
	doc   *ShippingOrder940
	party *Party // the open header N1 loop, or nil
	lx    string // LX01 of the open LX loop
	lxSeg *x12.Segment
	loop  []Segment // LX loop segments waiting for their W01
	line  *Line940  // the W01 loop being read, or nil
}

func (d *decoder940) decode() (*ShippingOrder940, error) {
	segs := d.segs
	if len(segs) == 0 || segs[0].ID != "W05" {
		return nil, missingSegment(d.setReader, "W05")
	}
	s := &segs[0]
	if err := d.need(s, 2); err != nil {
		return nil, err
	}
	d.doc = &ShippingOrder940{
		Purpose: d.code(s, 1), DepositorOrder: d.text(s, 2), PurchaseOrder: d.text(s, 3),
		LinkSequence: d.text(s, 4), MasterReference: d.text(s, 5), Extra: d.extra(s, w05Named),
		Lines: []Line940{},
	}
	for i := 1; i < len(segs); i++ {
		s := &segs[i]
		var err error
		switch {
		case s.ID == "":
			err = d.noID(s)
		case s.ID == "W76":
			if err := d.endLX(); err != nil {
				return nil, err
			}
			if d.doc.Totals, err = d.w76(s); err != nil {
				return nil, err
			}
			return d.doc, d.after(segs[i+1:], &d.doc.After)
		case s.ID == "LX":
			err = d.startLX(s)
		case s.ID == "W01":
			err = d.w01(s)
		case d.lxSeg != nil:
			d.loop = append(d.loop, d.segment(s))
		case d.line != nil:
			d.lineSegment(s)
		default:
			err = d.header(s)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := d.endLX(); err != nil {
		return nil, err
	}
	return d.doc, nil
}

func (d *decoder940) header(s *x12.Segment) error {
	doc := d.doc
	switch s.ID {
	case "N1":
		doc.Parties = append(doc.Parties, d.n1(s))
		d.party = &doc.Parties[len(doc.Parties)-1]
		return nil
	case "N9":
		doc.Refs = append(doc.Refs, d.n9(s))
	case "G62":
		doc.Dates = append(doc.Dates, d.g62(s))
	case "NTE":
		doc.Notes = append(doc.Notes, d.nte(s))
	case "W66":
		if doc.Carrier != nil {
			doc.Other = append(doc.Other, d.segment(s))
			break
		}
		doc.Carrier = &WarehouseCarrier{
			PaymentMethod: d.code(s, 1), TransportMethod: d.code(s, 2), PalletExchange: d.code(s, 3),
			UnitLoad: d.code(s, 4), Routing: d.text(s, 5), SCAC: d.code(s, 10), Extra: d.extra(s, w66Named),
		}
	case "G69":
		return d.fail(s, 0, ErrMisplaced)
	default:
		if d.party != nil {
			if !d.partyPart(d.party, s) {
				d.party.Other = append(d.party.Other, d.segment(s))
			}
			return nil
		}
		doc.Other = append(doc.Other, d.segment(s))
	}
	d.party = nil
	return nil
}

func (d *decoder940) startLX(s *x12.Segment) error {
	if err := d.endLX(); err != nil {
		return err
	}
	if err := d.need(s, 1); err != nil {
		return err
	}
	d.lx, d.lxSeg, d.line, d.party = d.code(s, 1), s, nil, nil
	return nil
}

// endLX fails when an LX loop ended before its first W01.
func (d *decoder940) endLX() error {
	if d.lxSeg != nil {
		e := d.fail(d.lxSeg, 0, ErrMissingSegment)
		e.Segment = "W01"
		return e
	}
	return nil
}

func (d *decoder940) w01(s *x12.Segment) error {
	if err := d.need(s, 1); err != nil {
		return err
	}
	if err := d.need(s, 2); err != nil {
		return err
	}
	q, err := d.decimal(s, 1)
	if err != nil {
		return err
	}
	l := Line940{
		LX: d.lx, LoopSegments: d.loop, Quantity: q, Unit: d.code(s, 2), CaseUPC: d.text(s, 3),
		Extra: d.extra(s, w01Named), Pos: s.Pos.SetIndex,
	}
	keep := 0
	var ids [len(w01IDPairs)]ProductID
	for k, at := range w01IDPairs {
		ids[k] = ProductID{Qualifier: d.code(s, at), ID: d.text(s, at+1)}
		if ids[k] != (ProductID{}) {
			keep = k + 1
		}
	}
	if keep > 0 {
		l.IDs = append([]ProductID(nil), ids[:keep]...)
	}
	if l.CaseUPC == "" && keep == 0 {
		return d.fail(s, 3, ErrMissingElement) // syntax note R0304
	}
	d.doc.Lines = append(d.doc.Lines, l)
	d.line = &d.doc.Lines[len(d.doc.Lines)-1]
	d.lxSeg, d.loop, d.party = nil, nil, nil
	return nil
}

func (d *decoder940) lineSegment(s *x12.Segment) {
	l := d.line
	switch s.ID {
	case "G69":
		n := s.Len()
		for n > 0 && len(s.Element(n)) == 0 {
			n--
		}
		if n > 1 {
			// G69 has one element; keep anything more as data. (Trailing
			// empty elements do not count: they are not written again.)
			l.Other = append(l.Other, d.segment(s))
			break
		}
		l.Descriptions = append(l.Descriptions, d.text(s, 1))
	case "N9":
		l.Refs = append(l.Refs, d.n9(s))
	case "NTE":
		l.Notes = append(l.Notes, d.nte(s))
	case "G62":
		l.Dates = append(l.Dates, d.g62(s))
	default:
		l.Other = append(l.Other, d.segment(s))
	}
}

func (d *decoder940) g62(s *x12.Segment) OrderDate {
	return OrderDate{
		Qualifier: d.code(s, 1), Date: d.code(s, 2), TimeQualifier: d.code(s, 3),
		Time: d.code(s, 4), TimeCode: d.code(s, 5), Extra: d.extra(s, g62Named),
	}
}

func (d *decoder940) w76(s *x12.Segment) (*OrderTotals, error) {
	var t OrderTotals
	var err error
	if t.Quantity, err = d.decimal(s, 1); err != nil {
		return nil, err
	}
	if t.Weight, err = d.decimal(s, 2); err != nil {
		return nil, err
	}
	if t.Volume, err = d.decimal(s, 4); err != nil {
		return nil, err
	}
	t.WeightUnit, t.VolumeUnit, t.Extra = d.code(s, 3), d.code(s, 5), d.extra(s, w76Named)
	return &t, nil
}
