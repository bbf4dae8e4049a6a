package documents

import "github.com/dockside-edi/dockside/edi/x12"

var w12Named = upTo(9).and(17, 18, 21, 22)

// Decode945 decodes a 945 transaction set.
func Decode945(t *x12.Transaction) (*ShippingAdvice945, error) {
	r, err := newSetReader(t, "945")
	if err != nil {
		return nil, err
	}
	d := decoder945{setReader: r}
	return d.decode()
}

type decoder945 struct {
	*setReader
	doc   *ShippingAdvice945
	party *Party
	lx    lxLoop
	line  *Line945
}

func (d *decoder945) decode() (*ShippingAdvice945, error) {
	segs := d.segs
	if len(segs) == 0 || segs[0].ID != "W06" {
		return nil, missingSegment(d.setReader, "W06")
	}
	w06, err := d.w06(&segs[0])
	if err != nil {
		return nil, err
	}
	d.doc = &ShippingAdvice945{Shipment: w06, Lines: make([]Line945, 0, count(segs, "W12"))}
	for i := 1; i < len(segs); i++ {
		s := &segs[i]
		var err error
		switch {
		case s.ID == "":
			err = d.noID(s)
		case s.ID == "W03":
			if err := d.lx.end(d.setReader, "W12"); err != nil {
				return nil, err
			}
			if d.doc.Totals, err = d.w03(s); err != nil {
				return nil, err
			}
			return d.doc, d.after(segs[i+1:], &d.doc.After)
		case s.ID == "LX":
			err = d.lx.start(d.setReader, s, "W12")
			d.line, d.party = nil, nil
		case s.ID == "W12":
			err = d.w12(s)
		case d.lx.seg != nil:
			d.lx.segs = append(d.lx.segs, d.segment(s))
		case d.line != nil:
			d.lineDetail(&d.line.LineDetail, s)
		case s.ID == "W27" && d.doc.Carrier == nil:
			d.doc.Carrier, err = d.w27(s)
			d.party = nil
		default:
			err = d.heading(&d.doc.WarehouseHeading, &d.party, s)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := d.lx.end(d.setReader, "W12"); err != nil {
		return nil, err
	}
	return d.doc, nil
}

func (d *decoder945) w12(s *x12.Segment) error {
	if err := d.need(s, 1); err != nil {
		return err
	}
	l := Line945{Status: d.code(s, 1), Unit: d.code(s, 5), CaseUPC: d.text(s, 6), IDs: d.idsAt(s, w12IDPairs),
		Lot: d.text(s, 9), Extra: d.extra(s, w12Named), Pos: s.Pos.SetIndex}
	if err := d.decimals(s, []int{2, 3, 4}, &l.Ordered, &l.Shipped, &l.Difference); err != nil {
		return err
	}
	if l.CaseUPC == "" && len(l.IDs) == 0 {
		return d.fail(s, 6, ErrMissingElement) // syntax note R0607
	}
	l.LX, l.LoopSegments = d.lx.take()
	d.doc.Lines = append(d.doc.Lines, l)
	d.line, d.party = &d.doc.Lines[len(d.doc.Lines)-1], nil
	return nil
}
