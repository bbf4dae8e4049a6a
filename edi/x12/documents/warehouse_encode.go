package documents

import "fmt"

func (e *setWriter) heading(h *WarehouseHeading) error {
	if err := e.parties(h.Parties); err != nil {
		return err
	}
	if err := e.refs("N9", h.Refs); err != nil {
		return err
	}
	if err := e.g62s(h.Dates); err != nil {
		return err
	}
	return e.notes(h.Notes)
}

// lineDetail writes G69, N9, G62 and the loop's Other segments.
func (e *setWriter) lineDetail(l *LineDetail) error {
	for _, d := range l.Descriptions {
		if err := e.seg("G69", nil, d); err != nil {
			return err
		}
	}
	if err := e.refs("N9", l.Refs); err != nil {
		return err
	}
	if err := e.g62s(l.Dates); err != nil {
		return err
	}
	return e.others(l.Other)
}

func (e *setWriter) w06(w *WarehouseShipment) error {
	if w.ReportingCode == "" {
		return fmt.Errorf("%s W0601: %w", e.setID, ErrMissingElement)
	}
	return e.seg("W06", w.Extra, w.ReportingCode, w.DepositorOrder, w.Date, w.ShipmentID, w.AgentShipmentID, w.PurchaseOrder)
}

func (e *setWriter) w27(c *CarrierDetail) error {
	if c == nil {
		return nil
	}
	if c.TransportMethod == "" {
		return fmt.Errorf("%s W2701: %w", e.setID, ErrMissingElement)
	}
	return e.seg("W27", c.Extra, c.TransportMethod, c.SCAC, c.Routing, c.PaymentMethod)
}

func (e *setWriter) w03(t *ShipmentTotals) error {
	if t == nil {
		return nil
	}
	if t.Units == "" {
		return fmt.Errorf("%s W0301: %w", e.setID, ErrMissingElement)
	}
	for _, n := range []Decimal{t.Units, t.Weight, t.Volume, t.Lading} {
		if err := e.number("W03", n); err != nil {
			return err
		}
	}
	return e.seg("W03", t.Extra, string(t.Units), string(t.Weight), t.WeightUnit, string(t.Volume), t.VolumeUnit,
		string(t.Lading), t.LadingUnit)
}

// lx writes an LX and its loop segments when the line opens a new LX loop.
func (e *setWriter) lx(lx string, loop []Segment, newLX bool) error {
	if newLX {
		if err := e.seg("LX", nil, lx); err != nil {
			return err
		}
	}
	return e.others(loop)
}

// itemElements returns n elements with ids placed at the positions at.
func itemElements(n int, ids []ProductID, at []int) ([]string, error) {
	if len(ids) > len(at) {
		return nil, fmt.Errorf("%d id pairs, at most %d fit", len(ids), len(at))
	}
	els := make([]string, n)
	for k, p := range ids {
		els[at[k]-1], els[at[k]] = p.Qualifier, p.ID
	}
	return els, nil
}

// newLX reports whether line i opens an LX loop: its LX is set and differs
// from the previous line's.
func newLX(lx func(int) string, i int) bool {
	return lx(i) != "" && (i == 0 || lx(i-1) != lx(i))
}
