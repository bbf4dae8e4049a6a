package documents

import (
	"fmt"

	"github.com/dockside-edi/dockside/edi/x12"
)

// Encode writes the 944 as one transaction set, ST to SE, with ST02
// control; version (the group's GS08) decides ST03. Lines with an LX are
// written in LX loops, lines without one in the 004010 shape.
func (ra *ReceiptAdvice944) Encode(w *x12.Writer, control, version string) error {
	e, err := beginSet(w, "944", control, version)
	if err != nil {
		return err
	}
	if ra.ReportingCode == "" || ra.ReceivedDate == "" || ra.ReceiptNumber == "" {
		return fmt.Errorf("944 W1701..W1703: %w", ErrMissingElement)
	}
	if err := e.seg("W17", ra.Extra, ra.ReportingCode, ra.ReceivedDate, ra.ReceiptNumber, ra.DepositorOrder, ra.ShipmentID); err != nil {
		return err
	}
	if err := e.heading(&ra.WarehouseHeading); err != nil {
		return err
	}
	if err := e.others(ra.Other); err != nil {
		return err
	}
	lx := func(i int) string { return ra.Lines[i].LX }
	for i := range ra.Lines {
		if err := encodeLine944(e, &ra.Lines[i], newLX(lx, i)); err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	if t := ra.Totals; t != nil {
		if t.Quantity == "" {
			return fmt.Errorf("944 W1401: %w", ErrMissingElement)
		}
		if err := e.number("W1401", t.Quantity); err != nil {
			return err
		}
		if err := e.seg("W14", t.Extra, string(t.Quantity)); err != nil {
			return err
		}
	}
	if err := e.others(ra.After); err != nil {
		return err
	}
	return e.end()
}

func encodeLine944(e *setWriter, l *Line944, newLX bool) error {
	if err := e.lx(l.LX, l.LoopSegments, newLX); err != nil {
		return err
	}
	if l.Quantity == "" || l.Unit == "" {
		return fmt.Errorf("944 W0701/W0702: %w", ErrMissingElement)
	}
	if err := e.number("W0701", l.Quantity); err != nil {
		return err
	}
	els, err := itemElements(11, l.IDs, w07IDPairs)
	if err != nil {
		return fmt.Errorf("944 W07: %w", err)
	}
	els[0], els[1], els[2], els[7] = string(l.Quantity), l.Unit, l.CaseUPC, l.Lot
	if err := e.seg("W07", l.Extra, els...); err != nil {
		return err
	}
	if err := e.lineDetail(&l.LineDetail); err != nil {
		return err
	}
	for _, x := range l.Exceptions {
		if x.Quantity == "" || x.Unit == "" || x.Condition == "" {
			return fmt.Errorf("944 W1301..W1303: %w", ErrMissingElement)
		}
		if err := e.number("W1301", x.Quantity); err != nil {
			return err
		}
		if err := e.seg("W13", x.Extra, string(x.Quantity), x.Unit, x.Condition, x.Lot); err != nil {
			return err
		}
		if err := e.refs("N9", x.Refs); err != nil {
			return err
		}
		if err := e.others(x.Other); err != nil {
			return err
		}
	}
	return nil
}
