package specs

import (
	"fmt"
	"strconv"
)

// Rule is a syntax note of a segment or composite, as X12 writes them:
// "P0102" (paired: all or none), "R0203" (required: at least one), "C0302"
// (conditional: if the first, then all the others), "E0102" (exclusion: at
// most one), "L010203" (list conditional: if the first, then at least one
// of the others).
type Rule struct {
	Kind      byte  // 'P', 'R', 'C', 'E' or 'L'
	Positions []int // element positions, 1-based, in the rule's order
	text      string
	// Bit masks over element positions (bit i = element i) for a
	// branch-light check in the happy path.
	mask, first, rest uint64
}

// holds reports whether the rule is satisfied by the presence mask.
func (r *Rule) holds(present uint64) bool {
	switch r.Kind {
	case 'P':
		m := present & r.mask
		return m == 0 || m == r.mask
	case 'R':
		return present&r.mask != 0
	case 'C':
		return present&r.first == 0 || present&r.rest == r.rest
	case 'L':
		return present&r.first == 0 || present&r.rest != 0
	case 'E':
		m := present & r.mask
		return m&(m-1) == 0
	}
	return true
}

// String returns the rule as written, e.g. "P0405".
func (r Rule) String() string { return r.text }

func parseRule(s string, count int) (Rule, error) {
	if len(s) < 5 || (len(s)-1)%2 != 0 {
		return Rule{}, fmt.Errorf("syntax rule %q: want a letter and two-digit positions", s)
	}
	r := Rule{Kind: s[0], text: s}
	switch r.Kind {
	case 'P', 'R', 'C', 'E', 'L':
	default:
		return Rule{}, fmt.Errorf("syntax rule %q: kind must be P, R, C, E or L", s)
	}
	for i := 1; i < len(s); i += 2 {
		n, err := strconv.Atoi(s[i : i+2])
		if err != nil || n < 1 || n > count {
			return Rule{}, fmt.Errorf("syntax rule %q: position %q is not an element of the segment (1..%d)", s, s[i:i+2], count)
		}
		r.Positions = append(r.Positions, n)
		r.mask |= 1 << uint(n)
	}
	r.first = 1 << uint(r.Positions[0])
	r.rest = r.mask &^ r.first
	if r.Kind == 'L' && len(r.Positions) < 3 {
		return Rule{}, fmt.Errorf("syntax rule %q: L needs at least three positions", s)
	}
	return r, nil
}

// ruleViolation is one element a rule finds at fault.
type ruleViolation struct {
	pos   int    // the element to report
	code  string // AK403 code
	other int    // the element that triggered the rule (C, P, L, E), 0 for R
	rule  *Rule
}

// violations appends to out the elements the rule finds at fault, given
// the presence mask (bit i set = element i present).
func (r *Rule) violations(present uint64, out []ruleViolation) []ruleViolation {
	has := func(p int) bool { return present&(1<<uint(p)) != 0 }
	switch r.Kind {
	case 'P':
		first := 0
		for _, p := range r.Positions {
			if has(p) {
				first = p
				break
			}
		}
		if first == 0 {
			return out
		}
		for _, p := range r.Positions {
			if !has(p) {
				out = append(out, ruleViolation{pos: p, code: codeConditionalMissing, other: first, rule: r})
			}
		}
	case 'R':
		for _, p := range r.Positions {
			if has(p) {
				return out
			}
		}
		out = append(out, ruleViolation{pos: r.Positions[0], code: codeConditionalMissing, rule: r})
	case 'C':
		if !has(r.Positions[0]) {
			return out
		}
		for _, p := range r.Positions[1:] {
			if !has(p) {
				out = append(out, ruleViolation{pos: p, code: codeConditionalMissing, other: r.Positions[0], rule: r})
			}
		}
	case 'L':
		if !has(r.Positions[0]) {
			return out
		}
		for _, p := range r.Positions[1:] {
			if has(p) {
				return out
			}
		}
		out = append(out, ruleViolation{pos: r.Positions[1], code: codeConditionalMissing, other: r.Positions[0], rule: r})
	case 'E':
		first := 0
		for _, p := range r.Positions {
			if !has(p) {
				continue
			}
			if first == 0 {
				first = p
				continue
			}
			out = append(out, ruleViolation{pos: p, code: codeExclusion, other: first, rule: r})
		}
	}
	return out
}
