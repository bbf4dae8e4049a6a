package documents

import "github.com/dockside-edi/dockside/edi/x12"

// The element positions each common segment type has fields for.
var (
	dtmNamed  = upTo(6)
	refNamed  = upTo(3)
	n9Named   = upTo(5)
	pidNamed  = upTo(5)
	nteNamed  = upTo(2)
	textNamed = upTo(2)
	n1Named   = upTo(4)
	n4Named   = upTo(6)
	cttNamed  = upTo(2)
)

func (r *setReader) dtm(s *x12.Segment) DateTime {
	return DateTime{
		Qualifier: r.code(s, 1), Date: r.code(s, 2), Time: r.code(s, 3),
		TimeCode: r.code(s, 4), PeriodFormat: r.code(s, 5), Period: r.text(s, 6),
		Extra: r.extra(s, dtmNamed),
	}
}

func (r *setReader) ref(s *x12.Segment) Reference {
	return Reference{Qualifier: r.code(s, 1), ID: r.text(s, 2), Description: r.text(s, 3), Extra: r.extra(s, refNamed)}
}

func (r *setReader) n9(s *x12.Segment) Reference {
	return Reference{
		Qualifier: r.code(s, 1), ID: r.text(s, 2), Description: r.text(s, 3),
		Date: r.code(s, 4), Time: r.code(s, 5), Extra: r.extra(s, n9Named),
	}
}

func (r *setReader) pid(s *x12.Segment) Description {
	var d Description
	r.pidInto(&d, s)
	return d
}

// pidInto fills d, which is zero, from a PID segment. It writes only the
// fields that are present: in a slab being filled while the garbage
// collector marks, every pointer written costs a write barrier.
func (r *setReader) pidInto(d *Description, s *x12.Segment) {
	d.Type = r.code(s, 1)
	if s.Len() > 1 {
		if e := s.Element(2); len(e) > 0 {
			d.Characteristic = r.strs.code(e)
		}
		if e := s.Element(3); len(e) > 0 {
			d.Agency = r.strs.code(e)
		}
		if e := s.Element(4); len(e) > 0 {
			d.Code = r.strs.str(e)
		}
		if e := s.Element(5); len(e) > 0 {
			d.Text = r.strs.str(e)
		}
		if x := r.extra(s, pidNamed); x != nil {
			d.Extra = x
		}
	}
}

func (r *setReader) nte(s *x12.Segment) Note {
	return Note{Code: r.code(s, 1), Text: r.text(s, 2), Extra: r.extra(s, nteNamed)}
}

func (r *setReader) textLine(s *x12.Segment) TextLine {
	return TextLine{Text: r.text(s, 1), Text2: r.text(s, 2), Extra: r.extra(s, textNamed)}
}

func (r *setReader) n4(s *x12.Segment) *Place {
	return &Place{
		City: r.text(s, 1), State: r.code(s, 2), Postal: r.code(s, 3), Country: r.code(s, 4),
		LocationQualifier: r.code(s, 5), Location: r.text(s, 6), Extra: r.extra(s, n4Named),
	}
}

func (r *setReader) n1(s *x12.Segment) Party {
	return Party{
		Entity: r.code(s, 1), Name: r.text(s, 2), IDQualifier: r.code(s, 3), ID: r.text(s, 4),
		Extra: r.extra(s, n1Named), Pos: s.Pos.SetIndex,
	}
}

// partyPart adds s to the N1 loop p when it is an N2, N3, N4 or REF that
// comes in the order the encoder writes them (N2s, N3s, one N4, REFs,
// before any other segment of the loop), and reports whether it did.
// A segment out of that order is left to the caller, which keeps it in
// p.Other: the loop then encodes to its segments in the order read, and
// segments kept after the loop (the document's Other) that a new reading
// joins to the loop encode the same way (the round trip is stable).
func (r *setReader) partyPart(p *Party, s *x12.Segment) bool {
	if len(p.Other) > 0 {
		return false
	}
	switch s.ID {
	case "N2":
		if len(p.Street) > 0 || p.Place != nil || len(p.Refs) > 0 {
			return false
		}
		p.Names = append(p.Names, r.textLine(s))
	case "N3":
		if p.Place != nil || len(p.Refs) > 0 {
			return false
		}
		p.Street = append(p.Street, r.textLine(s))
	case "N4":
		if p.Place != nil || len(p.Refs) > 0 {
			return false
		}
		p.Place = r.n4(s)
	case "REF":
		p.Refs = append(p.Refs, r.ref(s))
	default:
		return false
	}
	return true
}

func (r *setReader) ctt(s *x12.Segment) (*Totals, error) {
	count, err := r.integer(s, 1)
	if err != nil {
		return nil, err
	}
	hash, err := r.decimal(s, 2)
	if err != nil {
		return nil, err
	}
	return &Totals{Count: count, Hash: hash, Extra: r.extra(s, cttNamed)}, nil
}

// productIDs reads the qualifier/id pairs of s from element first on:
// (first, first+1), (first+2, first+3), ... up to element last (0: to the
// end). Empty pairs are kept only when a later pair follows, so that each
// pair keeps its position. The slice comes from slab.
func (r *setReader) productIDs(s *x12.Segment, first, last int, slab *slab[ProductID]) []ProductID {
	n := s.Len()
	if last > 0 && last < n {
		n = last
	}
	empty := 0 // trailing empty pairs
	for i := first; i <= n; i += 2 {
		q, id := s.Element(i), s.Element(i+1)
		if len(q) == 0 && len(id) == 0 {
			empty++
			slab.add()
			continue
		}
		empty = 0
		p := slab.add()
		p.Qualifier, p.ID = r.strs.code(q), r.strs.str(id)
	}
	slab.drop(empty)
	return slab.take()
}
