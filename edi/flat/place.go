package flat

import (
	"strconv"
	"strings"
)

// Place is where a value or an error sits in its source.
//
// For CSV, Column is the 1-based byte index of the field's first byte in its
// line, as in encoding/csv (a leading byte-order mark is not counted). For
// fixed-width files it is the configured start column. For workbooks, Line
// is the row number and Column the column number (A is 1).
type Place struct {
	File   string // file name as given in the configuration; may be empty
	Sheet  string // sheet name, for workbooks only
	Line   int    // 1-based line, or row number in a sheet; 0 when not known
	Column int    // 1-based column; 0 when not known
}

// Cell returns the Excel cell reference, like "C12", of a workbook place
// with a row and column, and "" otherwise.
func (p Place) Cell() string {
	if p.Sheet == "" || p.Line <= 0 || p.Column <= 0 {
		return ""
	}
	return columnName(p.Column) + strconv.Itoa(p.Line)
}

// String formats the place as "file:line:column" ("line L, column C" when
// there is no file name), or "file:Sheet!C12" for a workbook cell.
func (p Place) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
	}
	if p.Sheet != "" {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		b.WriteString(p.Sheet)
		switch {
		case p.Cell() != "":
			b.WriteByte('!')
			b.WriteString(p.Cell())
		case p.Line > 0:
			b.WriteString(" row ")
			b.WriteString(strconv.Itoa(p.Line))
		}
		return b.String()
	}
	if p.Line <= 0 {
		return b.String()
	}
	if p.File != "" {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(p.Line))
		if p.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Column))
		}
		return b.String()
	}
	b.WriteString("line ")
	b.WriteString(strconv.Itoa(p.Line))
	if p.Column > 0 {
		b.WriteString(", column ")
		b.WriteString(strconv.Itoa(p.Column))
	}
	return b.String()
}

// columnName returns the Excel letters of a 1-based column number: 1 is "A",
// 27 is "AA".
func columnName(n int) string {
	var buf [8]byte
	i := len(buf)
	for n > 0 && i > 0 {
		n--
		i--
		buf[i] = byte('A' + n%26)
		n /= 26
	}
	return string(buf[i:])
}

// quote returns s in double quotes, with Go escapes for unprintable bytes.
func quote(s string) string { return strconv.Quote(s) }
