package documents

import (
	"github.com/dockside-edi/dockside/edi/x12"
)

var (
	bsnNamed = upTo(5)
	hlNamed  = upTo(4)
	sn1Named = upTo(6)
	prfNamed = upTo(4)
	po4Named = upTo(7)
	td1Named = upTo(10)
	td5Named = upTo(6)
	td3Named = upTo(3).and(9)
	manNamed = upTo(3)
)

// DefaultMaxHLDepth is the deepest HL nesting Decode856 accepts: the root
// HL (normally the shipment) is at depth 1. Real notices nest shipment,
// order, tare, pack, subpack and item: under 10 levels.
const DefaultMaxHLDepth = 100

// Decode856 decodes an 856 transaction set and builds its HL tree from the
// HL01/HL02 links. An HL nested deeper than DefaultMaxHLDepth is an error
// (ErrTooDeep); Decode856Depth sets another limit.
func Decode856(t *x12.Transaction) (*ShipNotice856, error) {
	return Decode856Depth(t, 0)
}

// Decode856Depth decodes an 856 as Decode856 does, refusing HLs nested
// deeper than maxDepth (0: DefaultMaxHLDepth) with a *DecodeError naming
// the HL that goes past it and wrapping ErrTooDeep.
func Decode856Depth(t *x12.Transaction, maxDepth int) (*ShipNotice856, error) {
	r, err := newSetReader(t, "856")
	if err != nil {
		return nil, err
	}
	if maxDepth <= 0 {
		maxDepth = DefaultMaxHLDepth
	}
	d := decoder856{setReader: r, maxDepth: maxDepth}
	return d.decode()
}

// hlEntry is an HL read so far and its depth (root = 1).
type hlEntry struct {
	hl    *HL
	depth int
}

type decoder856 struct {
	*setReader
	maxDepth int
	doc      *ShipNotice856
	byID     map[string]hlEntry
	hl       *HL    // the HL loop being read, nil in the header
	party    *Party // the open N1 loop, or nil
	ids      slab[ProductID]
}

func (d *decoder856) decode() (*ShipNotice856, error) {
	segs := d.segs
	if len(segs) == 0 || segs[0].ID != "BSN" {
		return nil, missingSegment(d.setReader, "BSN")
	}
	s := &segs[0]
	d.doc = &ShipNotice856{
		Purpose: d.code(s, 1), ShipmentID: d.text(s, 2), Date: d.code(s, 3), Time: d.code(s, 4),
		Structure: d.code(s, 5), Extra: d.extra(s, bsnNamed), Hierarchy: []*HL{},
	}
	d.byID = make(map[string]hlEntry)
	for i := 1; i < len(segs); i++ {
		s := &segs[i]
		var err error
		switch {
		case s.ID == "":
			err = d.noID(s)
		case s.ID == "CTT":
			if d.doc.Totals, err = d.ctt(s); err != nil {
				return nil, err
			}
			return d.doc, d.after(segs[i+1:], &d.doc.After)
		case s.ID == "HL":
			err = d.startHL(s)
		case d.hl == nil:
			err = d.header(s)
		default:
			err = d.loop(s)
		}
		if err != nil {
			return nil, err
		}
	}
	return d.doc, nil
}

func (d *decoder856) header(s *x12.Segment) error {
	switch s.ID {
	case "DTM":
		d.doc.Dates = append(d.doc.Dates, d.dtm(s))
	case "LIN", "SN1", "PRF", "PO4", "PID", "MAN", "TD1", "TD3", "TD5", "N1":
		return d.fail(s, 0, ErrMisplaced)
	default:
		d.doc.Other = append(d.doc.Other, d.segment(s))
	}
	return nil
}

func (d *decoder856) startHL(s *x12.Segment) error {
	if err := d.need(s, 1); err != nil {
		return err
	}
	if err := d.need(s, 3); err != nil {
		return err
	}
	hl := &HL{
		ID: d.text(s, 1), Parent: d.text(s, 2), Level: d.code(s, 3), ChildCode: d.code(s, 4),
		Extra: d.extra(s, hlNamed), Pos: s.Pos.SetIndex,
	}
	if d.byID[hl.ID].hl != nil {
		return d.fail(s, 1, ErrDuplicateID)
	}
	depth := 1
	if hl.Parent == "" {
		d.doc.Hierarchy = append(d.doc.Hierarchy, hl)
	} else {
		p := d.byID[hl.Parent]
		if p.hl == nil {
			return d.fail(s, 2, ErrUnknownParent)
		}
		if depth = p.depth + 1; depth > d.maxDepth {
			e := d.fail(s, 0, ErrTooDeep)
			e.Err = &DepthError{HL: hl.ID, Limit: d.maxDepth}
			return e
		}
		p.hl.Children = append(p.hl.Children, hl)
	}
	d.byID[hl.ID] = hlEntry{hl, depth}
	d.hl, d.party = hl, nil
	return nil
}

// loop reads a segment of the current HL loop.
func (d *decoder856) loop(s *x12.Segment) error {
	hl := d.hl
	switch s.ID {
	case "LIN":
		if hl.Item != nil {
			break
		}
		ids := d.productIDs(s, 2, 0, &d.ids)
		if len(ids) == 0 {
			return d.fail(s, 2, ErrMissingElement)
		}
		hl.Item = &LineItem{Line: d.code(s, 1), IDs: ids}
		return nil
	case "SN1":
		if hl.Shipped != nil {
			break
		}
		sn1, err := d.sn1(s)
		hl.Shipped = sn1
		return err
	case "PRF":
		if hl.Order != nil {
			break
		}
		if err := d.need(s, 1); err != nil {
			return err
		}
		hl.Order = &OrderRef{PurchaseOrder: d.text(s, 1), Release: d.text(s, 2), ChangeSequence: d.text(s, 3), Date: d.code(s, 4), Extra: d.extra(s, prfNamed)}
		return nil
	case "PO4":
		if hl.Pack != nil {
			break
		}
		po4, err := d.po4(s)
		hl.Pack = po4
		return err
	case "PID":
		hl.Descriptions = append(hl.Descriptions, d.pid(s))
		return nil
	case "TD1":
		td1, err := d.td1(s)
		hl.Lading = append(hl.Lading, td1)
		d.party = nil
		return err
	case "TD5":
		hl.Carriers = append(hl.Carriers, Carrier{
			Sequence: d.code(s, 1), IDQualifier: d.code(s, 2), ID: d.code(s, 3), TransportMethod: d.code(s, 4),
			Routing: d.text(s, 5), Status: d.code(s, 6), Extra: d.extra(s, td5Named),
		})
		d.party = nil
		return nil
	case "TD3":
		hl.Equipment = append(hl.Equipment, Equipment{Code: d.code(s, 1), Initial: d.text(s, 2), Number: d.text(s, 3), Seal: d.text(s, 9), Extra: d.extra(s, td3Named)})
		d.party = nil
		return nil
	case "MAN":
		hl.Marks = append(hl.Marks, Mark{Qualifier: d.code(s, 1), Number: d.text(s, 2), NumberEnd: d.text(s, 3), Extra: d.extra(s, manNamed)})
		d.party = nil
		return nil
	case "DTM":
		hl.Dates = append(hl.Dates, d.dtm(s))
		d.party = nil
		return nil
	case "N1":
		hl.Parties = append(hl.Parties, d.n1(s))
		d.party = &hl.Parties[len(hl.Parties)-1]
		return nil
	}
	if d.party != nil {
		if !d.partyPart(d.party, s) {
			d.party.Other = append(d.party.Other, d.segment(s))
		}
		return nil
	}
	if s.ID == "REF" {
		hl.Refs = append(hl.Refs, d.ref(s))
		return nil
	}
	hl.Other = append(hl.Other, d.segment(s))
	return nil
}

func (d *decoder856) sn1(s *x12.Segment) (*ShipQuantity, error) {
	if err := d.need(s, 2); err != nil {
		return nil, err
	}
	if err := d.need(s, 3); err != nil {
		return nil, err
	}
	var q ShipQuantity
	var err error
	if q.Quantity, err = d.decimal(s, 2); err != nil {
		return nil, err
	}
	if q.ShippedToDate, err = d.decimal(s, 4); err != nil {
		return nil, err
	}
	if q.Ordered, err = d.decimal(s, 5); err != nil {
		return nil, err
	}
	q.Line, q.Unit, q.OrderedUnit = d.text(s, 1), d.code(s, 3), d.code(s, 6)
	q.Extra = d.extra(s, sn1Named)
	return &q, nil
}

func (d *decoder856) po4(s *x12.Segment) (*PackInfo, error) {
	var p PackInfo
	var err error
	if p.Pack, err = d.integer(s, 1); err != nil {
		return nil, err
	}
	if p.Size, err = d.decimal(s, 2); err != nil {
		return nil, err
	}
	if p.Weight, err = d.decimal(s, 6); err != nil {
		return nil, err
	}
	p.Unit, p.Packaging, p.WeightQualifier, p.WeightUnit = d.code(s, 3), d.code(s, 4), d.code(s, 5), d.code(s, 7)
	p.Extra = d.extra(s, po4Named)
	return &p, nil
}

func (d *decoder856) td1(s *x12.Segment) (Lading, error) {
	var l Lading
	var err error
	if l.Quantity, err = d.integer(s, 2); err != nil {
		return l, err
	}
	if l.Weight, err = d.decimal(s, 7); err != nil {
		return l, err
	}
	if l.Volume, err = d.decimal(s, 9); err != nil {
		return l, err
	}
	l.Packaging, l.CommodityQualifier, l.Commodity = d.code(s, 1), d.code(s, 3), d.text(s, 4)
	l.Description, l.WeightQualifier, l.WeightUnit, l.VolumeUnit = d.text(s, 5), d.code(s, 6), d.code(s, 8), d.code(s, 10)
	l.Extra = d.extra(s, td1Named)
	return l, nil
}
