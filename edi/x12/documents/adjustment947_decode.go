package documents

import "github.com/dockside-edi/dockside/edi/x12"

var (
	w15Named = upTo(6)
	w19Named = upTo(9).and(16, 17, 18)
)

// Decode947 decodes a 947 transaction set.
func Decode947(t *x12.Transaction) (*AdjustmentAdvice947, error) {
	r, err := newSetReader(t, "947")
	if err != nil {
		return nil, err
	}
	segs := r.segs
	if len(segs) == 0 || segs[0].ID != "W15" {
		return nil, missingSegment(r, "W15")
	}
	s := &segs[0]
	if err := r.need(s, 1); err != nil {
		return nil, err
	}
	doc := &AdjustmentAdvice947{
		Date: r.code(s, 1), WarehouseAdjustment: r.text(s, 2), DepositorAdjustment: r.text(s, 3),
		Purpose: r.code(s, 4), TransactionType: r.code(s, 5), Action: r.code(s, 6), Extra: r.extra(s, w15Named),
		Lines: make([]Line947, 0, count(segs, "W19")),
	}
	var party *Party
	var line *Line947
	for i := 1; i < len(segs); i++ {
		s := &segs[i]
		var err error
		switch {
		case s.ID == "":
			err = r.noID(s)
		case s.ID == "W19":
			var l Line947
			if l, err = r.w19(s); err == nil {
				doc.Lines = append(doc.Lines, l)
				line, party = &doc.Lines[len(doc.Lines)-1], nil
			}
		case line != nil:
			r.lineDetail(&line.LineDetail, s)
		default:
			err = r.heading(&doc.WarehouseHeading, &party, s)
		}
		if err != nil {
			return nil, err
		}
	}
	return doc, nil
}

func (r *setReader) w19(s *x12.Segment) (Line947, error) {
	for _, i := range []int{1, 2, 3} {
		if err := r.need(s, i); err != nil {
			return Line947{}, err
		}
	}
	q, err := r.decimal(s, 2)
	if err != nil {
		return Line947{}, err
	}
	l := Line947{Reason: r.code(s, 1), Quantity: q, Unit: r.code(s, 3), CaseUPC: r.text(s, 4), IDs: r.idsAt(s, w19IDPairs),
		Lot: r.text(s, 9), TransactionType: r.code(s, 16), Extra: r.extra(s, w19Named), Pos: s.Pos.SetIndex}
	if l.CaseUPC == "" && len(l.IDs) == 0 {
		return Line947{}, r.fail(s, 4, ErrMissingElement) // the item is needed
	}
	return l, nil
}
