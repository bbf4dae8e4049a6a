package documents

import (
	"github.com/dockside-edi/dockside/edi/x12"
)

var (
	biaNamed = upTo(5)
	qtyNamed = upTo(3)
	sdqNamed = upTo(23)
)

// Decode846 decodes an 846 transaction set.
func Decode846(t *x12.Transaction) (*Inventory846, error) {
	r, err := newSetReader(t, "846")
	if err != nil {
		return nil, err
	}
	d := decoder846{setReader: r}
	return d.decode()
}

// decode846 decodes an 846 into the arrays of mem (nil: new arrays) and
// leaves in mem the arrays the document now uses.
func decode846(t *x12.Transaction, mem *memory846) (*Inventory846, error) {
	r, err := newSetReader(t, "846")
	if err != nil {
		return nil, err
	}
	d := decoder846{setReader: r, mem: mem}
	return d.decode()
}

// decoder846 walks an 846's segments. Items' ids, quantities and
// descriptions come from slabs: one allocation per thousands of items
// rather than three per item.
type decoder846 struct {
	*setReader
	doc *Inventory846

	item  *Item846     // the LIN loop being read, nil in the header
	qty   *Quantity846 // the open QTY loop, or nil
	loc   *Location846 // the open item-level N1 loop, or nil
	party *Party       // the open header N1 loop, or nil

	ids   slab[ProductID]
	qtys  slab[Quantity846] // the open run is the current item's
	descs slab[Description] // the open run is the current item's

	mem *memory846 // arrays to reuse (from a Pool), or nil
	// checkIDs is set when the segments were not counted ahead: the
	// loop checks that each has an id.
	checkIDs bool
	// itemsGrew is set when Items had to grow past its array.
	itemsGrew bool
}

func (d *decoder846) decode() (*Inventory846, error) {
	segs := d.segs
	if len(segs) == 0 || segs[0].ID != "BIA" {
		return nil, d.missing("BIA")
	}
	d.doc = &Inventory846{}
	if d.mem != nil {
		d.doc = d.mem.doc
	}
	if err := d.bia(&segs[0]); err != nil {
		return nil, err
	}
	// One pass ahead: count items, ids, quantities and descriptions, so
	// that each array is allocated once, and check the ids, so that the loop
	// below need not. Memory from a Pool whose arrays held the last set
	// decoded into them without growing (a stream of sets of about one size)
	// skips the pass: the arrays are used as they are and grow if they must,
	// and the loop checks the ids, an error reporting the first segment
	// without an id before anything else, as the pass would have.
	d.checkIDs = d.mem != nil && d.mem.fits
	if d.checkIDs {
		d.reuseAsIs()
	} else if err := d.count(segs); err != nil {
		return nil, err
	}
	defer d.keepArrays()
	i := 1
	for ; i < len(segs); i++ {
		s := &segs[i]
		var err error
		switch {
		case d.checkIDs && s.ID == "":
			return nil, d.noID(s) // the first: the segments before have ids
		case s.ID == "CTT":
			d.endItem()
			if d.doc.Totals, err = d.ctt(s); err != nil {
				return nil, d.firstNoID(err)
			}
			for j := i + 1; j < len(segs); j++ {
				if d.checkIDs && segs[j].ID == "" {
					return nil, d.noID(&segs[j])
				}
				d.doc.After = append(d.doc.After, d.segment(&segs[j]))
			}
			return d.doc, nil
		case d.item == nil && s.ID != "LIN":
			err = d.header(s)
		default:
			err = d.detail(s)
		}
		if err != nil {
			return nil, d.firstNoID(err)
		}
	}
	d.endItem()
	return d.doc, nil
}

// count counts the items, product ids, quantities and descriptions of
// segs and makes the arrays for them; it fails on the first segment
// without an id.
func (d *decoder846) count(segs []x12.Segment) error {
	lins, ids, qtys, pids := 0, 0, 0, 0
	for i := range segs {
		switch segs[i].ID {
		case "LIN":
			lins++
			ids += segs[i].Len() / 2
		case "QTY":
			qtys++
		case "PID":
			pids++
		case "":
			return d.noID(&segs[i])
		}
	}
	if d.mem != nil {
		d.reuse(lins, ids, qtys, pids)
		return nil
	}
	d.doc.Items = make([]Item846, 0, lins)
	d.ids.reserve(ids)
	d.qtys.reserve(qtys)
	d.descs.reserve(pids)
	return nil
}

// firstNoID returns, when the ids were not checked ahead, the error for
// the first segment without an id if there is one (the error the pass
// ahead would have returned), else err.
func (d *decoder846) firstNoID(err error) error {
	if d.checkIDs {
		for i := range d.segs {
			if d.segs[i].ID == "" {
				return d.noID(&d.segs[i])
			}
		}
	}
	return err
}

// missing returns the error for a set without a segment it needs, placed
// at the SE (or the ST when there is no SE).
func (d *decoder846) missing(id string) *DecodeError {
	return missingSegment(d.setReader, id)
}

func missingSegment(r *setReader, id string) *DecodeError {
	e := &DecodeError{SetID: r.setID, Segment: id, Position: 2, Err: ErrMissingSegment}
	if n := len(r.segs); n > 0 {
		e.Position, e.Line = r.segs[0].Pos.SetIndex, r.segs[0].Pos.Line
	}
	return e
}

func (d *decoder846) bia(s *x12.Segment) error {
	doc := d.doc
	doc.Purpose, doc.ReportType = d.code(s, 1), d.code(s, 2)
	doc.Reference, doc.Date, doc.Time = d.text(s, 3), d.code(s, 4), d.code(s, 5)
	doc.Extra = d.extra(s, biaNamed)
	return nil
}

// header reads a segment between the BIA and the first LIN.
func (d *decoder846) header(s *x12.Segment) error {
	doc := d.doc
	switch s.ID {
	case "N1":
		doc.Parties = append(doc.Parties, d.n1(s))
		d.party = &doc.Parties[len(doc.Parties)-1]
		return nil
	case "DTM":
		doc.Dates = append(doc.Dates, d.dtm(s))
		d.party = nil
		return nil
	case "QTY", "PID", "SDQ":
		return d.fail(s, 0, ErrMisplaced)
	}
	if d.party != nil {
		if !d.partyPart(d.party, s) {
			d.party.Other = append(d.party.Other, d.segment(s))
		}
		return nil
	}
	if s.ID == "REF" {
		doc.Refs = append(doc.Refs, d.ref(s))
		return nil
	}
	doc.Other = append(doc.Other, d.segment(s))
	return nil
}

// detail reads a segment of the LIN loops.
func (d *decoder846) detail(s *x12.Segment) error {
	it := d.item
	switch s.ID {
	case "LIN":
		return d.lin(s)
	case "QTY":
		if d.loc != nil {
			d.loc.Quantities = append(d.loc.Quantities, Quantity846{})
			d.qty = &d.loc.Quantities[len(d.loc.Quantities)-1]
		} else {
			d.qty = d.qtys.add()
		}
		return d.quantity(d.qty, s)
	case "DTM":
		switch {
		case d.qty != nil:
			d.qty.Dates = append(d.qty.Dates, d.dtm(s))
		case d.loc != nil:
			d.loc.Other = append(d.loc.Other, d.segment(s))
		default:
			it.Dates = append(it.Dates, d.dtm(s))
		}
		return nil
	case "PID":
		d.qty, d.loc = nil, nil
		d.pidInto(d.descs.add(), s)
		return nil
	case "SDQ":
		d.qty, d.loc = nil, nil
		sdq, err := d.sdq(s)
		it.SDQ = append(it.SDQ, sdq)
		return err
	case "N1":
		d.qty = nil
		it.Locations = append(it.Locations, Location846{Party: d.n1(s)})
		d.loc = &it.Locations[len(it.Locations)-1]
		return nil
	case "REF":
		d.qty = nil
		if d.loc != nil {
			d.loc.Refs = append(d.loc.Refs, d.ref(s))
		} else {
			it.Refs = append(it.Refs, d.ref(s))
		}
		return nil
	}
	switch {
	case d.qty != nil:
		d.qty.Other = append(d.qty.Other, d.segment(s))
	case d.loc != nil:
		if !d.partyPart(&d.loc.Party, s) {
			d.loc.Other = append(d.loc.Other, d.segment(s))
		}
	default:
		it.Other = append(it.Other, d.segment(s))
	}
	return nil
}

func (d *decoder846) lin(s *x12.Segment) error {
	d.endItem()
	ids := d.productIDs(s, 2, 0, &d.ids)
	if len(ids) == 0 {
		return d.fail(s, 2, ErrMissingElement)
	}
	// Items has room for every LIN: fill the next slot in place rather
	// than copying a whole Item846 in.
	items := d.doc.Items
	if len(items) == cap(items) {
		items = append(items, Item846{})
		d.itemsGrew = true
	} else {
		items = items[:len(items)+1]
	}
	d.doc.Items = items
	it := &items[len(items)-1]
	if d.mem != nil {
		*it = Item846{} // a reused slot (see Pool)
	}
	it.IDs, it.Pos = ids, s.Pos.SetIndex
	if e := s.Element(1); len(e) > 0 {
		it.Line = d.strs.code(e)
	}
	d.item = it
	return nil
}

// endItem closes the item's runs of quantities and descriptions.
func (d *decoder846) endItem() {
	d.qty, d.loc, d.party = nil, nil, nil
	if d.item == nil {
		return
	}
	if q := d.qtys.take(); q != nil {
		d.item.Quantities = q
	}
	if p := d.descs.take(); p != nil {
		d.item.Descriptions = p
	}
	d.item = nil
}

// quantity fills q from a QTY segment.
func (d *decoder846) quantity(q *Quantity846, s *x12.Segment) error {
	qual := s.Element(1)
	if len(qual) == 0 {
		return d.fail(s, 1, ErrMissingElement)
	}
	n, err := d.decimal(s, 2)
	if err != nil {
		return err
	}
	// Only present values are written (see pidInto).
	q.Qualifier, q.Pos = d.strs.code(qual), s.Pos.SetIndex
	if n != "" {
		q.Quantity = n
	}
	if unit, more := d.unit(s, 3); unit != "" || more != nil {
		q.Unit, q.UnitDetail = unit, more
	}
	if x := d.extra(s, qtyNamed); x != nil {
		q.Extra = x
	}
	return nil
}

// unit returns the first component of composite element i (a unit of
// measure, C001) and its further components, or nil.
func (d *decoder846) unit(s *x12.Segment, i int) (string, []string) {
	e := s.Element(i)
	k := 0
	for k < len(e) && e[k] != d.comp {
		k++
	}
	if k == len(e) {
		return d.strs.code(e), nil
	}
	var more []string
	for c := 2; ; c++ {
		part := s.Component(i, c)
		if part == nil {
			break
		}
		more = append(more, d.strs.str(part))
	}
	for len(more) > 0 && more[len(more)-1] == "" {
		more = more[:len(more)-1]
	}
	return d.strs.code(e[:k]), more
}

func (d *decoder846) sdq(s *x12.Segment) (LocationQuantities, error) {
	l := LocationQuantities{Unit: d.code(s, 1), IDQualifier: d.code(s, 2), Location: d.text(s, 23), Extra: d.extra(s, sdqNamed)}
	keep := 0
	for i := 3; i <= min(s.Len(), 22); i += 2 {
		q, err := d.decimal(s, i+1)
		if err != nil {
			return l, err
		}
		l.Quantities = append(l.Quantities, LocationQuantity{Location: d.text(s, i), Quantity: q})
		if len(s.Element(i)) > 0 || q != "" {
			keep = len(l.Quantities)
		}
	}
	l.Quantities = l.Quantities[:keep]
	if keep == 0 {
		l.Quantities = nil
	}
	return l, nil
}
