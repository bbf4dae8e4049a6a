package documents

import (
	"fmt"

	"github.com/dockside-edi/dockside/edi/x12"
)

// Encode writes the 943 as one transaction set, ST to SE, with ST02
// control; version (the group's GS08) decides ST03.
func (ts *TransferShipment943) Encode(w *x12.Writer, control, version string) error {
	e, err := beginSet(w, "943", control, version)
	if err != nil {
		return err
	}
	if err := e.w06(&ts.Shipment); err != nil {
		return err
	}
	if err := e.heading(&ts.WarehouseHeading); err != nil {
		return err
	}
	if err := e.w27(ts.Carrier); err != nil {
		return err
	}
	if err := e.others(ts.Other); err != nil {
		return err
	}
	for i := range ts.Lines {
		l := &ts.Lines[i]
		if l.Quantity == "" || l.Unit == "" {
			return fmt.Errorf("line %d: 943 W0401/W0402: %w", i+1, ErrMissingElement)
		}
		if err := e.number("W0401", l.Quantity); err != nil {
			return err
		}
		els, err := itemElements(15, l.IDs, w04IDPairs)
		if err != nil {
			return fmt.Errorf("line %d: 943 W04: %w", i+1, err)
		}
		els[0], els[1], els[2] = string(l.Quantity), l.Unit, l.CaseUPC
		if err := e.seg("W04", l.Extra, els...); err != nil {
			return err
		}
		if err := e.lineDetail(&l.LineDetail); err != nil {
			return err
		}
	}
	if err := e.w03(ts.Totals); err != nil {
		return err
	}
	if err := e.others(ts.After); err != nil {
		return err
	}
	return e.end()
}
