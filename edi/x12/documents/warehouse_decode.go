package documents

import "github.com/dockside-edi/dockside/edi/x12"

var (
	w06Named = upTo(6)
	w27Named = upTo(4)
	w03Named = upTo(7)
)

// heading adds s, a heading segment of a warehouse set, to h. *party is
// the open N1 loop (nil when none); it is updated.
func (r *setReader) heading(h *WarehouseHeading, party **Party, s *x12.Segment) error {
	switch s.ID {
	case "N1":
		h.Parties = append(h.Parties, r.n1(s))
		*party = &h.Parties[len(h.Parties)-1]
		return nil
	case "N9":
		h.Refs = append(h.Refs, r.n9(s))
	case "G62":
		h.Dates = append(h.Dates, r.g62(s))
	case "NTE":
		h.Notes = append(h.Notes, r.nte(s))
	case "G69", "W13":
		return r.fail(s, 0, ErrMisplaced)
	default:
		if p := *party; p != nil {
			if !r.partyPart(p, s) {
				p.Other = append(p.Other, r.segment(s))
			}
			return nil
		}
		h.Other = append(h.Other, r.segment(s))
	}
	*party = nil
	return nil
}

// lineDetail adds s, a segment of a line loop after its first segment, to
// l.
func (r *setReader) lineDetail(l *LineDetail, s *x12.Segment) {
	switch s.ID {
	case "G69":
		if s.Len() > 1 {
			// G69 has one element; keep anything more as data.
			l.Other = append(l.Other, r.segment(s))
			return
		}
		l.Descriptions = append(l.Descriptions, r.text(s, 1))
	case "N9":
		if l.Refs == nil {
			l.Refs = r.firstRef(r.n9(s))
			return
		}
		l.Refs = append(l.Refs, r.n9(s))
	case "G62":
		l.Dates = append(l.Dates, r.g62(s))
	default:
		l.Other = append(l.Other, r.segment(s))
	}
}

// chunkSize is the number of ids or references a chunk holds.
const chunkSize = 256

// firstRef returns a one-reference slice cut from the reader's chunk.
func (r *setReader) firstRef(ref Reference) []Reference {
	if len(r.refChunk) == cap(r.refChunk) {
		r.refChunk = make([]Reference, 0, chunkSize)
	}
	n := len(r.refChunk)
	r.refChunk = append(r.refChunk, ref)
	return r.refChunk[n : n+1 : n+1]
}

func (r *setReader) g62(s *x12.Segment) OrderDate {
	return OrderDate{
		Qualifier: r.code(s, 1), Date: r.code(s, 2), TimeQualifier: r.code(s, 3),
		Time: r.code(s, 4), TimeCode: r.code(s, 5), Extra: r.extra(s, g62Named),
	}
}

func (r *setReader) w06(s *x12.Segment) (WarehouseShipment, error) {
	if err := r.need(s, 1); err != nil {
		return WarehouseShipment{}, err
	}
	return WarehouseShipment{
		ReportingCode: r.code(s, 1), DepositorOrder: r.text(s, 2), Date: r.code(s, 3), ShipmentID: r.text(s, 4),
		AgentShipmentID: r.text(s, 5), PurchaseOrder: r.text(s, 6), Extra: r.extra(s, w06Named),
	}, nil
}

func (r *setReader) w27(s *x12.Segment) (*CarrierDetail, error) {
	if err := r.need(s, 1); err != nil {
		return nil, err
	}
	return &CarrierDetail{
		TransportMethod: r.code(s, 1), SCAC: r.code(s, 2), Routing: r.text(s, 3), PaymentMethod: r.code(s, 4),
		Extra: r.extra(s, w27Named),
	}, nil
}

func (r *setReader) w03(s *x12.Segment) (*ShipmentTotals, error) {
	if err := r.need(s, 1); err != nil {
		return nil, err
	}
	var t ShipmentTotals
	for _, f := range []struct {
		at  int
		dst *Decimal
	}{{1, &t.Units}, {2, &t.Weight}, {4, &t.Volume}, {6, &t.Lading}} {
		n, err := r.decimal(s, f.at)
		if err != nil {
			return nil, err
		}
		*f.dst = n
	}
	t.WeightUnit, t.VolumeUnit, t.LadingUnit, t.Extra = r.code(s, 3), r.code(s, 5), r.code(s, 7), r.extra(s, w03Named)
	return &t, nil
}

// count returns the number of segments with id in segs, to size a
// document's lines once (a large slice grows by a quarter at a time).
func count(segs []x12.Segment, id string) int {
	n := 0
	for i := range segs {
		if segs[i].ID == id {
			n++
		}
	}
	return n
}

// idsAt reads the qualifier/id pairs at the positions at (qualifier
// first). Empty pairs are kept only when a later pair follows.
func (r *setReader) idsAt(s *x12.Segment, at []int) []ProductID {
	var ids [4]ProductID
	keep := 0
	for k, p := range at {
		ids[k] = ProductID{Qualifier: r.code(s, p), ID: r.text(s, p+1)}
		if ids[k] != (ProductID{}) {
			keep = k + 1
		}
	}
	if keep == 0 {
		return nil
	}
	if len(r.idChunk)+keep > cap(r.idChunk) {
		r.idChunk = make([]ProductID, 0, chunkSize)
	}
	n := len(r.idChunk)
	r.idChunk = append(r.idChunk, ids[:keep]...)
	return r.idChunk[n : n+keep : n+keep]
}

// decimals reads the elements at positions at into dst, which must be
// empty or numbers.
func (r *setReader) decimals(s *x12.Segment, at []int, dst ...*Decimal) error {
	for k, p := range at {
		n, err := r.decimal(s, p)
		if err != nil {
			return err
		}
		*dst[k] = n
	}
	return nil
}

// lxLoop tracks the LX loop of a 944 or 945: its number and the segments
// before its first line.
type lxLoop struct {
	lx   string
	seg  *x12.Segment // the LX still waiting for its first line, or nil
	segs []Segment
}

func (x *lxLoop) start(r *setReader, s *x12.Segment, line string) error {
	if err := x.end(r, line); err != nil {
		return err
	}
	if err := r.need(s, 1); err != nil {
		return err
	}
	x.lx, x.seg, x.segs = r.code(s, 1), s, nil
	return nil
}

// end fails when an LX loop ended before its first line segment.
func (x *lxLoop) end(r *setReader, line string) error {
	if x.seg != nil {
		e := r.fail(x.seg, 0, ErrMissingSegment)
		e.Segment = line
		return e
	}
	return nil
}

// take returns the LX loop's segments for the line that starts now.
func (x *lxLoop) take() (string, []Segment) {
	segs := x.segs
	x.seg, x.segs = nil, nil
	return x.lx, segs
}
