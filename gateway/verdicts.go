package gateway

import (
	"errors"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/mapping"
)

// setRef names a transaction set of a report: its group and its index
// among the group's sets (GroupResult.Sets).
type setRef struct {
	group *x12.Group
	index int
}

// verdicts collects what became of each set of an X12 file after its
// validation (decoding, mapping, posting), so that the acknowledgement
// tells the partner what we took: the validator's "accepted" is only
// where a set starts.
type verdicts struct {
	seen    map[*x12.Group]int            // sets handed over so far, per group
	refused map[setRef][]x12.SegmentError // decoding or mapping refused it (AK3 places, when known)
	noted   map[setRef][]x12.SegmentError // taken, with lines dropped (on_error: post_good)
	jobs    map[*mapping.Result]setRef    // mapped documents and their sets
	taken   map[setRef]bool               // posted, or found posted before
	silent  map[*x12.Interchange]bool     // a collision: no acknowledgement
	notPost map[*mapping.Result]bool      // mapped, then not posted (ledger or order book refused)
	// unsupported are the sets the profile maps no document for (AK502 1).
	unsupported map[setRef]bool
}

func newVerdicts() *verdicts {
	return &verdicts{seen: map[*x12.Group]int{}, refused: map[setRef][]x12.SegmentError{}, noted: map[setRef][]x12.SegmentError{},
		jobs: map[*mapping.Result]setRef{}, unsupported: map[setRef]bool{}, taken: map[setRef]bool{}, silent: map[*x12.Interchange]bool{}, notPost: map[*mapping.Result]bool{}}
}

// next returns the place of the set handed over now (sets come in order).
func (v *verdicts) next(g *x12.Group) setRef {
	i := v.seen[g]
	v.seen[g] = i + 1
	return setRef{group: g, index: i}
}

// refuse records a document that mapping accepted but that was not
// posted (nil-safe: flat files have no verdicts). A collision silences
// the acknowledgement of its interchange, as the inbox's collision check
// does.
func (w *work) refuse(res *mapping.Result, err error) {
	v := w.verdicts
	if v == nil {
		return
	}
	v.notPost[res] = true
	if ref, ok := v.jobs[res]; ok && errors.Is(err, ErrCollision) {
		v.silent[ref.group.Interchange] = true
	}
}

// settle turns the sets the validator accepted but we did not take into
// rejections (AK5/IK5 R, AK3/IK3 where the place is known; the group's
// AK9 follows), marks those taken with lines dropped as accepted with
// errors (E), and returns the report to acknowledge: the interchanges
// seen for the first time, but those that collided with an earlier one
// (which, like a collision found by the inbox, are not answered).
func (v *verdicts) settle(rep *x12.Report, fresh map[*x12.Interchange]bool) *x12.Report {
	for res, ref := range v.jobs {
		if _, refused := v.refused[ref]; !refused && !v.notPost[res] {
			v.taken[ref] = true
		}
	}
	out := &x12.Report{Err: rep.Err}
	for _, icr := range rep.Interchanges {
		if !fresh[icr.Interchange] || v.silent[icr.Interchange] {
			continue
		}
		for gi := range icr.Groups {
			g := &icr.Groups[gi]
			if x12.IsAcknowledgement(g.Group) {
				continue
			}
			for si := range g.Sets {
				sr := &g.Sets[si]
				if sr.Status != x12.StatusAccepted && sr.Status != x12.StatusAcceptedErrors {
					continue
				}
				ref := setRef{group: g.Group, index: si}
				if v.taken[ref] {
					if notes := v.noted[ref]; len(notes) > 0 {
						sr.Status = x12.StatusAcceptedErrors
						sr.Segments = append(sr.Segments, notes...)
					}
					continue
				}
				sr.Status = x12.StatusRejected
				if v.unsupported[ref] {
					sr.Codes = appendCode(sr.Codes, x12.SetNotSupported)
				}
				if segs := v.refused[ref]; len(segs) > 0 {
					sr.Segments = append(sr.Segments, segs...)
					sr.Codes = appendCode(sr.Codes, x12.SetSegmentsInError)
				}
			}
		}
		out.Interchanges = append(out.Interchanges, icr)
	}
	return out
}

func appendCode(codes []string, c string) []string {
	for _, x := range codes {
		if x == c {
			return codes
		}
	}
	return append(codes, c)
}

// decodeSegmentErrors gives the AK3/AK4 of a decoding error, when it has
// a place.
func decodeSegmentErrors(err error) []x12.SegmentError {
	var de *documents.DecodeError
	if !errors.As(err, &de) || de.Position <= 0 || de.Segment == "" {
		return nil
	}
	se := x12.SegmentError{SegmentID: de.Segment, Position: de.Position, Code: x12.SegHasElementError, Msg: de.Error()}
	switch {
	case errors.Is(err, documents.ErrMissingSegment):
		se.Code = x12.SegMandatoryMiss
	case errors.Is(err, documents.ErrMisplaced):
		se.Code = x12.SegUnexpected
	case errors.Is(err, documents.ErrTooDeep):
		se.Code = x12.SegLoopOverMax // the HL loop nests past the limit
	}
	if de.Element > 0 && se.Code == x12.SegHasElementError {
		code := x12.ElemInvalidCode
		switch {
		case errors.Is(err, documents.ErrMissingElement):
			code = x12.ElemMandatoryMissing
		case errors.Is(err, documents.ErrBadNumber), errors.Is(err, documents.ErrNotWhole):
			code = x12.ElemInvalidChar
		}
		se.Elements = []x12.ElementError{{Position: de.Element, Code: code, Value: de.Value, Msg: de.Error()}}
	}
	return []x12.SegmentError{se}
}

// problemSegmentErrors gives an AK3 for each mapping problem placed at a
// segment (an unknown item, a quantity that does not convert...): the
// segment is in error, for a reason of content rather than syntax.
func problemSegmentErrors(res *mapping.Result) []x12.SegmentError {
	if res == nil {
		return nil
	}
	var out []x12.SegmentError
	for _, p := range res.Problems {
		if p.Segment <= 0 || p.SegmentID == "" {
			continue
		}
		out = append(out, x12.SegmentError{SegmentID: p.SegmentID, Position: p.Segment, Code: x12.SegHasElementError, Msg: problemText(p)})
	}
	return out
}
