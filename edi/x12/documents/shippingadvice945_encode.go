package documents

import (
	"fmt"

	"github.com/dockside-edi/dockside/edi/x12"
)

// Encode writes the 945 as one transaction set, ST to SE, with ST02
// control; version (the group's GS08) decides ST03.
func (sa *ShippingAdvice945) Encode(w *x12.Writer, control, version string) error {
	e, err := beginSet(w, "945", control, version)
	if err != nil {
		return err
	}
	if err := e.w06(&sa.Shipment); err != nil {
		return err
	}
	if err := e.heading(&sa.WarehouseHeading); err != nil {
		return err
	}
	if err := e.w27(sa.Carrier); err != nil {
		return err
	}
	if err := e.others(sa.Other); err != nil {
		return err
	}
	lx := func(i int) string { return sa.Lines[i].LX }
	for i := range sa.Lines {
		if err := encodeLine945(e, &sa.Lines[i], newLX(lx, i)); err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	if err := e.w03(sa.Totals); err != nil {
		return err
	}
	if err := e.others(sa.After); err != nil {
		return err
	}
	return e.end()
}

func encodeLine945(e *setWriter, l *Line945, newLX bool) error {
	if err := e.lx(l.LX, l.LoopSegments, newLX); err != nil {
		return err
	}
	if l.Status == "" {
		return fmt.Errorf("945 W1201: %w", ErrMissingElement)
	}
	for _, n := range []Decimal{l.Ordered, l.Shipped, l.Difference} {
		if err := e.number("W12", n); err != nil {
			return err
		}
	}
	els, err := itemElements(22, l.IDs, w12IDPairs)
	if err != nil {
		return fmt.Errorf("945 W12: %w", err)
	}
	els[0], els[1], els[2], els[3] = l.Status, string(l.Ordered), string(l.Shipped), string(l.Difference)
	els[4], els[5], els[8] = l.Unit, l.CaseUPC, l.Lot
	if err := e.seg("W12", l.Extra, els...); err != nil {
		return err
	}
	return e.lineDetail(&l.LineDetail)
}
