package x12

import (
	"errors"
	"io"
)

// SetValidator checks the content of one transaction set against its
// specification. The specs package provides one; x12 only defines the
// shape so that envelopes and content are checked in one pass.
type SetValidator interface {
	Validate(t *Transaction) SetResult
}

// SetValidatorFunc adapts a function to SetValidator.
type SetValidatorFunc func(t *Transaction) SetResult

// Validate calls f(t).
func (f SetValidatorFunc) Validate(t *Transaction) SetResult { return f(t) }

var _ SetValidator = SetValidatorFunc(nil)

// EnvelopeOnly checks nothing beyond the envelope: every set is judged by
// its envelope errors alone.
var EnvelopeOnly SetValidator = SetValidatorFunc(func(t *Transaction) SetResult {
	r := NewSetResult(t)
	r.Finish()
	return r
})

// Report is the verdict on a whole input: every interchange with its groups
// and their sets.
type Report struct {
	Interchanges []InterchangeReport
	// Err is the syntax error that stopped reading, if any; the
	// interchange it interrupted is the last one listed, with an error.
	Err error
}

// InterchangeReport is the verdict on one interchange.
type InterchangeReport struct {
	Interchange *Interchange
	Groups      []GroupResult
}

// Accepted reports whether every interchange, group and set was accepted
// and no syntax error stopped the reading.
func (r *Report) Accepted() bool {
	if r.Err != nil || len(r.Interchanges) == 0 {
		return false
	}
	for _, ic := range r.Interchanges {
		if !ic.Interchange.Accepted() {
			return false
		}
		for i := range ic.Groups {
			if ic.Groups[i].Status() != StatusAccepted {
				return false
			}
		}
	}
	return true
}

// SetFunc is called for every transaction set after validation, while the
// set is still in memory (it is valid only during the call).
type SetFunc func(t *Transaction, res *SetResult) error

// Check decodes src, checks envelopes, validates every set with v and
// calls each (when not nil) for every set. It returns the report; an I/O
// error or an error from each is returned as the error, while a syntax
// error in the input is recorded in Report.Err.
func Check(src io.Reader, v SetValidator, opts *DecoderOptions, each SetFunc) (*Report, error) {
	c := newChecker(src, v, opts)
	for {
		t, res, err := c.next()
		if t == nil {
			return c.rep, err
		}
		if each != nil {
			if err := each(t, &res); err != nil {
				return c.rep, err
			}
		}
	}
}

// checker is the loop of Check: it decodes, builds the report and
// validates, one set at a time.
type checker struct {
	d   *Decoder
	v   SetValidator
	rep *Report
}

func newChecker(src io.Reader, v SetValidator, opts *DecoderOptions) *checker {
	return &checker{d: NewDecoder(src, opts), v: v, rep: &Report{}}
}

// last returns the current interchange: always the last one listed.
func (c *checker) last() *InterchangeReport { return &c.rep.Interchanges[len(c.rep.Interchanges)-1] }

// next reads up to the next transaction set, validates it and returns it
// with its result. At the end of the input, or on a syntax error (recorded
// in the report) it returns a nil set and a nil error; on an I/O error, a
// nil set and the error.
func (c *checker) next() (*Transaction, SetResult, error) {
	for {
		ev, err := c.d.Next()
		var open *Interchange
		if err != nil {
			open = c.d.Open()
		}
		if t, res, end, err := c.handle(ev, err, open); t != nil || end {
			return t, res, err
		}
	}
}

// handle adds one decoder step (an event, or the error that ended the
// stream, with the interchange it interrupted) to the report, and
// validates a set read. It returns the set and its result, or end true
// when the stream ended (with the error for an I/O error).
func (c *checker) handle(ev Event, err error, open *Interchange) (t *Transaction, res SetResult, end bool, _ error) {
	rep := c.rep
	if errors.Is(err, io.EOF) {
		return nil, res, true, nil
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		rep.Err = se
		if open != nil && len(rep.Interchanges) > 0 && c.last().Interchange == open {
			open.Errors = append(open.Errors, EnvelopeError{Code: syntaxNote(se), Pos: se.Pos, Msg: se.Error()})
			stopInGroup(c.last(), se)
		}
		return nil, res, true, nil
	}
	if err != nil {
		return nil, res, true, err
	}
	switch ev.Kind {
	case InterchangeStart:
		rep.Interchanges = append(rep.Interchanges, InterchangeReport{Interchange: ev.Interchange})
	case GroupStart:
		ic := c.last()
		ic.Groups = append(ic.Groups, GroupResult{Group: ev.Group})
	case SetRead:
		res = c.v.Validate(ev.Transaction)
		if ic := c.last(); len(ic.Groups) > 0 && ic.Groups[len(ic.Groups)-1].Group == ev.Group {
			g := &ic.Groups[len(ic.Groups)-1]
			g.Sets = append(g.Sets, res)
		}
		return ev.Transaction, res, false, nil
	}
	return nil, res, false, nil
}

// stopInGroup rejects the group a syntax error stopped reading in (no GE
// read): its acknowledgement must not accept a group whose sets were cut
// off ("AK9*A*0*0*0" for a truncated file).
func stopInGroup(ic *InterchangeReport, se *SyntaxError) {
	if len(ic.Groups) == 0 {
		return
	}
	g := ic.Groups[len(ic.Groups)-1].Group
	if g.Trailer != nil {
		return
	}
	for _, e := range g.Errors {
		if e.Code == GroupTrailerMissing {
			return
		}
	}
	g.Errors = append(g.Errors, EnvelopeError{Code: GroupTrailerMissing, Segment: "GE", Pos: se.Pos,
		Msg: "reading stopped inside the group, before its GE"})
}

// syntaxNote maps a syntax error to the TA1 note that fits it best.
func syntaxNote(se *SyntaxError) string {
	switch {
	case errors.Is(se.Err, ErrBadTerminator):
		return NoteBadTerminator
	case errors.Is(se.Err, ErrTruncated):
		return NoteEarlyEOF
	default:
		return NoteBadContent
	}
}
