package documents

import (
	"fmt"

	"github.com/dockside-edi/dockside/edi/x12"
)

// Encode writes the 947 as one transaction set, ST to SE, with ST02
// control; version (the group's GS08) decides ST03.
func (aa *AdjustmentAdvice947) Encode(w *x12.Writer, control, version string) error {
	e, err := beginSet(w, "947", control, version)
	if err != nil {
		return err
	}
	if aa.Date == "" {
		return fmt.Errorf("947 W1501: %w", ErrMissingElement)
	}
	if err := e.seg("W15", aa.Extra, aa.Date, aa.WarehouseAdjustment, aa.DepositorAdjustment, aa.Purpose, aa.TransactionType, aa.Action); err != nil {
		return err
	}
	if err := e.heading(&aa.WarehouseHeading); err != nil {
		return err
	}
	if err := e.others(aa.Other); err != nil {
		return err
	}
	for i := range aa.Lines {
		if err := encodeLine947(e, &aa.Lines[i]); err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	return e.end()
}

func encodeLine947(e *setWriter, l *Line947) error {
	if l.Reason == "" || l.Quantity == "" || l.Unit == "" {
		return fmt.Errorf("947 W1901..W1903: %w", ErrMissingElement)
	}
	if err := e.number("W1902", l.Quantity); err != nil {
		return err
	}
	els, err := itemElements(18, l.IDs, w19IDPairs)
	if err != nil {
		return fmt.Errorf("947 W19: %w", err)
	}
	els[0], els[1], els[2], els[3], els[8], els[15] = l.Reason, string(l.Quantity), l.Unit, l.CaseUPC, l.Lot, l.TransactionType
	if err := e.seg("W19", l.Extra, els...); err != nil {
		return err
	}
	return e.lineDetail(&l.LineDetail)
}
