package web

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/dockside-edi/dockside/inbox"
)

// errorTarget is what one error of a message points at in its file, read
// from the places the pipeline writes:
//
//   - X12 mapping and validation: "a.edi: set 846 0001 (interchange
//     000001002, group 1002), segment 14 (LIN)[, line 16][, element 3]":
//     the set and the segment's position in it (ST = 1); a set alone
//     points at its ST.
//   - X12 envelope: "a.edi: line 1, ISA06" and partner identification
//     "a.edi: ISA06": a line and a segment id.
//   - CSV and fixed-width mapping: "a.csv:6:9" (line, byte column); CSV
//     reading errors name the file and say "a.csv:6:3: ..." in the
//     message.
//   - Workbooks: "a.xlsx:Stock!C12" or "a.xlsx:Stock row 12".
type errorTarget struct {
	Line   int    // a line of the file (X12 with line breaks, a flat row)
	Column int    // a byte column on Line (flat files), 0: the row
	Cell   int    // a workbook column (0-based), -1: none
	SetKey string // "846 0001|000001002|1002": a transaction set
	SetPos int    // the segment's position in SetKey's set, ST = 1
	SegID  string // an envelope segment (ISA, GS...) named without a set
}

var (
	reSetPlace  = regexp.MustCompile(`\bset (\S+) (\S+) \(interchange (\S+), group (\S+)\)(?:, segment (\d+) \((\w+)\))?`)
	reLinePlace = regexp.MustCompile(`\bline (\d+)(?:, column (\d+))?\b`)
	reSegPlace  = regexp.MustCompile(`(?:^|[ :,])(ISA|GS|ST|SE|GE|IEA)(\d\d)?\b`)
	reCellPlace = regexp.MustCompile(`!([A-Z]{1,3})(\d+)\b`)
	reRowPlace  = regexp.MustCompile(`\brow (\d+)\b`)
)

// errorTargets reads the target of each of m's errors (nil where an error
// names only the file).
func errorTargets(m *inbox.Message) []*errorTarget {
	out := make([]*errorTarget, len(m.Errors))
	for i, p := range m.Errors {
		out[i] = parseTarget(p, m.Name)
	}
	return out
}

// fileLine finds "name:LINE" or "name:LINE:COLUMN" in text (a flat file's
// place), 0s when there is none.
func fileLine(text, name string) (line, col int) {
	if name == "" {
		return 0, 0
	}
	for rest := text; ; {
		i := strings.Index(rest, name+":")
		if i < 0 {
			return 0, 0
		}
		rest = rest[i+len(name)+1:]
		if line = leadingNumber(rest); line > 0 {
			after := strings.TrimLeft(rest, "0123456789")
			if strings.HasPrefix(after, ":") {
				col = leadingNumber(after[1:])
			}
			return line, col
		}
	}
}

// leadingNumber is the number s starts with (0: none, or too long).
func leadingNumber(s string) int {
	end := 0
	for end < len(s) && end < 9 && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}

func parseTarget(p inbox.Problem, name string) *errorTarget {
	t := &errorTarget{Cell: -1}
	text := p.Place + " " + p.Msg
	if sm := reSetPlace.FindStringSubmatch(text); sm != nil {
		t.SetKey = sm[1] + " " + sm[2] + "|" + sm[3] + "|" + sm[4]
		t.SetPos = 1
		if sm[5] != "" {
			t.SetPos, _ = strconv.Atoi(sm[5])
		}
	}
	if sm := reLinePlace.FindStringSubmatch(text); sm != nil {
		t.Line, _ = strconv.Atoi(sm[1])
		t.Column, _ = strconv.Atoi(sm[2])
	} else {
		t.Line, t.Column = fileLine(text, name)
	}
	if sm := reCellPlace.FindStringSubmatch(text); sm != nil {
		t.Line, _ = strconv.Atoi(sm[2])
		t.Cell = columnIndex(sm[1])
	} else if sm := reRowPlace.FindStringSubmatch(text); sm != nil && t.Line == 0 {
		t.Line, _ = strconv.Atoi(sm[1])
	}
	if t.SetKey == "" {
		if sm := reSegPlace.FindStringSubmatch(p.Place); sm != nil {
			t.SegID = sm[1]
		}
	}
	if t.SetKey == "" && t.Line == 0 && t.SegID == "" {
		return nil
	}
	return t
}

// columnIndex is the 0-based index of Excel column letters ("C": 2).
func columnIndex(letters string) int {
	n := 0
	for _, r := range strings.ToUpper(letters) {
		n = n*26 + int(r-'A'+1)
	}
	return n - 1
}

// flagSegments marks the segments the targets point at, and gives each
// target the anchor of its first segment.
func flagSegments(v *parsedView, targets []*errorTarget, anchors []string) {
	multiLine := false
	for i := range v.Segments {
		if v.Segments[i].Line != v.Segments[0].Line {
			multiLine = true
			break
		}
	}
	for ti, t := range targets {
		if t == nil {
			continue
		}
		for i := range v.Segments {
			s := &v.Segments[i]
			var hit bool
			switch {
			case t.SetKey != "":
				hit = s.setKey == t.SetKey && s.SetIndex == t.SetPos
			case t.SegID != "" && (t.Line == 0 || !multiLine):
				hit = s.ID == t.SegID && (t.Line == 0 || s.Line == t.Line)
			case multiLine && t.Line > 0:
				hit = s.Line == t.Line && (t.SegID == "" || s.ID == t.SegID)
			}
			if hit {
				s.Flagged = true
				if anchors[ti] == "" {
					anchors[ti] = "S" + strconv.Itoa(s.Index)
				}
				if t.SegID != "" && t.SetKey == "" {
					break // an envelope segment: the first one
				}
			}
		}
	}
}

// flagRows marks the rows (and cells) of a flat file the targets point at.
func flagRows(v *parsedView, targets []*errorTarget, anchors []string) {
	for ti, t := range targets {
		if t == nil || t.Line == 0 || t.SetKey != "" {
			continue
		}
		for i := range v.Rows {
			r := &v.Rows[i]
			if r.Line != t.Line {
				continue
			}
			r.Flagged = true
			switch {
			case t.Cell >= 0:
				r.FlaggedCell = t.Cell + 1
			case t.Column > 0:
				r.FlaggedCell = cellAtColumn(r, t.Column) + 1
			}
			if anchors[ti] == "" {
				anchors[ti] = "R" + strconv.Itoa(r.Line)
			}
		}
	}
}

// cellAtColumn is the index of the cell of r that starts at or before the
// byte column col, -1 when r has no columns recorded.
func cellAtColumn(r *rowView, col int) int {
	at := -1
	for i, c := range r.cols {
		if c <= col {
			at = i
		}
	}
	return at
}
