package gateway

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
	"github.com/dockside-edi/dockside/partners"
	"github.com/dockside-edi/dockside/specs"
)

// TryDocument is one document of a dry run: what it would post.
type TryDocument struct {
	Type      string               `json:"type"`              // x12/846, csv...
	Control   string               `json:"control,omitempty"` // ISA13/GS06/ST02
	Status    string               `json:"status"`            // accepted, rejected
	Movements []ledger.Movement    `json:"movements"`
	Compare   []mapping.Comparison `json:"compare,omitempty"`
	Problems  []mapping.Problem    `json:"problems,omitempty"`
	// Order is the order an order document (940) names; nil for others.
	Order *TryOrder `json:"order,omitempty"`
	// Shipment is what a warehouse's 945 confirms; nil for others.
	Shipment *TryShipment `json:"shipment,omitempty"`
}

// TryShipment is what a warehouse's 945 confirms and, when the dry run
// has the order book (TryOptions.Shipments), how it settles against the
// order its 940 carried.
type TryShipment struct {
	Order    string            `json:"order"`    // W06-02: our 940's W05-02
	Shipment string            `json:"shipment"` // W06-04
	Lines    []TryShipmentLine `json:"lines"`
	// Settled: checked against the order as it stands; Movements are
	// then what the 945 would post.
	Settled bool `json:"settled"`
	// Partner and Number name the order the 940 carried (the channel's);
	// Location is where it ships from.
	Partner  string `json:"partner,omitempty"`
	Number   string `json:"number,omitempty"`
	Location string `json:"location,omitempty"`
	// Duplicate: every line was confirmed before; nothing would be
	// posted.
	Duplicate bool `json:"duplicate,omitempty"`
}

// TryShipmentLine is one W12 of a 945.
type TryShipmentLine struct {
	Segment  int    `json:"segment"`        // the W12's position in the set
	Line     int    `json:"line,omitempty"` // the 940 line (N9*LI); 0: found by SKU
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"` // shipped, in base units
	Status   string `json:"status"`   // W12-01
}

// TryOrder is the order an order document names, what it asks, and, when
// the dry run has the order book (TryOptions.Orders), how it settles
// against the order as it stands.
type TryOrder struct {
	Number string              `json:"number"`
	Action mapping.OrderAction `json:"action"` // new, cancel, replace
	Lines  []mapping.OrderLine `json:"lines,omitempty"`
	// Settled: checked against the order as it stands; Movements then
	// include the releases a cancel or replace adds.
	Settled bool `json:"settled"`
	// Known and Open say whether the order was received, and is open.
	Known bool `json:"known"`
	Open  bool `json:"open"`
	// Holds is what the order allocates as it stands.
	Holds []mapping.OrderLine `json:"holds,omitempty"`
	// Duplicate: the document repeats the order as it stands; nothing
	// would be posted.
	Duplicate bool `json:"duplicate,omitempty"`
}

// TryOptions are what a dry run may read of the live gateway.
type TryOptions struct {
	// Orders returns an order's state as it stands (nil when unknown);
	// with it, order documents are settled as processing would settle
	// them (the releases of a cancel or replace, duplicates, conflicts).
	Orders func(partner, number string) (*mapping.OrderState, error)
	// Shipments returns the order a warehouse knows by its number (our
	// 940's W05-02), nil when none was sent to it; with it, 945s are
	// settled as processing would settle them (an unknown order or line,
	// more shipped than allocated: a problem at its W06 or W12).
	Shipments func(warehouse, order string) (*orders.Record, error)
}

// TryResult is the outcome of a dry run over one file.
type TryResult struct {
	Partner   string        `json:"partner"`
	File      string        `json:"file"`
	Documents []TryDocument `json:"documents"`
	// Problems are the file's problems outside any document (syntax,
	// envelopes, no mapping).
	Problems []string `json:"problems,omitempty"`
}

// OK reports whether the file would be processed without problems.
func (r *TryResult) OK() bool {
	if len(r.Problems) > 0 {
		return false
	}
	for _, d := range r.Documents {
		if d.Status != "accepted" || len(d.Problems) > 0 {
			return false
		}
	}
	return true
}

// TryFile parses a file with a partner's profile and returns the
// movements it would post, or every problem with its place. It changes
// nothing: no store is opened.
func TryFile(p *partners.Profile, cat *specs.Catalog, name string, body io.Reader, received time.Time) (*TryResult, error) {
	return TryFileWith(p, cat, name, body, received, TryOptions{})
}

// TryFileWith is TryFile with what it may read of the live gateway.
func TryFileWith(p *partners.Profile, cat *specs.Catalog, name string, body io.Reader, received time.Time, opts TryOptions) (*TryResult, error) {
	res := &TryResult{Partner: p.ID, File: name, Documents: []TryDocument{}}
	m := mapping.New(p)
	br := bufio.NewReaderSize(body, x12.HeadSize)
	head, _ := br.Peek(x12.HeadSize)
	if !x12.LooksLikeX12(head) {
		t, ok := m.FlatType(name)
		if !ok {
			res.Problems = append(res.Problems, fmt.Sprintf("%s: not X12, and partner %s's profile has no flat document matching this name", name, p.ID))
			return res, nil
		}
		// The source keys name the file's hash: read it whole first (a dry
		// run is for one file at a time).
		data, err := io.ReadAll(br)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		mr, err := m.Flat(t, bytes.NewReader(data), mapping.Source{Partner: p.ID, FileHash: hex.EncodeToString(sum[:]), FileName: name, Received: received})
		if mr == nil {
			return nil, err
		}
		res.Documents = append(res.Documents, tryDocument(string(t), "", mr, err))
		return res, nil
	}
	rep, err := x12.Check(br, cat, nil, func(t *x12.Transaction, sr *x12.SetResult) error {
		control := t.Group.Interchange.Control + "/" + t.Group.Control + "/" + t.Control
		doc := TryDocument{Type: "x12/" + t.SetID, Control: control, Status: "rejected", Movements: []ledger.Movement{}}
		if sr.Status != x12.StatusAccepted {
			for _, se := range sr.Segments {
				for _, ee := range se.Elements {
					doc.Problems = append(doc.Problems, mapping.Problem{Place: fmt.Sprintf("segment %d (%s), line %d", se.Position, se.SegmentID, se.Pos.Line),
						Field: fmt.Sprintf("%s%02d", se.SegmentID, ee.Position), Value: ee.Value, Reason: ee.Msg})
				}
				if len(se.Elements) == 0 {
					doc.Problems = append(doc.Problems, mapping.Problem{Place: fmt.Sprintf("segment %d (%s), line %d", se.Position, se.SegmentID, se.Pos.Line), Reason: se.Msg})
				}
			}
			for _, e := range sr.Envelope {
				doc.Problems = append(doc.Problems, mapping.Problem{Place: fmt.Sprintf("line %d, %s", e.Pos.Line, e.Segment), Reason: e.Msg})
			}
			res.Documents = append(res.Documents, doc)
			return nil
		}
		if x12.IsAcknowledgement(t.Group) {
			doc.Status = "accepted"
			res.Documents = append(res.Documents, doc)
			return nil
		}
		ic := t.Group.Interchange
		mr, err := m.Transaction(t, mapping.Source{Partner: p.ID, Interchange: ic.Control, InterchangeDate: ic.Date, InterchangeTime: ic.Time, Group: t.Group.Control,
			Transaction: t.Control, FileName: name, Received: received})
		if mr == nil {
			doc.Problems = append(doc.Problems, mapping.Problem{Place: "set " + t.SetID + " " + t.Control, Reason: err.Error()})
			res.Documents = append(res.Documents, doc)
			return nil
		}
		var order *TryOrder
		if mr.Order != nil && err == nil {
			if order, err = tryOrder(p.ID, mr, opts); err != nil && !errors.Is(err, mapping.ErrRejected) {
				return err
			}
		}
		var shipment *TryShipment
		if mr.Shipment != nil && err == nil {
			if shipment, err = tryShipment(mr, received, opts); err != nil && !errors.Is(err, mapping.ErrRejected) {
				return err
			}
		}
		d := tryDocument("x12/"+t.SetID, control, mr, err)
		d.Order, d.Shipment = order, shipment
		res.Documents = append(res.Documents, d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if rep.Err != nil {
		res.Problems = append(res.Problems, fmt.Sprintf("%s: %v", name, rep.Err))
	}
	for _, icr := range rep.Interchanges {
		for _, e := range icr.Interchange.Errors {
			res.Problems = append(res.Problems, fmt.Sprintf("%s: %s", name, e.Error()))
		}
		for _, g := range icr.Groups {
			for _, e := range g.Group.Errors {
				res.Problems = append(res.Problems, fmt.Sprintf("%s: %s", name, e.Error()))
			}
		}
	}
	return res, nil
}

func tryDocument(typ, control string, mr *mapping.Result, err error) TryDocument {
	d := TryDocument{Type: typ, Control: control, Status: "accepted", Movements: mr.Movements, Compare: mr.Compare, Problems: mr.Problems}
	if errors.Is(err, mapping.ErrRejected) {
		d.Status = "rejected"
	}
	if d.Movements == nil {
		d.Movements = []ledger.Movement{}
	}
	return d
}

// tryOrder describes an order document's order and, with opts.Orders,
// settles it against the order as it stands (adding the releases of a
// cancel or replace to mr). A document that does not fit its order is a
// problem of the document, and an error wrapping mapping.ErrRejected.
func tryOrder(partner string, mr *mapping.Result, opts TryOptions) (*TryOrder, error) {
	o := mr.Order
	t := &TryOrder{Number: o.Number, Action: o.Action, Lines: o.Lines}
	if opts.Orders == nil {
		return t, nil
	}
	prev, err := opts.Orders(partner, o.Number)
	if err != nil {
		return nil, fmt.Errorf("reading order %s: %w", o.Number, err)
	}
	t.Settled = true
	if prev != nil {
		t.Known, t.Open = true, prev.Open
		if prev.Open {
			t.Holds = prev.Lines
		}
	}
	_, dup, err := mr.SettleOrder(prev, mapping.Origin{Document: mr.Key})
	t.Duplicate = dup
	if err != nil {
		reason := err.Error()
		if oe := (*mapping.OrderError)(nil); errors.As(err, &oe) {
			reason = oe.Brief()
		}
		mr.Problems = append(mr.Problems, mapping.Problem{Place: "order " + o.Number, Reason: reason})
		return t, fmt.Errorf("%w: %w", mapping.ErrRejected, err)
	}
	return t, nil
}

// tryShipment describes what a 945 confirms and, with opts.Shipments,
// settles it against its order as postShipment would, adding the
// movements to mr. A 945 its order refuses is a problem of the document
// at its W06 or W12, and an error wrapping mapping.ErrRejected.
func tryShipment(mr *mapping.Result, now time.Time, opts TryOptions) (*TryShipment, error) {
	s := mr.Shipment
	t := &TryShipment{Order: s.Order, Shipment: s.Shipment, Lines: make([]TryShipmentLine, len(s.Lines))}
	lines := make([]orders.ShipLine, len(s.Lines))
	for i, l := range s.Lines {
		t.Lines[i] = TryShipmentLine{Segment: l.Pos, Line: l.Line, SKU: l.SKU, Quantity: l.Quantity, Status: l.Status}
		lines[i] = orders.ShipLine{Line: l.Line, SKU: l.SKU, Quantity: l.Quantity, Status: l.Status}
	}
	if opts.Shipments == nil {
		return t, nil
	}
	refuse := func(seg x12.SegmentError, element int) (*TryShipment, error) {
		field := fmt.Sprintf("%s%02d", seg.SegmentID, element)
		value := ""
		if len(seg.Elements) > 0 {
			value = seg.Elements[0].Value
		}
		mr.Problems = append(mr.Problems, mapping.Problem{Place: fmt.Sprintf("segment %d (%s)", seg.Position, seg.SegmentID),
			Field: field, Value: value, Reason: seg.Msg, Segment: seg.Position, SegmentID: seg.SegmentID})
		return t, fmt.Errorf("%w: %s", mapping.ErrRejected, seg.Msg)
	}
	t.Settled = true
	rec, err := opts.Shipments(s.Warehouse, s.Order)
	if err != nil {
		return nil, fmt.Errorf("reading order %s of %s: %w", s.Order, s.Warehouse, err)
	}
	if rec == nil {
		rec = &orders.Record{} // no dispatch: Ship says no such order was sent
	}
	sh, err := rec.Ship(s.Warehouse, s.Order, s.Shipment, now, lines...)
	var se *orders.ShipError
	switch {
	case errors.As(err, &se):
		return refuse(shipRefusal(s, se))
	case err != nil:
		return nil, err
	}
	t.Partner, t.Number, t.Location = rec.Partner, rec.Number, sh.Location
	if s.Location != "" && s.Location != sh.Location {
		return refuse(x12.SegmentError{SegmentID: "N1", Position: s.LocationPos,
			Msg: fmt.Sprintf("the 945 ships order %s from %s; its 940 was sent for %s", s.Order, s.Location, sh.Location)}, 4)
	}
	if sh.Next == nil {
		t.Duplicate = true
		return t, nil
	}
	postings := make([]mapping.ShippedPosting, len(sh.Lines))
	for i, l := range sh.Lines {
		postings[i] = mapping.ShippedPosting{Index: l.Index, Line: l.Line, Release: l.Release}
	}
	mr.SettleShipment(sh.Prev.Number, sh.Location, postings)
	mr.SetOrderPartner(sh.Prev.Partner)
	return t, nil
}
