package documents

import (
	"fmt"

	"github.com/dockside-edi/dockside/edi/x12"
)

// Encode writes the 850 as one transaction set, ST to SE, with ST02
// control; version (the group's GS08) decides ST03.
func (po *PurchaseOrder850) Encode(w *x12.Writer, control, version string) error {
	e, err := beginSet(w, "850", control, version)
	if err != nil {
		return err
	}
	if po.Purpose == "" || po.Number == "" {
		return fmt.Errorf("850 BEG01/BEG03: %w", ErrMissingElement)
	}
	if err := e.seg("BEG", po.Extra, po.Purpose, po.Type, po.Number, po.Release, po.Date); err != nil {
		return err
	}
	ranks := ranked(po.Other, rank850Heading)
	at := 0
	// upTo writes the Other segments ranked below r.
	upTo := func(r int) error {
		for ; at < len(po.Other) && ranks[at] < r; at++ {
			if err := e.other(po.Other[at]); err != nil {
				return err
			}
		}
		return nil
	}
	steps := []struct {
		rank  int
		write func() error
	}{
		{rank850Heading["REF"], func() error { return e.refs("REF", po.Refs) }},
		{rank850Heading["DTM"], func() error { return e.dtms(po.Dates) }},
		{rank850Heading["N1"], func() error { return e.parties(po.Parties) }},
	}
	for _, st := range steps {
		if err := upTo(st.rank); err != nil {
			return err
		}
		if err := st.write(); err != nil {
			return err
		}
	}
	if err := e.others(po.Other[at:]); err != nil {
		return err
	}
	for i := range po.Lines {
		if err := encodeLine850(e, &po.Lines[i]); err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	if err := e.totals(po.Totals); err != nil {
		return err
	}
	if err := e.others(po.After); err != nil {
		return err
	}
	return e.end()
}

func encodeLine850(e *setWriter, l *Line850) error {
	for _, n := range []Decimal{l.Quantity, l.UnitPrice} {
		if err := e.number("PO1", n); err != nil {
			return err
		}
	}
	if len(l.IDs) > len(po1IDPairs) {
		return fmt.Errorf("850 PO1: %d id pairs, at most %d fit", len(l.IDs), len(po1IDPairs))
	}
	els := productIDs([]string{l.LineID, string(l.Quantity), l.Unit, string(l.UnitPrice), l.PriceBasis}, l.IDs)
	if err := e.seg("PO1", l.Extra, els...); err != nil {
		return err
	}
	ranks := ranked(l.Other, rank850Line)
	at := 0
	for ; at < len(l.Other) && ranks[at] < rank850Line["SDQ"]; at++ {
		if err := e.other(l.Other[at]); err != nil {
			return err
		}
	}
	for _, q := range l.Destinations {
		buf := []string{q.Unit, q.IDQualifier}
		for _, lq := range q.Quantities {
			if err := e.number("SDQ quantity", lq.Quantity); err != nil {
				return err
			}
			buf = append(buf, lq.Location, string(lq.Quantity))
		}
		if q.Location != "" {
			for len(buf) < 22 {
				buf = append(buf, "")
			}
			buf = append(buf, q.Location)
		}
		if err := e.seg("SDQ", q.Extra, buf...); err != nil {
			return err
		}
	}
	return e.others(l.Other[at:])
}
