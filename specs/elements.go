package specs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"

	"github.com/dockside-edi/dockside/edi/x12"
)

// checkElements checks seg's elements against def and records a segment
// error when they or the structure (structCode) are at fault.
func (v *validation) checkElements(seg *x12.Segment, def *Segment, loop *Node, structCode string, count int32) {
	v.elems = v.elems[:0]
	v.segmentElements(seg, def)
	if structCode == "" && len(v.elems) == 0 {
		return
	}
	e := x12.SegmentError{SegmentID: seg.ID, Position: seg.Pos.SetIndex, LoopID: loopIDOf(loop), Code: structCode, Pos: seg.Pos}
	if len(v.elems) > 0 {
		e.Elements = append([]x12.ElementError(nil), v.elems...)
	}
	switch structCode {
	case x12.SegLoopOverMax:
		e.Msg = fmt.Sprintf("loop %s repeats %d times, at most %d are allowed", loop.ID, count, loop.Max)
	case x12.SegOverMaxUse:
		e.Msg = fmt.Sprintf("segment %s occurs %d times here, max use is %d", seg.ID, count, nodeMaxOf(loop, seg.ID))
	default:
		e.Code = x12.SegHasElementError
		e.Msg = fmt.Sprintf("segment %s has %d element error(s): %s", seg.ID, len(e.Elements), e.Elements[0].Msg)
	}
	v.res.Segments = append(v.res.Segments, e)
}

// nodeMaxOf finds the max use of segment id among loop's children.
func nodeMaxOf(loop *Node, id string) int {
	for _, c := range loop.Content {
		if !c.IsLoop && c.ID == id {
			return c.Max
		}
	}
	return 0
}

// segmentElements appends seg's element errors to v.elems.
func (v *validation) segmentElements(seg *x12.Segment, def *Segment) {
	if d := seg.Delimiters(); d != v.delims || !v.sepsSet {
		v.setSeps(d)
	}
	sp := &v.seps
	n := seg.Len()
	fast := def.fast
	last := min(max(n, def.lastMandatory), len(fast))
	// The loop calls nothing (a call would cost it its registers): it
	// marks in slow the positions to look at again, a mandatory element
	// missing or a value the fast path does not accept (fastUse). Their
	// errors come after, in order of position, as each position's errors
	// depend on its value alone.
	var present, slow uint64
	for k := range fast[:last] {
		f, i := &fast[k], k+1
		val := seg.Element(i) // nil past the segment's last element
		m := len(val)
		if m == 0 {
			if f.mandatory {
				slow |= 1 << (uint(i) & 63)
			}
			continue
		}
		present |= 1 << (uint(i) & 63) // i <= 63: no shift past the word
		kind, compW := f.kind, sp.compW
		if kind == fastComposite {
			kind = f.sub
			if !f.loneOK {
				kind = fastNone
			}
		} else if kind == fastCode {
			compW = sp.repW // a simple element may hold a code with the component separator
		}
		ok := false
		switch kind {
		case fastCode:
			if m <= 4 {
				w := shortWord(val)
				ok = zeroBytes(w)|zeroBytes(w^compW)|zeroBytes(w^sp.repW) == 0 &&
					f.codes.hasKey(bits.ReverseBytes32(uint32(w)<<(32-8*uint(m))))
			}
		case fastText:
			if m >= f.min && m <= f.max {
				if m <= 8 {
					ok = plainWord(shortWord(val), compW, sp.repW)
					break
				}
				ok = true
				for j := 0; ok && j < m; j += 8 {
					// The last word overlaps the one before.
					ok = plainWord(binary.LittleEndian.Uint64(val[min(j, m-8):]), compW, sp.repW)
				}
			}
		case fastDecimal, fastInteger:
			if sp.numSafe {
				d, isNum := numericDigits(val, kind == fastDecimal)
				ok = isNum && d >= f.min && d <= f.max
			}
		}
		if !ok {
			slow |= 1 << (uint(i) & 63)
		}
	}
	for ; slow != 0; slow &= slow - 1 {
		i := bits.TrailingZeros64(slow)
		if val := seg.Element(i); len(val) > 0 {
			v.element(seg, i, &def.Elements[i-1], val, sp.rep, sp.comp)
		} else {
			v.elemError(seg, i, 0, 0, &def.Elements[i-1], nil, x12.ElemMandatoryMissing, 0)
		}
	}
	for i := len(def.Elements) + 1; i <= n; i++ {
		if len(seg.Element(i)) > 0 {
			v.elems = append(v.elems, x12.ElementError{Position: i, Code: x12.ElemTooMany, Value: string(seg.Element(i)),
				Msg: fmt.Sprintf("%s has %d elements; %s defines %d (%s%02d is extra)", seg.ID, n, v.spec.Version, len(def.Elements), seg.ID, i)})
			break
		}
	}
	if len(def.Rules) > 0 && v.ruleOK[def.index] != present|1 {
		if v.rules(seg, def.Rules, present, def.Elements) {
			v.ruleOK[def.index] = present | 1
		}
	}
}

// setSeps takes the separators of d (nil: a segment built with
// x12.NewSegment, with '>' for components and no repetitions).
func (v *validation) setSeps(d *x12.Delimiters) {
	var rep byte
	comp := byte('>')
	if d != nil {
		rep, comp = d.Repetition, d.Component
	}
	v.delims, v.sepsSet, v.seps = d, true, newSeps(comp, rep)
}

// element checks one present element that the fast path did not accept.
func (v *validation) element(seg *x12.Segment, pos int, u *Use, val []byte, rep, comp byte) {
	if u.Composite == nil && (rep == 0 || bytes.IndexByte(val, rep) < 0) {
		// A simple element, not repeated.
		if p, _ := checkValue(u.Element, val, comp); p != valueOK {
			v.value(seg, pos, 0, 0, u, u.Element, val, comp)
		}
		return
	}
	v.use(seg, pos, u, val, rep, comp)
}

// use checks one present element: its repetitions, components and value.
func (v *validation) use(seg *x12.Segment, pos int, u *Use, val []byte, rep, comp byte) {
	if rep == 0 || bytes.IndexByte(val, rep) < 0 {
		v.occurrence(seg, pos, 0, u, val, comp)
		return
	}
	if u.Repeat <= 1 {
		v.elemError(seg, pos, 0, 0, u, val, codeTooManyRepetitions, 0)
		return
	}
	r := 0
	for len(val) > 0 || r == 0 {
		r++
		part := val
		if k := bytes.IndexByte(val, rep); k >= 0 {
			part, val = val[:k], val[k+1:]
		} else {
			val = nil
		}
		if r > u.Repeat {
			v.elemError(seg, pos, 0, r, u, part, codeTooManyRepetitions, 0)
			return
		}
		if len(part) == 0 {
			continue
		}
		v.occurrence(seg, pos, r, u, part, comp)
	}
}

// occurrence checks one repetition of an element: a composite's
// components, or a simple value.
func (v *validation) occurrence(seg *x12.Segment, pos, r int, u *Use, val []byte, comp byte) {
	if u.Composite == nil {
		v.value(seg, pos, 0, r, u, u.Element, val, comp)
		return
	}
	c := u.Composite
	var present uint64
	for k := 1; len(val) > 0 || k == 1; k++ {
		part := val
		if i := bytes.IndexByte(val, comp); i >= 0 {
			part, val = val[:i], val[i+1:]
		} else {
			val = nil
		}
		if k > len(c.Elements) {
			if len(part) > 0 || len(val) > 0 {
				v.elemError(seg, pos, k, r, u, part, v.componentCode(), 0)
			}
			return
		}
		cu := &c.Elements[k-1]
		if len(part) == 0 {
			if cu.Req == 'M' {
				v.elemError(seg, pos, k, r, cu, nil, x12.ElemMandatoryMissing, 0)
			}
			continue
		}
		present |= 1 << uint(k)
		v.value(seg, pos, k, r, cu, cu.Element, part, 0)
	}
	if len(c.Rules) > 0 && v.ruleOK[c.index] != present|1 {
		if v.compositeRules(seg, pos, r, c, present) {
			v.ruleOK[c.index] = present | 1
		}
	}
}

// compositeRules checks a composite's syntax rules; true when all hold.
func (v *validation) compositeRules(seg *x12.Segment, pos, r int, c *Composite, present uint64) bool {
	ok := true
	for i := range c.Rules {
		if c.Rules[i].holds(present) {
			continue
		}
		ok = false
		var buf [4]ruleViolation
		for _, rv := range c.Rules[i].violations(present, buf[:0]) {
			u := &c.Elements[rv.pos-1]
			v.elemError(seg, pos, rv.pos, r, u, nil, rv.code, rv.other)
			v.elems[len(v.elems)-1].Msg = fmt.Sprintf("%s (%s): composite %s breaks syntax rule %s (components %v)",
				elementLabel(seg.ID, pos, rv.pos, r), useName(u), c.ID, rv.rule, rv.rule.Positions)
		}
	}
	return ok
}

// componentCode is the code for too many components, or a component
// separator inside a simple element: 005010 has code 13 for it; 004010
// does not, so it is reported as too many elements.
func (v *validation) componentCode() string {
	if v.spec.Version >= "005010" {
		return codeTooManyComponents
	}
	return x12.ElemTooMany
}

// value checks one simple value.
// sep is the component separator when val is a simple element (it may
// not contain one), 0 for a component.
func (v *validation) value(seg *x12.Segment, pos, comp, r int, u *Use, el *Element, val []byte, sep byte) {
	p, n := checkValue(el, val, sep)
	switch p {
	case valueOK:
		return
	case valueComponent:
		v.elemError(seg, pos, comp, r, u, val, v.componentCode(), 0)
		return
	}
	v.elemError(seg, pos, comp, r, u, val, p.code(), n)
}

// rules checks a segment's syntax rules; true when all hold.
func (v *validation) rules(seg *x12.Segment, rules []Rule, present uint64, uses []Use) bool {
	ok := true
	for i := range rules {
		if rules[i].holds(present) {
			continue
		}
		ok = false
		var buf [4]ruleViolation
		for _, rv := range rules[i].violations(present, buf[:0]) {
			v.elemError(seg, rv.pos, 0, 0, &uses[rv.pos-1], nil, rv.code, rv.other)
			v.elems[len(v.elems)-1].Msg = ruleMessage(seg.ID, rv, &uses[rv.pos-1])
		}
	}
	return ok
}

// elemError records an element error with its 997/999 places and a
// message. n is the counted length for length problems.
func (v *validation) elemError(seg *x12.Segment, pos, comp, r int, u *Use, val []byte, code string, n int) {
	e := x12.ElementError{Position: pos, Component: comp, Repetition: r, Reference: refNumber(u), Code: code, Value: string(val)}
	label := elementLabel(seg.ID, pos, comp, r)
	desc := label + " (" + useName(u) + ")"
	switch code {
	case x12.ElemMandatoryMissing:
		e.Msg = desc + " is mandatory but missing"
	case x12.ElemTooShort:
		e.Msg = fmt.Sprintf("%s %q is too short: %d characters, minimum %d", desc, val, n, u.Element.Min)
	case x12.ElemTooLong:
		e.Msg = fmt.Sprintf("%s %q is too long: %d characters, maximum %d", desc, val, n, u.Element.Max)
	case x12.ElemInvalidChar:
		e.Msg = fmt.Sprintf("%s %q has a character not allowed in type %s", desc, val, u.Element.TypeName())
	case x12.ElemInvalidCode:
		e.Msg = fmt.Sprintf("%s %q is not a valid code", desc, val)
	case x12.ElemInvalidDate:
		format := "CCYYMMDD"
		if u.Element.Max == 6 {
			format = "YYMMDD"
		}
		e.Msg = fmt.Sprintf("%s %q is not a valid date %s", desc, val, format)
	case x12.ElemInvalidTime:
		e.Msg = fmt.Sprintf("%s %q is not a valid time HHMM[SS[d..]]", desc, val)
	case codeTooManyRepetitions:
		e.Msg = fmt.Sprintf("%s has more repetitions than the %d allowed", desc, max(u.Repeat, 1))
	case codeTooManyComponents, x12.ElemTooMany:
		if comp > 0 {
			e.Msg = fmt.Sprintf("%s-%d: composite %s has only %d components", elementLabel(seg.ID, pos, 0, r), comp, u.Ref, len(u.Composite.Elements))
			e.Reference = ""
		} else {
			e.Msg = fmt.Sprintf("%s %q contains the component separator but is not a composite", desc, val)
		}
	case codeConditionalMissing, codeExclusion:
		e.Msg = desc + " violates a syntax rule"
	}
	v.elems = append(v.elems, e)
}

func ruleMessage(segID string, rv ruleViolation, u *Use) string {
	desc := elementLabel(segID, rv.pos, 0, 0) + " (" + useName(u) + ")"
	other := elementLabel(segID, rv.other, 0, 0)
	switch rv.rule.Kind {
	case 'R':
		var names []string
		for _, p := range rv.rule.Positions {
			names = append(names, elementLabel(segID, p, 0, 0))
		}
		return fmt.Sprintf("at least one of %s is required (syntax rule %s)", strings.Join(names, ", "), rv.rule)
	case 'P':
		return fmt.Sprintf("%s is required when %s is present (paired, syntax rule %s)", desc, other, rv.rule)
	case 'C':
		return fmt.Sprintf("%s is required when %s is present (syntax rule %s)", desc, other, rv.rule)
	case 'L':
		return fmt.Sprintf("%s is present, so at least one of the other elements of syntax rule %s is required", other, rv.rule)
	case 'E':
		return fmt.Sprintf("%s may not be present together with %s (exclusion, syntax rule %s)", desc, other, rv.rule)
	}
	return desc + " violates syntax rule " + rv.rule.String()
}

// elementLabel names an element the way people write it: BIA04, AK401-1,
// CTX01 repetition 2.
func elementLabel(seg string, pos, comp, r int) string {
	s := fmt.Sprintf("%s%02d", seg, pos)
	if comp > 0 {
		s += fmt.Sprintf("-%d", comp)
	}
	if r > 0 {
		s += fmt.Sprintf(" repetition %d", r)
	}
	return s
}

func useName(u *Use) string {
	if u.Composite != nil {
		return u.Composite.Name + ", composite " + u.Ref
	}
	return u.Element.Name + ", element " + u.Ref
}

// refNumber is AK402: the data element reference number (composites have
// none, so it stays empty for them).
func refNumber(u *Use) string {
	if u.Composite != nil {
		return ""
	}
	return u.Ref
}
