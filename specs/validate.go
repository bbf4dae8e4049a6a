package specs

import (
	"fmt"
	"sync"

	"github.com/dockside-edi/dockside/edi/x12"
)

// validation is the state of one Validate call: loop frames and occurrence
// counters. It is pooled, so a call allocates nothing per segment.
type validation struct {
	spec   *Spec
	counts []int32
	stack  []frame
	res    *x12.SetResult
	elems  []x12.ElementError // scratch for one segment's element errors
	last   int                // SetIndex of the last segment seen
	// seps are the separators of delims, for the fast path; sepsSet is
	// false until a segment of the call set them.
	seps    seps
	delims  *x12.Delimiters
	sepsSet bool
	// ruleOK caches, per segment or composite with syntax rules, the last
	// presence mask that satisfied all its rules, with bit 0 set to mark
	// the entry valid (bit 0 is no element position). Streams repeat the
	// same shapes, so most rule checks become one comparison.
	ruleOK []uint64
	// places caches the structure searches of this call (see found).
	places [1 << placeBits]found
}

// frame is an open loop (or the set itself) and the index of its child
// that matched last (-1 before the first).
type frame struct {
	n   *Node
	cur int
}

var validationPool = sync.Pool{New: func() any { return new(validation) }}

// Validate checks t's segments against the spec: structure (order, loops,
// requirements, max use) and every element (requirement, type, length,
// code lists, syntax rules). It starts from x12.NewSetResult(t), so the
// result also carries the envelope findings, and finishes it. Validate
// keeps its state per call and is safe for concurrent use.
func (s *Spec) Validate(t *x12.Transaction) x12.SetResult {
	res := x12.NewSetResult(t)
	v := validationPool.Get().(*validation)
	v.reset(s, &res)
	for i := range t.Segments {
		v.segment(&t.Segments[i])
	}
	v.end(t.HasTrailer)
	v.res, v.spec, v.delims = nil, nil, nil
	validationPool.Put(v)
	res.Finish()
	return res
}

func (v *validation) reset(s *Spec, res *x12.SetResult) {
	v.spec, v.res, v.last = s, res, 0
	v.delims, v.sepsSet = nil, false
	v.places = [1 << placeBits]found{}
	if cap(v.counts) < s.slots {
		v.counts = make([]int32, s.slots)
	}
	v.counts = v.counts[:s.slots]
	clear(v.counts)
	if cap(v.ruleOK) < s.dict.ruleCaches {
		v.ruleOK = make([]uint64, s.dict.ruleCaches)
	}
	v.ruleOK = v.ruleOK[:s.dict.ruleCaches]
	clear(v.ruleOK)
	if cap(v.stack) < s.depth+1 {
		v.stack = make([]frame, 0, s.depth+1)
	}
	v.stack = append(v.stack[:0], frame{n: s.root, cur: -1})
}

// segment places one segment in the structure and checks its elements.
func (v *validation) segment(seg *x12.Segment) {
	v.last = seg.Pos.SetIndex
	key := segmentKey(seg.ID) // 0 (matching nothing) for an over-long id
	top := &v.stack[len(v.stack)-1]
	m := &v.places[placeSlot(top.n.slot, top.cur, key)]
	if m.n == top.n && m.cur == int32(top.cur) && m.key == key {
		if m.quiet {
			// The loops the step closes have no mandatory entries left to
			// report: they close without a look.
			v.stack = v.stack[:m.depth+1]
		}
		v.enter(int(m.depth), int(m.j), seg)
		return
	}
	for depth := len(v.stack) - 1; depth >= 0; depth-- {
		f := &v.stack[depth]
		keys := f.n.keys
		start := max(f.cur, 0)
		if depth > 0 {
			// A loop's trigger is never repeated inside its own
			// iteration: a second one starts the next iteration.
			start = max(f.cur, 1)
		}
		for j := start; j < len(keys); j++ {
			if keys[j] == key {
				*m = found{n: top.n, cur: int32(top.cur), key: key, depth: int32(depth), j: int32(j), quiet: v.quietStep(depth, j)}
				v.enter(depth, j, seg)
				return
			}
		}
	}
	v.misplaced(seg)
}

// segmentKey is packString for a segment id, unrolled for the usual two
// or three bytes.
func segmentKey(id string) uint32 {
	switch len(id) {
	case 2:
		if id[0] != 0 && id[1] != 0 {
			return uint32(id[0])<<8 | uint32(id[1])
		}
	case 3:
		if id[0] != 0 && id[1] != 0 && id[2] != 0 {
			return uint32(id[0])<<16 | uint32(id[1])<<8 | uint32(id[2])
		}
	}
	k, _ := packString(id)
	return k
}

// found remembers where segment's search ended (frame depth, child j) for
// a stack whose top frame is (n, cur) and a segment key. The frames below
// the top are a function of its node (each open loop is the current child
// of the frame below), so the search is a function of (n, cur, key).
type found struct {
	n        *Node
	cur      int32
	key      uint32
	depth, j int32
	// quiet says that no loop the step closes can have a mandatory entry
	// missing (none is left after its current one), so closing them
	// reports nothing; the same holds for the entries skipped at depth,
	// which enter checks anyway.
	quiet bool
}

// quietStep reports whether closing the loops above depth, then moving
// to child j at depth, passes no mandatory entry (see found).
func (v *validation) quietStep(depth, j int) bool {
	for d := len(v.stack) - 1; d > depth; d-- {
		f := &v.stack[d]
		if f.n.mandatoryBetween(f.cur+1, len(f.n.Content)) {
			return false
		}
	}
	f := &v.stack[depth]
	return !f.n.mandatoryBetween(f.cur+1, j)
}

// placeBits sizes a validation's table of places.
const placeBits = 6

func placeSlot(slot, cur int, key uint32) uint32 {
	return (key ^ uint32(slot)<<16 ^ uint32(cur)<<24) * 0x9E3779B1 >> (32 - placeBits)
}

// enter makes kids[j] of frame depth the current position for seg: closes
// deeper loops, reports mandatory entries skipped, counts the occurrence,
// opens a loop, then checks the segment's elements.
func (v *validation) enter(depth, j int, seg *x12.Segment) {
	for len(v.stack)-1 > depth {
		v.closeTop(seg.Pos.SetIndex)
	}
	f := &v.stack[depth]
	kids := f.n.Content
	if f.n.mandatoryBetween(f.cur+1, j) {
		for k := f.cur + 1; k < j; k++ {
			v.checkPresent(kids[k], seg.Pos.SetIndex, f.n)
		}
	}
	f.cur = j
	c := kids[j]
	v.counts[c.slot]++
	n := v.counts[c.slot]
	code, node, loop := "", c, f.n
	if c.IsLoop {
		if c.Max > 0 && int(n) > c.Max {
			code = x12.SegLoopOverMax
		}
		v.stack = append(v.stack, frame{n: c, cur: 0})
		clear(v.counts[c.first : c.first+len(c.Content)])
		v.counts[c.Content[0].slot] = 1
		node, loop = c.Content[0], c
	} else if c.Max > 0 && int(n) > c.Max {
		code = x12.SegOverMaxUse
	}
	v.checkElements(seg, node.Segment, loop, code, n)
}

// closeTop pops the innermost loop, reporting its mandatory entries that
// did not occur.
func (v *validation) closeTop(at int) {
	f := v.stack[len(v.stack)-1]
	if f.n.mandatoryBetween(f.cur+1, len(f.n.Content)) {
		for k := f.cur + 1; k < len(f.n.Content); k++ {
			v.checkPresent(f.n.Content[k], at, f.n)
		}
	}
	v.stack = v.stack[:len(v.stack)-1]
}

// end closes every open loop and the set itself once all segments are in.
func (v *validation) end(hasTrailer bool) {
	for len(v.stack) > 1 {
		v.closeTop(v.last)
	}
	f := v.stack[0]
	for k := f.cur + 1; k < len(f.n.Content); k++ {
		c := f.n.Content[k]
		if c.ID == "SE" && !hasTrailer {
			continue // the decoder reports the missing trailer (AK502 2)
		}
		v.checkPresent(c, v.last, f.n)
	}
}

// checkPresent reports a mandatory segment or loop n of parent that has
// not occurred in parent's current iteration.
func (v *validation) checkPresent(n *Node, at int, parent *Node) {
	if n.Req != 'M' || v.counts[n.slot] > 0 {
		return
	}
	loopID := loopIDOf(parent)
	what := "segment " + n.ID
	if n.IsLoop {
		loopID = n.ID
		what = "loop " + n.ID + " (starting with " + n.trigger + ")"
	}
	where := "the set"
	if parent != v.spec.root {
		where = "loop " + parent.ID
	}
	v.res.Segments = append(v.res.Segments, x12.SegmentError{
		SegmentID: n.trigger, Position: at, LoopID: loopID, Code: x12.SegMandatoryMiss,
		Msg: fmt.Sprintf("mandatory %s is missing in %s (detected at segment %d)", what, where, at),
	})
}

// misplaced reports a segment that fits nowhere from the current position.
func (v *validation) misplaced(seg *x12.Segment) {
	loopID := loopIDOf(v.stack[len(v.stack)-1].n)
	e := x12.SegmentError{SegmentID: seg.ID, Position: seg.Pos.SetIndex, LoopID: loopID, Pos: seg.Pos}
	_, inDict := v.spec.dict.segments[seg.ID]
	switch w := v.spec.where[seg.ID]; {
	case !x12.ValidSegmentID(seg.ID) || (!inDict && w == 0):
		e.Code = x12.SegUnrecognized
		e.Msg = fmt.Sprintf("segment id %q is not recognized (not in the %s dictionary)", clip(seg.ID), v.spec.Version)
	case w == 0:
		e.Code = x12.SegNotInSet
		e.Msg = fmt.Sprintf("segment %s is not used in transaction set %s", seg.ID, v.spec.ID)
	case w == placeTop:
		e.Code = x12.SegOutOfSequence
		e.Msg = fmt.Sprintf("segment %s is out of sequence here", seg.ID)
	default:
		e.Code = x12.SegUnexpected
		e.Msg = fmt.Sprintf("segment %s is unexpected here: it belongs inside a loop that is not open", seg.ID)
	}
	v.res.Segments = append(v.res.Segments, e)
}

func loopIDOf(n *Node) string {
	if n == nil || n.parent == nil {
		return "" // the set itself
	}
	return n.ID
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}
