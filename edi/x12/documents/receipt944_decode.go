package documents

import "github.com/dockside-edi/dockside/edi/x12"

var (
	w17Named = upTo(5)
	w07Named = upTo(8).and(10, 11)
	w13Named = upTo(4)
	w14Named = upTo(1)
)

// Decode944 decodes a 944 transaction set, in the 004010 shape or the LX
// shape of 004020 and later.
func Decode944(t *x12.Transaction) (*ReceiptAdvice944, error) {
	r, err := newSetReader(t, "944")
	if err != nil {
		return nil, err
	}
	d := decoder944{setReader: r}
	return d.decode()
}

type decoder944 struct {
	*setReader
	doc   *ReceiptAdvice944
	party *Party
	lx    lxLoop
	line  *Line944
	exc   *ReceiptException
}

func (d *decoder944) decode() (*ReceiptAdvice944, error) {
	segs := d.segs
	if len(segs) == 0 || segs[0].ID != "W17" {
		return nil, missingSegment(d.setReader, "W17")
	}
	s := &segs[0]
	for _, i := range []int{1, 2, 3} {
		if err := d.need(s, i); err != nil {
			return nil, err
		}
	}
	d.doc = &ReceiptAdvice944{
		ReportingCode: d.code(s, 1), ReceivedDate: d.code(s, 2), ReceiptNumber: d.text(s, 3),
		DepositorOrder: d.text(s, 4), ShipmentID: d.text(s, 5), Extra: d.extra(s, w17Named), Lines: make([]Line944, 0, count(segs, "W07")),
	}
	for i := 1; i < len(segs); i++ {
		s := &segs[i]
		var err error
		switch {
		case s.ID == "":
			err = d.noID(s)
		case s.ID == "W14":
			if err := d.lx.end(d.setReader, "W07"); err != nil {
				return nil, err
			}
			if err := d.need(s, 1); err != nil {
				return nil, err
			}
			q, err := d.decimal(s, 1)
			if err != nil {
				return nil, err
			}
			d.doc.Totals = &ReceiptTotals{Quantity: q, Extra: d.extra(s, w14Named)}
			return d.doc, d.after(segs[i+1:], &d.doc.After)
		case s.ID == "LX":
			err = d.lx.start(d.setReader, s, "W07")
			d.line, d.exc, d.party = nil, nil, nil
		case s.ID == "W07":
			err = d.w07(s)
		case s.ID == "W13":
			err = d.w13(s)
		case d.lx.seg != nil:
			d.lx.segs = append(d.lx.segs, d.segment(s))
		case d.exc != nil:
			if s.ID == "N9" {
				d.exc.Refs = append(d.exc.Refs, d.n9(s))
			} else {
				d.exc.Other = append(d.exc.Other, d.segment(s))
			}
		case d.line != nil:
			d.lineDetail(&d.line.LineDetail, s)
		default:
			err = d.heading(&d.doc.WarehouseHeading, &d.party, s)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := d.lx.end(d.setReader, "W07"); err != nil {
		return nil, err
	}
	return d.doc, nil
}

func (d *decoder944) w07(s *x12.Segment) error {
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
	l := Line944{Quantity: q, Unit: d.code(s, 2), CaseUPC: d.text(s, 3), IDs: d.idsAt(s, w07IDPairs),
		Lot: d.text(s, 8), Extra: d.extra(s, w07Named), Pos: s.Pos.SetIndex}
	if l.CaseUPC == "" && len(l.IDs) == 0 {
		return d.fail(s, 3, ErrMissingElement) // syntax note R0304
	}
	l.LX, l.LoopSegments = d.lx.take()
	d.doc.Lines = append(d.doc.Lines, l)
	d.line, d.exc, d.party = &d.doc.Lines[len(d.doc.Lines)-1], nil, nil
	return nil
}

func (d *decoder944) w13(s *x12.Segment) error {
	if d.line == nil || d.lx.seg != nil {
		return d.fail(s, 0, ErrMisplaced)
	}
	for _, i := range []int{1, 2, 3} {
		if err := d.need(s, i); err != nil {
			return err
		}
	}
	q, err := d.decimal(s, 1)
	if err != nil {
		return err
	}
	d.line.Exceptions = append(d.line.Exceptions, ReceiptException{
		Quantity: q, Unit: d.code(s, 2), Condition: d.code(s, 3), Lot: d.text(s, 4),
		Extra: d.extra(s, w13Named), Pos: s.Pos.SetIndex,
	})
	d.exc = &d.line.Exceptions[len(d.line.Exceptions)-1]
	return nil
}
