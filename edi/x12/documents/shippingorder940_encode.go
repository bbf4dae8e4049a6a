package documents

import (
	"fmt"

	"github.com/dockside-edi/dockside/edi/x12"
)

// Encode writes the 940 as one transaction set, ST to SE, with ST02
// control; version (the group's GS08) decides ST03.
func (o *ShippingOrder940) Encode(w *x12.Writer, control, version string) error {
	e, err := beginSet(w, "940", control, version)
	if err != nil {
		return err
	}
	if o.DepositorOrder == "" {
		return fmt.Errorf("940 W0502: %w", ErrMissingElement)
	}
	if err := o.encodeHeader(e); err != nil {
		return err
	}
	for i := range o.Lines {
		l := &o.Lines[i]
		// A line with loop segments opened its own LX loop (those of a
		// line sharing the loop would join the line before).
		newLX := l.LX != "" && (i == 0 || o.Lines[i-1].LX != l.LX || len(l.LoopSegments) > 0)
		if err := encodeLine940(e, l, newLX); err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	if t := o.Totals; t != nil {
		for _, n := range []Decimal{t.Quantity, t.Weight, t.Volume} {
			if err := e.number("W76", n); err != nil {
				return err
			}
		}
		if err := e.seg("W76", t.Extra, string(t.Quantity), string(t.Weight), t.WeightUnit, string(t.Volume), t.VolumeUnit); err != nil {
			return err
		}
	}
	if err := e.others(o.After); err != nil {
		return err
	}
	return e.end()
}

// encodeHeader writes W05, the N1 loops, N9, G62, NTE, W66 and the header's
// Other segments.
func (o *ShippingOrder940) encodeHeader(e *setWriter) error {
	if err := e.seg("W05", o.Extra, o.Purpose, o.DepositorOrder, o.PurchaseOrder, o.LinkSequence, o.MasterReference); err != nil {
		return err
	}
	if err := e.parties(o.Parties); err != nil {
		return err
	}
	if err := e.refs("N9", o.Refs); err != nil {
		return err
	}
	if err := e.g62s(o.Dates); err != nil {
		return err
	}
	if err := e.notes(o.Notes); err != nil {
		return err
	}
	if c := o.Carrier; c != nil {
		if err := e.seg("W66", c.Extra, c.PaymentMethod, c.TransportMethod, c.PalletExchange, c.UnitLoad, c.Routing,
			"", "", "", "", c.SCAC); err != nil {
			return err
		}
	}
	return e.others(o.Other)
}

// encodeLine940 writes [LX and its loop segments,] W01, G69, N9, NTE, G62
// and the line's Other segments.
func encodeLine940(e *setWriter, l *Line940, newLX bool) error {
	if newLX {
		if err := e.seg("LX", nil, l.LX); err != nil {
			return err
		}
	}
	if err := e.others(l.LoopSegments); err != nil {
		return err
	}
	if l.Quantity == "" || l.Unit == "" {
		return fmt.Errorf("940 W0101/W0102: %w", ErrMissingElement)
	}
	if err := e.number("W0101", l.Quantity); err != nil {
		return err
	}
	if len(l.IDs) > len(w01IDPairs) {
		return fmt.Errorf("940 W01: %d id pairs, at most %d fit", len(l.IDs), len(w01IDPairs))
	}
	var els [16]string
	els[0], els[1], els[2] = string(l.Quantity), l.Unit, l.CaseUPC
	for k, p := range l.IDs {
		at := w01IDPairs[k]
		els[at-1], els[at] = p.Qualifier, p.ID
	}
	if err := e.seg("W01", l.Extra, els[:]...); err != nil {
		return err
	}
	for _, d := range l.Descriptions {
		if err := e.seg("G69", nil, d); err != nil {
			return err
		}
	}
	if err := e.refs("N9", l.Refs); err != nil {
		return err
	}
	if err := e.notes(l.Notes); err != nil {
		return err
	}
	if err := e.g62s(l.Dates); err != nil {
		return err
	}
	return e.others(l.Other)
}

func (e *setWriter) g62s(ds []OrderDate) error {
	for _, d := range ds {
		if err := e.seg("G62", d.Extra, d.Qualifier, d.Date, d.TimeQualifier, d.Time, d.TimeCode); err != nil {
			return err
		}
	}
	return nil
}
