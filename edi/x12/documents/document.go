package documents

import (
	"fmt"

	"github.com/dockside-edi/dockside/edi/x12"
)

// Document is a decoded transaction set: an *Inventory846, a
// *PurchaseOrder850, a *ShipNotice856, a *ShippingOrder940, a
// *TransferShipment943, a *ReceiptAdvice944, a *ShippingAdvice945, an
// *AdjustmentAdvice947 or a *Generic.
type Document interface {
	// SetID returns the transaction set id (ST01), e.g. "846".
	SetID() string
	// Encode writes the document as one transaction set, ST to SE, with
	// ST02 control; version (the group's GS08) decides ST03.
	Encode(w *x12.Writer, control, version string) error
}

var (
	_ Document = (*Inventory846)(nil)
	_ Document = (*ShipNotice856)(nil)
	_ Document = (*ShippingOrder940)(nil)
	_ Document = (*PurchaseOrder850)(nil)
	_ Document = (*TransferShipment943)(nil)
	_ Document = (*ReceiptAdvice944)(nil)
	_ Document = (*ShippingAdvice945)(nil)
	_ Document = (*AdjustmentAdvice947)(nil)
	_ Document = (*Generic)(nil)
)

// Decode decodes a transaction set by its id: 846, 850, 856, 940, 943,
// 944, 945 and 947 into their types, any other set into a Generic.
func Decode(t *x12.Transaction) (Document, error) {
	if t == nil {
		return nil, &DecodeError{Segment: "ST", Position: 1, Err: ErrWrongSet}
	}
	switch t.SetID {
	case "846":
		return Decode846(t)
	case "856":
		return Decode856(t)
	case "940":
		return Decode940(t)
	case "850":
		return Decode850(t)
	case "943":
		return Decode943(t)
	case "944":
		return Decode944(t)
	case "945":
		return Decode945(t)
	case "947":
		return Decode947(t)
	}
	return DecodeGeneric(t)
}

// Generic is a transaction set without a typed form: its segments between
// ST and SE, kept as data.
type Generic struct {
	Set      string    `json:"set_id"`  // ST01
	Control  string    `json:"control"` // ST02
	Segments []Segment `json:"segments"`
}

// SetID returns ST01.
func (g *Generic) SetID() string { return g.Set }

// DecodeGeneric decodes any transaction set into its segments.
func DecodeGeneric(t *x12.Transaction) (*Generic, error) {
	if t == nil {
		return nil, &DecodeError{Segment: "ST", Position: 1, Err: ErrWrongSet}
	}
	r, err := newSetReader(t, t.SetID)
	if err != nil {
		return nil, err
	}
	g := &Generic{Set: t.SetID, Control: t.Control, Segments: make([]Segment, 0, len(r.segs))}
	for i := range r.segs {
		s := &r.segs[i]
		if s.ID == "" {
			return nil, r.noID(s)
		}
		g.Segments = append(g.Segments, r.segment(s))
	}
	return g, nil
}

// Encode writes the set with ST01 from g and ST02 control (not g.Control,
// so that a caller can renumber).
func (g *Generic) Encode(w *x12.Writer, control, version string) error {
	if g.Set == "" {
		return fmt.Errorf("generic set ST01: %w", ErrMissingElement)
	}
	e, err := beginSet(w, g.Set, control, version)
	if err != nil {
		return err
	}
	if err := e.others(g.Segments); err != nil {
		return err
	}
	return e.end()
}
