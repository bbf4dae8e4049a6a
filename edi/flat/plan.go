package flat

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// plan says which column of a record feeds each field of a Row.
type plan struct {
	fields []plannedField // configured fields; nil when all columns are read
	header []string       // header as found, trimmed; nil without a header
	names  []string       // all-columns mode: field name of each column seen so far
	index  map[string]int // field name -> position in Row.Fields (shared by Rows)
	need   int            // columns a record needs for every field (header width in all-columns mode)
}

// plannedField is one configured field and its source column.
type plannedField struct {
	name     string
	col      int // 0-based column; -1 for an optional column missing from the header
	optional bool
}

// position is a 1-based line and column.
type position struct{ line, col int }

// newPlan matches configured columns against the header (nil without one).
// at is the header's place, for errors.
func newPlan(cols []Column, header []string, at Place, limits Limits) (*plan, error) {
	p := &plan{header: trimHeader(header)}
	if len(cols) == 0 {
		p.grow(len(p.header))
		p.need = len(p.header)
		return p, nil
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
		if c.Number > limits.MaxColumns {
			return nil, fmt.Errorf("%w: field %q: column %d is beyond the limit of %d columns",
				ErrConfig, c.Name, c.Number, limits.MaxColumns)
		}
		col := c.Number - 1
		if c.Number == 0 {
			var err error
			if col, err = p.find(c, at); err != nil {
				return nil, err
			}
		}
		p.fields = append(p.fields, plannedField{name: c.Name, col: col, optional: c.Optional})
		p.need = max(p.need, col+1)
	}
	p.index = nameIndex(names)
	return p, nil
}

// find returns the 0-based column whose header matches c.
func (p *plan) find(c Column, at Place) (int, error) {
	want := c.Header
	if want == "" {
		want = c.Name
	}
	want = normalizeHeader(want)
	found := -1
	for i, h := range p.header {
		if !strings.EqualFold(h, want) {
			continue
		}
		if found >= 0 {
			at.Column = 0
			return 0, placeError(at, c.Name, fmt.Errorf("%w: header %s is in columns %d and %d",
				ErrDuplicateColumn, quote(want), found+1, i+1))
		}
		found = i
	}
	if found < 0 && !c.Optional {
		return 0, placeError(at, c.Name, fmt.Errorf("%w: no header %s; headers found: %s",
			ErrMissingColumn, quote(want), listHeaders(p.header)))
	}
	return found, nil
}

// fill sets row.Fields from a record's values. pos holds each value's line
// and column; base carries the file and sheet.
func (p *plan) fill(row *Row, values []string, pos []position, base Place, trim bool) error {
	row.Fields = row.Fields[:0]
	if p.fields == nil {
		p.grow(len(values))
		row.index = p.index
		for i, v := range values {
			row.Fields = append(row.Fields, field(p.names[i], v, pos[i], base, trim))
		}
		return nil
	}
	row.index = p.index
	for _, f := range p.fields {
		if f.col < 0 {
			continue
		}
		if f.col >= len(values) {
			if f.optional {
				continue
			}
			at := base
			at.Line = row.Line
			return placeError(at, f.name, fmt.Errorf("%w: record has %s, field needs column %d",
				ErrFieldCount, countFields(len(values)), f.col+1))
		}
		row.Fields = append(row.Fields, field(f.name, values[f.col], pos[f.col], base, trim))
	}
	return nil
}

// field builds one Field.
func field(name, value string, pos position, base Place, trim bool) Field {
	if trim {
		value = strings.TrimSpace(value)
	}
	base.Line, base.Column = pos.line, pos.col
	return Field{Name: name, Value: value, Place: base}
}

// grow makes sure all-columns mode has names for n columns. It replaces
// rather than changes the index map, which earlier Rows still share.
func (p *plan) grow(n int) {
	if n <= len(p.names) && p.index != nil {
		return
	}
	names := make([]string, max(n, len(p.names)))
	copy(names, p.names)
	for i := len(p.names); i < len(names); i++ {
		if i < len(p.header) && p.header[i] != "" {
			names[i] = p.header[i]
		} else {
			names[i] = strconv.Itoa(i + 1)
		}
	}
	p.names = names
	p.index = nameIndex(names)
}

// placeError builds a *ParseError at a place.
func placeError(at Place, field string, err error) *ParseError {
	return &ParseError{File: at.File, Sheet: at.Sheet, Line: at.Line, Column: at.Column, Field: field, Err: err}
}

// trimHeader returns the header cells normalized for matching and naming.
func trimHeader(header []string) []string {
	if header == nil {
		return nil
	}
	out := make([]string, len(header))
	for i, h := range header {
		out[i] = normalizeHeader(h)
	}
	return out
}

// normalizeHeader drops a byte-order mark and surrounding spaces.
func normalizeHeader(h string) string {
	return strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
}

// listHeaders formats headers for an error message, bounded in length.
func listHeaders(header []string) string {
	const maxShown, maxRunes = 40, 40
	if len(header) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, h := range header {
		if i == maxShown {
			fmt.Fprintf(&b, " and %d more", len(header)-maxShown)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if utf8.RuneCountInString(h) > maxRunes {
			h = string([]rune(h)[:maxRunes]) + "…"
		}
		b.WriteString(quote(h))
	}
	return b.String()
}

// isBlank reports whether every value is empty or white space.
func isBlank(values []string) bool {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// size returns the number of fields a Row gets from a record of width
// values, for preallocation.
func (p *plan) size(width int) int {
	if p.fields == nil {
		return width
	}
	return len(p.fields)
}

// nameOf returns the field name of a 0-based column, or "" when no field
// reads it.
func (p *plan) nameOf(col int) string {
	if p.fields == nil {
		p.grow(col + 1)
		return p.names[col]
	}
	for _, f := range p.fields {
		if f.col == col {
			return f.name
		}
	}
	return ""
}

// countFields formats a number of fields: "1 field", "3 fields".
func countFields(n int) string {
	if n == 1 {
		return "1 field"
	}
	return strconv.Itoa(n) + " fields"
}

// width returns the number of columns a record needs for every configured
// field (the header's width when all columns are read).
func (p *plan) width() int { return p.need }
