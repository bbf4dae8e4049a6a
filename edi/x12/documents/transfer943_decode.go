package documents

import "github.com/dockside-edi/dockside/edi/x12"

var w04Named = upTo(7).and(14, 15)

// Decode943 decodes a 943 transaction set.
func Decode943(t *x12.Transaction) (*TransferShipment943, error) {
	r, err := newSetReader(t, "943")
	if err != nil {
		return nil, err
	}
	segs := r.segs
	if len(segs) == 0 || segs[0].ID != "W06" {
		return nil, missingSegment(r, "W06")
	}
	w06, err := r.w06(&segs[0])
	if err != nil {
		return nil, err
	}
	doc := &TransferShipment943{Shipment: w06, Lines: make([]Line943, 0, count(segs, "W04"))}
	var party *Party
	var line *Line943
	for i := 1; i < len(segs); i++ {
		s := &segs[i]
		var err error
		switch {
		case s.ID == "":
			err = r.noID(s)
		case s.ID == "W03":
			if doc.Totals, err = r.w03(s); err != nil {
				return nil, err
			}
			return doc, r.after(segs[i+1:], &doc.After)
		case s.ID == "W04":
			var l Line943
			if l, err = r.w04(s); err == nil {
				doc.Lines = append(doc.Lines, l)
				line, party = &doc.Lines[len(doc.Lines)-1], nil
			}
		case line != nil:
			r.lineDetail(&line.LineDetail, s)
		case s.ID == "W27" && doc.Carrier == nil:
			doc.Carrier, err = r.w27(s)
			party = nil
		default:
			err = r.heading(&doc.WarehouseHeading, &party, s)
		}
		if err != nil {
			return nil, err
		}
	}
	return doc, nil
}

func (r *setReader) w04(s *x12.Segment) (Line943, error) {
	if err := r.need(s, 1); err != nil {
		return Line943{}, err
	}
	if err := r.need(s, 2); err != nil {
		return Line943{}, err
	}
	q, err := r.decimal(s, 1)
	if err != nil {
		return Line943{}, err
	}
	l := Line943{Quantity: q, Unit: r.code(s, 2), CaseUPC: r.text(s, 3), IDs: r.idsAt(s, w04IDPairs),
		Extra: r.extra(s, w04Named), Pos: s.Pos.SetIndex}
	if l.CaseUPC == "" && len(l.IDs) == 0 {
		return Line943{}, r.fail(s, 3, ErrMissingElement) // syntax note R0304
	}
	return l, nil
}
