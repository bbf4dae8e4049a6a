package documents

import (
	"fmt"

	"github.com/dockside-edi/dockside/edi/x12"
)

// Encode writes the 856 as one transaction set, ST to SE, with ST02
// control; version (the group's GS08) decides ST03. HL loops are written
// depth first. HL02 is the id of the HL a loop is nested under: an empty
// Parent is filled in, a Parent that names another HL is an error.
func (sn *ShipNotice856) Encode(w *x12.Writer, control, version string) error {
	e, err := beginSet(w, "856", control, version)
	if err != nil {
		return err
	}
	if err := e.seg("BSN", sn.Extra, sn.Purpose, sn.ShipmentID, sn.Date, sn.Time, sn.Structure); err != nil {
		return err
	}
	if err := e.dtms(sn.Dates); err != nil {
		return err
	}
	if err := e.others(sn.Other); err != nil {
		return err
	}
	he := hlEncoder{setWriter: e, seen: make(map[string]bool)}
	if err := he.nodes(sn.Hierarchy, nil); err != nil {
		return err
	}
	if err := e.totals(sn.Totals); err != nil {
		return err
	}
	if err := e.others(sn.After); err != nil {
		return err
	}
	return e.end()
}

type hlEncoder struct {
	*setWriter
	seen map[string]bool
	buf  []string
}

func (e *hlEncoder) nodes(hls []*HL, parent *HL) error {
	for _, hl := range hls {
		if hl == nil {
			continue
		}
		if err := e.node(hl, parent); err != nil {
			return fmt.Errorf("HL %s: %w", hl.ID, err)
		}
		if err := e.nodes(hl.Children, hl); err != nil {
			return err
		}
	}
	return nil
}

// node writes one HL loop: HL, LIN, SN1, PRF, PO4, PID, TD1, TD5, TD3, REF,
// MAN, DTM, the Other segments and the N1 loops.
func (e *hlEncoder) node(hl *HL, parent *HL) error {
	if hl.ID == "" {
		return fmt.Errorf("856 HL01: %w", ErrMissingElement)
	}
	if hl.Level == "" {
		return fmt.Errorf("856 HL03: %w", ErrMissingElement)
	}
	if e.seen[hl.ID] {
		return fmt.Errorf("856 HL01: %w", ErrDuplicateID)
	}
	e.seen[hl.ID] = true
	parentID := hl.Parent
	switch {
	case parent == nil && parentID != "":
		return fmt.Errorf("856 HL02 %q at the root: %w", parentID, ErrUnknownParent)
	case parent != nil && parentID == "":
		parentID = parent.ID
	case parent != nil && parentID != parent.ID:
		return fmt.Errorf("856 HL02 %q nested under HL %s: %w", parentID, parent.ID, ErrUnknownParent)
	}
	if err := e.seg("HL", hl.Extra, hl.ID, parentID, hl.Level, hl.ChildCode); err != nil {
		return err
	}
	if it := hl.Item; it != nil {
		if len(it.IDs) == 0 {
			return fmt.Errorf("856 LIN02: %w", ErrMissingElement)
		}
		e.buf = productIDs(append(e.buf[:0], it.Line), it.IDs)
		if err := e.seg("LIN", nil, e.buf...); err != nil {
			return err
		}
	}
	if q := hl.Shipped; q != nil {
		for _, n := range []Decimal{q.Quantity, q.ShippedToDate, q.Ordered} {
			if err := e.number("SN1", n); err != nil {
				return err
			}
		}
		if err := e.seg("SN1", q.Extra, q.Line, string(q.Quantity), q.Unit, string(q.ShippedToDate), string(q.Ordered), q.OrderedUnit); err != nil {
			return err
		}
	}
	if o := hl.Order; o != nil {
		if err := e.seg("PRF", o.Extra, o.PurchaseOrder, o.Release, o.ChangeSequence, o.Date); err != nil {
			return err
		}
	}
	if p := hl.Pack; p != nil {
		if err := e.seg("PO4", p.Extra, p.Pack, string(p.Size), p.Unit, p.Packaging, p.WeightQualifier, string(p.Weight), p.WeightUnit); err != nil {
			return err
		}
	}
	if err := e.pids(hl.Descriptions); err != nil {
		return err
	}
	return e.transport(hl)
}

// transport writes the rest of an HL loop, from TD1 to the N1 loops.
func (e *hlEncoder) transport(hl *HL) error {
	for _, l := range hl.Lading {
		if err := e.seg("TD1", l.Extra, l.Packaging, l.Quantity, l.CommodityQualifier, l.Commodity, l.Description,
			l.WeightQualifier, string(l.Weight), l.WeightUnit, string(l.Volume), l.VolumeUnit); err != nil {
			return err
		}
	}
	for _, c := range hl.Carriers {
		if err := e.seg("TD5", c.Extra, c.Sequence, c.IDQualifier, c.ID, c.TransportMethod, c.Routing, c.Status); err != nil {
			return err
		}
	}
	for _, q := range hl.Equipment {
		if err := e.seg("TD3", q.Extra, q.Code, q.Initial, q.Number, "", "", "", "", "", q.Seal); err != nil {
			return err
		}
	}
	if err := e.refs("REF", hl.Refs); err != nil {
		return err
	}
	for _, m := range hl.Marks {
		if err := e.seg("MAN", m.Extra, m.Qualifier, m.Number, m.NumberEnd); err != nil {
			return err
		}
	}
	if err := e.dtms(hl.Dates); err != nil {
		return err
	}
	if err := e.others(hl.Other); err != nil {
		return err
	}
	return e.parties(hl.Parties)
}
