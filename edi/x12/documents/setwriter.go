package documents

import (
	"fmt"
	"strings"

	"github.com/dockside-edi/dockside/edi/x12"
)

// setWriter writes the segments of one set with an x12.Writer: it merges
// each segment's Extra elements with its fields and translates the '>' and
// '^' of Extra and Other to the Writer's delimiters.
type setWriter struct {
	w     *x12.Writer
	setID string
	els   []string
	trans *strings.Replacer // nil when the Writer uses '>' and '^'
}

// beginSet writes the ST. ST03 is written for version 005010 and later:
// the version itself, e.g. 005010 or an implementation reference such as
// 005010X231.
func beginSet(w *x12.Writer, setID, control, version string) (*setWriter, error) {
	if w == nil {
		return nil, fmt.Errorf("%s: nil writer", setID)
	}
	if control == "" {
		return nil, fmt.Errorf("%s ST02: %w", setID, ErrMissingElement)
	}
	sw := &setWriter{w: w, setID: setID}
	d := w.Delimiters()
	if d.Component != '>' || d.Repetition != '^' {
		pairs := []string{">", string(d.Component)}
		if d.Repetition != 0 {
			pairs = append(pairs, "^", string(d.Repetition))
		}
		sw.trans = strings.NewReplacer(pairs...)
	}
	implRef := ""
	if len(version) >= 6 && version[:6] >= "005010" {
		implRef = version
	}
	if err := w.BeginTransaction(setID, control, implRef); err != nil {
		return nil, fmt.Errorf("%s ST: %w", setID, err)
	}
	return sw, nil
}

// end writes the SE.
func (e *setWriter) end() error {
	if err := e.w.EndTransaction(); err != nil {
		return fmt.Errorf("%s SE: %w", e.setID, err)
	}
	return nil
}

// canonical translates '>' and '^' to the Writer's delimiters.
func (e *setWriter) canonical(s string) string {
	if e.trans == nil {
		return s
	}
	return e.trans.Replace(s)
}

// seg writes a segment with fields els (element 1 first) and extra
// elements x. A field wins over an Extra element at the same position.
func (e *setWriter) seg(id string, x Extra, els ...string) error {
	if len(x) > 0 {
		merged := append(e.els[:0], els...)
		for k, v := range x {
			if k <= 0 || v == "" {
				continue
			}
			for len(merged) < k {
				merged = append(merged, "")
			}
			if merged[k-1] == "" {
				merged[k-1] = e.canonical(v)
			}
		}
		e.els = merged
		els = merged
	}
	if err := e.w.WriteSegment(id, els...); err != nil {
		return fmt.Errorf("%s: %w", e.setID, err)
	}
	return nil
}

// other writes a segment kept as data.
func (e *setWriter) other(g Segment) error {
	if g.ID == "" {
		return fmt.Errorf("%s: segment without an id: %w", e.setID, ErrMissingElement)
	}
	els := g.Elements
	if e.trans != nil {
		els = append(e.els[:0], els...)
		for i, v := range els {
			els[i] = e.trans.Replace(v)
		}
		e.els = els
	}
	if err := e.w.WriteSegment(g.ID, els...); err != nil {
		return fmt.Errorf("%s: %w", e.setID, err)
	}
	return nil
}

func (e *setWriter) others(gs []Segment) error {
	for _, g := range gs {
		if err := e.other(g); err != nil {
			return err
		}
	}
	return nil
}

// number checks that n is empty or a decimal number.
func (e *setWriter) number(where string, n Decimal) error {
	if n != "" && !n.Valid() {
		return fmt.Errorf("%s %s %q: %w", e.setID, where, string(n), ErrBadNumber)
	}
	return nil
}

func (e *setWriter) dtm(d DateTime) error {
	return e.seg("DTM", d.Extra, d.Qualifier, d.Date, d.Time, d.TimeCode, d.PeriodFormat, d.Period)
}

func (e *setWriter) dtms(ds []DateTime) error {
	for _, d := range ds {
		if err := e.dtm(d); err != nil {
			return err
		}
	}
	return nil
}

func (e *setWriter) refs(id string, rs []Reference) error {
	for _, r := range rs {
		var err error
		if id == "N9" {
			err = e.seg("N9", r.Extra, r.Qualifier, r.ID, r.Description, r.Date, r.Time)
		} else {
			err = e.seg("REF", r.Extra, r.Qualifier, r.ID, r.Description)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (e *setWriter) pids(ds []Description) error {
	for _, d := range ds {
		if err := e.seg("PID", d.Extra, d.Type, d.Characteristic, d.Agency, d.Code, d.Text); err != nil {
			return err
		}
	}
	return nil
}

func (e *setWriter) notes(ns []Note) error {
	for _, n := range ns {
		if err := e.seg("NTE", n.Extra, n.Code, n.Text); err != nil {
			return err
		}
	}
	return nil
}

func (e *setWriter) textLines(id string, ls []TextLine) error {
	for _, l := range ls {
		if err := e.seg(id, l.Extra, l.Text, l.Text2); err != nil {
			return err
		}
	}
	return nil
}

// party writes an N1 loop: N1, N2, N3, N4, REF, then its Other segments.
func (e *setWriter) party(p *Party) error {
	if err := e.seg("N1", p.Extra, p.Entity, p.Name, p.IDQualifier, p.ID); err != nil {
		return err
	}
	if err := e.textLines("N2", p.Names); err != nil {
		return err
	}
	if err := e.textLines("N3", p.Street); err != nil {
		return err
	}
	if pl := p.Place; pl != nil {
		if err := e.seg("N4", pl.Extra, pl.City, pl.State, pl.Postal, pl.Country, pl.LocationQualifier, pl.Location); err != nil {
			return err
		}
	}
	if err := e.refs("REF", p.Refs); err != nil {
		return err
	}
	return e.others(p.Other)
}

func (e *setWriter) parties(ps []Party) error {
	for i := range ps {
		if err := e.party(&ps[i]); err != nil {
			return err
		}
	}
	return nil
}

func (e *setWriter) totals(t *Totals) error {
	if t == nil {
		return nil
	}
	if err := e.number("CTT02", t.Hash); err != nil {
		return err
	}
	return e.seg("CTT", t.Extra, t.Count, string(t.Hash))
}

// productIDs appends the qualifier/id pairs to els.
func productIDs(els []string, ids []ProductID) []string {
	for _, p := range ids {
		els = append(els, p.Qualifier, p.ID)
	}
	return els
}
