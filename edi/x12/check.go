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
	d := NewDecoder(src, opts)
	rep := &Report{}
	// The current interchange and group are always the last ones listed.
	last := func() *InterchangeReport { return &rep.Interchanges[len(rep.Interchanges)-1] }
	for {
		ev, err := d.Next()
		if errors.Is(err, io.EOF) {
			return rep, nil
		}
		var se *SyntaxError
		if errors.As(err, &se) {
			rep.Err = se
			if open := d.Open(); open != nil && len(rep.Interchanges) > 0 && last().Interchange == open {
				open.Errors = append(open.Errors, EnvelopeError{Code: syntaxNote(se), Pos: se.Pos, Msg: se.Error()})
			}
			return rep, nil
		}
		if err != nil {
			return rep, err
		}
		switch ev.Kind {
		case InterchangeStart:
			rep.Interchanges = append(rep.Interchanges, InterchangeReport{Interchange: ev.Interchange})
		case GroupStart:
			ic := last()
			ic.Groups = append(ic.Groups, GroupResult{Group: ev.Group})
		case SetRead:
			res := v.Validate(ev.Transaction)
			if ic := last(); len(ic.Groups) > 0 && ic.Groups[len(ic.Groups)-1].Group == ev.Group {
				g := &ic.Groups[len(ic.Groups)-1]
				g.Sets = append(g.Sets, res)
			}
			if each != nil {
				if err := each(ev.Transaction, &res); err != nil {
					return rep, err
				}
			}
		}
	}
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
