package documents

import (
	"fmt"

	"github.com/dockside-edi/dockside/edi/x12"
)

// Encode writes the 846 as one transaction set, ST to SE, with ST02
// control; version (the group's GS08) decides ST03 (written for 005010 and
// later). The caller writes the GS and ISA around it and flushes w.
func (doc *Inventory846) Encode(w *x12.Writer, control, version string) error {
	e, err := beginSet(w, "846", control, version)
	if err != nil {
		return err
	}
	if err := doc.encodeHeader(e); err != nil {
		return err
	}
	var buf []string
	for i := range doc.Items {
		if buf, err = encodeItem846(e, &doc.Items[i], buf); err != nil {
			return fmt.Errorf("item %d: %w", i+1, err)
		}
	}
	if err := e.totals(doc.Totals); err != nil {
		return err
	}
	if err := e.others(doc.After); err != nil {
		return err
	}
	return e.end()
}

func (doc *Inventory846) encodeHeader(e *setWriter) error {
	if err := e.seg("BIA", doc.Extra, doc.Purpose, doc.ReportType, doc.Reference, doc.Date, doc.Time); err != nil {
		return err
	}
	if err := e.refs("REF", doc.Refs); err != nil {
		return err
	}
	if err := e.dtms(doc.Dates); err != nil {
		return err
	}
	if err := e.others(doc.Other); err != nil {
		return err
	}
	return e.parties(doc.Parties)
}

// encodeItem846 writes one LIN loop: LIN, PID, DTM, REF, SDQ, the item's
// Other segments, the QTY loops and the N1 loops. buf is reused for the LIN
// elements.
func encodeItem846(e *setWriter, it *Item846, buf []string) ([]string, error) {
	if len(it.IDs) == 0 {
		return buf, fmt.Errorf("846 LIN02: %w", ErrMissingElement)
	}
	buf = productIDs(append(buf[:0], it.Line), it.IDs)
	if err := e.seg("LIN", nil, buf...); err != nil {
		return buf, err
	}
	if err := e.pids(it.Descriptions); err != nil {
		return buf, err
	}
	if err := e.dtms(it.Dates); err != nil {
		return buf, err
	}
	if err := e.refs("REF", it.Refs); err != nil {
		return buf, err
	}
	for _, l := range it.SDQ {
		buf = append(buf[:0], l.Unit, l.IDQualifier)
		for _, lq := range l.Quantities {
			if err := e.number("SDQ quantity", lq.Quantity); err != nil {
				return buf, err
			}
			buf = append(buf, lq.Location, string(lq.Quantity))
		}
		if l.Location != "" {
			for len(buf) < 22 {
				buf = append(buf, "")
			}
			buf = append(buf, l.Location)
		}
		if err := e.seg("SDQ", l.Extra, buf...); err != nil {
			return buf, err
		}
	}
	if err := e.others(it.Other); err != nil {
		return buf, err
	}
	if err := encodeQuantities846(e, it.Quantities); err != nil {
		return buf, err
	}
	for i := range it.Locations {
		l := &it.Locations[i]
		if err := e.party(&l.Party); err != nil {
			return buf, err
		}
		if err := encodeQuantities846(e, l.Quantities); err != nil {
			return buf, err
		}
	}
	return buf, nil
}

func encodeQuantities846(e *setWriter, qs []Quantity846) error {
	for i := range qs {
		q := &qs[i]
		if q.Qualifier == "" {
			return fmt.Errorf("846 QTY01: %w", ErrMissingElement)
		}
		if err := e.number("QTY02", q.Quantity); err != nil {
			return err
		}
		unit := q.Unit
		if len(q.UnitDetail) > 0 {
			unit = e.w.Composite(append([]string{unit}, q.UnitDetail...)...)
		}
		if err := e.seg("QTY", q.Extra, q.Qualifier, string(q.Quantity), unit); err != nil {
			return err
		}
		if err := e.dtms(q.Dates); err != nil {
			return err
		}
		if err := e.others(q.Other); err != nil {
			return err
		}
	}
	return nil
}
