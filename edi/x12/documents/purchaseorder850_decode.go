package documents

import "github.com/dockside-edi/dockside/edi/x12"

var (
	begNamed = upTo(5)
	po1Named = upTo(25)
)

// Decode850 decodes an 850 transaction set.
func Decode850(t *x12.Transaction) (*PurchaseOrder850, error) {
	r, err := newSetReader(t, "850")
	if err != nil {
		return nil, err
	}
	segs := r.segs
	if len(segs) == 0 || segs[0].ID != "BEG" {
		return nil, missingSegment(r, "BEG")
	}
	s := &segs[0]
	if err := r.need(s, 1); err != nil {
		return nil, err
	}
	if err := r.need(s, 3); err != nil {
		return nil, err
	}
	doc := &PurchaseOrder850{
		Purpose: r.code(s, 1), Type: r.code(s, 2), Number: r.text(s, 3), Release: r.text(s, 4), Date: r.code(s, 5),
		Extra: r.extra(s, begNamed), Lines: make([]Line850, 0, count(segs, "PO1")),
	}
	sdq := decoder846{setReader: r}
	var party *Party
	var line *Line850
	inLoop := false // in a heading loop kept in Other (N9 or SAC)
	for i := 1; i < len(segs); i++ {
		s := &segs[i]
		var err error
		switch {
		case s.ID == "":
			err = r.noID(s)
		case s.ID == "CTT":
			if doc.Totals, err = r.ctt(s); err != nil {
				return nil, err
			}
			return doc, r.after(segs[i+1:], &doc.After)
		case s.ID == "PO1":
			var l Line850
			if l, err = r.po1(s); err == nil {
				doc.Lines = append(doc.Lines, l)
				line = &doc.Lines[len(doc.Lines)-1]
			}
		case line != nil && s.ID == "SDQ":
			var q LocationQuantities
			if q, err = sdq.sdq(s); err == nil {
				line.Destinations = append(line.Destinations, q)
			}
		case line != nil:
			line.Other = append(line.Other, r.segment(s))
		case s.ID == "N1":
			doc.Parties = append(doc.Parties, r.n1(s))
			party, inLoop = &doc.Parties[len(doc.Parties)-1], false
		case party != nil:
			if !r.partyPart(party, s) {
				party.Other = append(party.Other, r.segment(s))
			}
		case s.ID == "N9" || s.ID == "SAC":
			doc.Other = append(doc.Other, r.segment(s))
			inLoop = true
		case inLoop && (s.ID == "DTM" || s.ID == "MSG" || s.ID == "CUR"):
			doc.Other = append(doc.Other, r.segment(s))
		case s.ID == "REF":
			doc.Refs = append(doc.Refs, r.ref(s))
			inLoop = false
		case s.ID == "DTM":
			doc.Dates = append(doc.Dates, r.dtm(s))
			inLoop = false
		default:
			doc.Other = append(doc.Other, r.segment(s))
			inLoop = false
		}
		if err != nil {
			return nil, err
		}
	}
	return doc, nil
}

func (r *setReader) po1(s *x12.Segment) (Line850, error) {
	l := Line850{LineID: r.text(s, 1), Unit: r.code(s, 3), PriceBasis: r.code(s, 5), Extra: r.extra(s, po1Named), Pos: s.Pos.SetIndex}
	if err := r.decimals(s, []int{2, 4}, &l.Quantity, &l.UnitPrice); err != nil {
		return Line850{}, err
	}
	l.IDs = r.idPairs(s, po1IDPairs)
	return l, nil
}

// idPairs reads any number of qualifier/id pairs at the positions at.
// Empty pairs are kept only when a later pair follows.
func (r *setReader) idPairs(s *x12.Segment, at []int) []ProductID {
	var ids []ProductID
	keep := 0
	for _, p := range at {
		if p > s.Len() {
			break
		}
		id := ProductID{Qualifier: r.code(s, p), ID: r.text(s, p+1)}
		ids = append(ids, id)
		if id != (ProductID{}) {
			keep = len(ids)
		}
	}
	if keep == 0 {
		return nil
	}
	return ids[:keep]
}
