package x12

// SegmentError is a problem with one segment of a transaction set, as a
// 997 AK3 or a 999 IK3 reports it, with the errors of its elements.
type SegmentError struct {
	SegmentID string // AK301: the segment's id
	// Position is AK302: the segment's position in the set, ST = 1.
	Position int
	LoopID   string // AK303: the loop's identifier, if the segment starts or sits in a bounded loop
	// Code is AK304 (720), e.g. SegMandatoryMiss; for a 999, IK304 may
	// use an implementation code (I4, I6...) given in ImplCode.
	Code     string
	ImplCode string
	Elements []ElementError
	Pos      Position // where the segment is in the input
	Msg      string   // what is wrong, for a person
}

// ElementError is a problem with one element, as AK4 / IK4 reports it.
type ElementError struct {
	Position   int    // AK401-1: element position in the segment
	Component  int    // AK401-2: component position, 0 when not composite
	Repetition int    // AK401-3: repetition, 0 when not repeated
	Reference  string // AK402: data element reference number, e.g. "355"
	Code       string // AK403 (723); ImplCode for 999-only codes
	ImplCode   string
	Value      string // AK404: a copy of the bad value (empty when missing)
	Msg        string // what is wrong, for a person
}

// SetResult is the verdict on one transaction set: envelope problems plus
// what the validator found.
type SetResult struct {
	SetID   string // AK201
	Control string // AK202
	ImplRef string // AK203 (999)
	// Codes are AK502..AK506 (718): set-level reasons.
	Codes []string
	// Segments are the segment and element errors (AK3/AK4, IK3/IK4).
	Segments []SegmentError
	// Envelope holds the set's envelope errors (SE count, control number,
	// missing trailer) with their places.
	Envelope []EnvelopeError
	// Status is A, E or R.
	Status string
}

// GroupResult is the verdict on one functional group and its sets.
type GroupResult struct {
	Group *Group
	Sets  []SetResult
}

// NewSetResult starts a result for t from its envelope errors; the
// validator then adds segment errors and Finish decides the status.
func NewSetResult(t *Transaction) SetResult {
	r := SetResult{SetID: t.SetID, Control: t.Control, ImplRef: t.ImplRef, Envelope: t.Errors}
	for _, e := range t.Errors {
		r.addCode(e.Code)
	}
	return r
}

func (r *SetResult) addCode(c string) {
	if c == "" {
		return
	}
	for _, x := range r.Codes {
		if x == c {
			return
		}
	}
	r.Codes = append(r.Codes, c)
}

// Finish sets the status: R when anything is wrong (Dockside rejects a set
// with errors rather than post part of it), A otherwise.
func (r *SetResult) Finish() {
	if len(r.Segments) > 0 {
		r.addCode(SetSegmentsInError)
	}
	if len(r.Codes) > 0 {
		r.Status = StatusRejected
		return
	}
	r.Status = StatusAccepted
}

// Accepted counts the sets accepted (A or E).
func (g *GroupResult) Accepted() int {
	n := 0
	for _, s := range g.Sets {
		if s.Status == StatusAccepted || s.Status == StatusAcceptedErrors {
			n++
		}
	}
	return n
}

// Status is AK901: R when the group envelope is bad or no set is accepted,
// P when some are, E when all are but some with errors, A otherwise.
func (g *GroupResult) Status() string {
	if len(g.Group.Errors) > 0 {
		return StatusRejected
	}
	acc := g.Accepted()
	switch {
	case len(g.Sets) > 0 && acc == 0:
		return StatusRejected
	case acc < len(g.Sets):
		return StatusPartial
	}
	for _, s := range g.Sets {
		if s.Status == StatusAcceptedErrors {
			return StatusAcceptedErrors
		}
	}
	return StatusAccepted
}

// GroupCodes are AK905..AK909: the group's error codes, at most five.
func (g *GroupResult) GroupCodes() []string {
	var codes []string
	for _, e := range g.Group.Errors {
		if e.Code == "" || contains(codes, e.Code) {
			continue
		}
		codes = append(codes, e.Code)
		if len(codes) == 5 {
			break
		}
	}
	return codes
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
