package specs

import "fmt"

// Type is an X12 simple data element type.
type Type uint8

// The element types of the X12 dictionaries.
const (
	TypeAN Type = iota + 1 // string: basic and extended character set
	TypeID                 // identifier: a code, checked against a code list when the data has one
	TypeDT                 // date: CCYYMMDD (8) or YYMMDD (6)
	TypeTM                 // time: HHMM[SS[d..d]]
	TypeR                  // decimal number with an optional point and sign
	TypeN                  // implied-decimal number Nn: digits and an optional leading minus
)

// Element is one simple data element of a version's dictionary.
type Element struct {
	Ref      string // data element reference number, e.g. "373"
	Name     string // short name for messages, e.g. "date"
	Type     Type
	Decimals int // n of an Nn type
	Min, Max int // length bounds (digits only for numeric types)
	// codes is the code list for ID elements; nil when the data carries
	// none (then only length and characters are checked).
	codes *codeSet
}

// HasCode reports whether code is in the element's code list; it is true for
// every value when the element has no list.
func (e *Element) HasCode(code string) bool {
	return e.codes == nil || e.codes.has([]byte(code))
}

// HasCodeList reports whether the data gives the element a code list.
func (e *Element) HasCodeList() bool { return e.codes != nil }

// Composite is a composite data element (C001, C030...).
type Composite struct {
	ID       string
	Name     string
	Elements []Use // components, in order
	Rules    []Rule

	index int // dense index in its release, for per-validation caches
}

// Use is one element position in a segment or composite: the element or
// composite used there and its requirement.
type Use struct {
	Ref       string     // "373" or "C001"
	Req       byte       // 'M' mandatory, 'O' optional, 'X' relational (see the syntax rules)
	Repeat    int        // maximum repetitions (1 = not repeatable)
	Element   *Element   // set for a simple element
	Composite *Composite // set for a composite
}

// Segment is a segment definition of a version's dictionary.
type Segment struct {
	ID       string
	Name     string
	Elements []Use
	Rules    []Rule

	fast          []fastUse // Elements compiled for the fast path
	lastMandatory int       // position of the last M element, 0 when none
	index         int       // dense index in its release, for per-validation caches
}

// Node is one entry of a transaction set's structure: a segment position or
// a loop.
type Node struct {
	// ID is the segment id, or the loop id for a loop.
	ID      string
	IsLoop  bool
	Req     byte // 'M' or 'O'
	Max     int  // max use, or loop repeats; 0 = unbounded (">1")
	Segment *Segment
	// Content is a loop's children; the first is its trigger segment.
	Content []*Node
	// keys are the children's keys, side by side for the search.
	keys []uint32

	trigger string // segment id that starts this node (for a loop: its first segment)
	key     uint32 // trigger packed by packString, for fast matching
	slot    int    // index into a validation's counters
	first   int    // for a loop: slot of its first child
	parent  *Node
	// mandatory has bit k set when child k is mandatory (children 0..63;
	// allMandatoryKnown is false when a loop has more children).
	mandatory         uint64
	allMandatoryKnown bool
}

// mandatoryBetween reports whether any child in [from, to) may be
// mandatory (true when it cannot tell).
func (n *Node) mandatoryBetween(from, to int) bool {
	if from >= to {
		return false
	}
	if !n.allMandatoryKnown || to > 64 {
		return true
	}
	span := uint64(1)<<uint(to-from) - 1
	return n.mandatory&(span<<uint(from)) != 0
}

// Spec is one transaction set in one version.
type Spec struct {
	ID           string // e.g. "846"
	Version      string // e.g. "004010"
	Name         string
	FunctionalID string // GS01, e.g. "IB"
	Structure    []*Node

	root  *Node
	slots int
	depth int
	// where tells for each segment id used in the set where it may stand:
	// placeTop (root level or a loop trigger) or placeInner (only inside
	// loops); used to tell "out of sequence" from "unexpected".
	where map[string]place
	dict  *release
}

type place uint8

const (
	placeInner place = iota + 1
	placeTop
)

// release is the data of one version: its dictionary and its sets.
type release struct {
	version    string
	elements   map[string]*Element
	composites map[string]*Composite
	segments   map[string]*Segment
	sets       map[string]*Spec
	// ruleCaches is the number of segments plus composites with syntax
	// rules: the size of a validation's rule cache.
	ruleCaches int
}

// TypeName returns the element's type as the dictionary writes it: AN, ID,
// DT, TM, R, N0, N2...
func (e *Element) TypeName() string {
	switch e.Type {
	case TypeAN:
		return "AN"
	case TypeID:
		return "ID"
	case TypeDT:
		return "DT"
	case TypeTM:
		return "TM"
	case TypeR:
		return "R"
	case TypeN:
		return fmt.Sprintf("N%d", e.Decimals)
	}
	return "?"
}
