package partners

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// Table is a cross-reference table: rows of named columns, looked up by
// one of its key columns to give its value column. It comes from exactly
// one of a CSV file (with a header line), inline rows, or an inline map.
type Table struct {
	// File is a CSV file whose first line names the columns, resolved
	// against the profile's folder.
	File string `yaml:"file"`
	// Delimiter is the CSV file's delimiter (default ",").
	Delimiter string `yaml:"delimiter"`
	// Rows are inline rows, each a mapping of column name to value.
	Rows []map[string]string `yaml:"rows" json:"-"`
	// Map is an inline table of two columns, key and value: the shortest
	// way to write a code list (DAL01: dallas).
	Map map[string]string `yaml:"map" json:"-"`
	// Keys are the columns a lookup searches, in order; each is an index
	// of its own. Required for file and rows tables.
	Keys []string `yaml:"keys"`
	// Value is the column a lookup returns. Required for file and rows
	// tables.
	Value string `yaml:"value"`
	// OnMiss says what happens when a lookup finds nothing (default
	// error).
	OnMiss OnMiss `yaml:"on_miss"`

	// Name is the table's name in the profile.
	Name string `yaml:"-"`
	// Columns and Data are the loaded table, whatever its source. Rows
	// with an empty key or an empty value are not indexed.
	Columns []string   `yaml:"-"`
	Data    [][]string `yaml:"-"`

	index    []map[string]int // per key column: key -> row in Data
	valueCol int
}

func (t *Table) setDefaults() {
	if t.OnMiss == "" {
		t.OnMiss = MissError
	}
}

// Find looks id up in each key column in order and returns the value of
// the first row found.
func (t *Table) Find(id string) (string, bool) {
	for _, idx := range t.index {
		if row, ok := idx[id]; ok {
			return t.Data[row][t.valueCol], true
		}
	}
	return "", false
}

// FindIn looks id up in the named key column only.
func (t *Table) FindIn(key, id string) (string, bool) {
	i := slices.Index(t.Keys, key)
	if i < 0 || i >= len(t.index) {
		return "", false
	}
	row, ok := t.index[i][id]
	if !ok {
		return "", false
	}
	return t.Data[row][t.valueCol], true
}

// Len returns the number of rows.
func (t *Table) Len() int { return len(t.Data) }

// load fills Columns and Data from the table's source and indexes them,
// reporting problems through c. path is "tables.<name>".
func (t *Table) load(c *checker, path string) {
	sources := 0
	for _, set := range []bool{t.File != "", t.Rows != nil, t.Map != nil} {
		if set {
			sources++
		}
	}
	switch {
	case sources == 0:
		c.failf(path, ErrRequired, "needs one of file, rows or map")
		return
	case sources > 1:
		c.failf(path, ErrConflict, "file, rows and map exclude each other")
		return
	}
	if t.Delimiter != "" && t.File == "" {
		c.failf(keyPath(path, "delimiter"), ErrConflict, "delimiter applies to file tables only")
	}
	if t.Map != nil {
		t.loadMap(c, path)
	} else {
		if len(t.Keys) == 0 {
			c.failf(keyPath(path, "keys"), ErrRequired, "is required")
		}
		if t.Value == "" {
			c.failf(keyPath(path, "value"), ErrRequired, "is required")
		}
		if len(t.Keys) == 0 || t.Value == "" {
			return
		}
		if t.File != "" {
			t.loadFile(c, path)
		} else {
			t.loadRows(c, path)
		}
	}
}

func (t *Table) loadMap(c *checker, path string) {
	if len(t.Keys) > 0 || t.Value != "" {
		c.failf(path, ErrConflict, "a map table has no keys or value (they are key and value)")
	}
	t.Keys, t.Value = []string{"key"}, "value"
	t.Columns = []string{"key", "value"}
	codes := make([]string, 0, len(t.Map))
	for k := range t.Map {
		codes = append(codes, k)
	}
	slices.Sort(codes)
	for _, k := range codes {
		t.Data = append(t.Data, []string{k, t.Map[k]})
	}
	t.buildIndex(func(int, int, string, int) {})
}

func (t *Table) loadRows(c *checker, path string) {
	t.Columns = append(slices.Clone(t.Keys), t.Value)
	if t.columnsUsable(c, path) {
		for i, row := range t.Rows {
			rowPath := indexPath(keyPath(path, "rows"), i)
			for col := range row {
				if !slices.Contains(t.Columns, col) {
					c.failKey(keyPath(rowPath, col), ErrTable, "column %q is neither a key nor the value", col)
				}
			}
			if row[t.Value] == "" {
				c.failf(rowPath, ErrTable, "row has no value (column %q)", t.Value)
			}
			data := make([]string, len(t.Columns))
			for j, col := range t.Columns {
				data[j] = row[col]
			}
			t.Data = append(t.Data, data)
		}
	}
	t.buildIndex(func(row, key int, id string, first int) {
		c.failf(indexPath(keyPath(path, "rows"), row), ErrTable,
			"duplicate key %q in column %q (first in rows[%d])", id, t.Keys[key], first)
	})
}

// columnsUsable checks that keys and value name distinct columns.
func (t *Table) columnsUsable(c *checker, path string) bool {
	ok := true
	seen := map[string]bool{}
	for i, k := range t.Keys {
		if seen[k] || k == t.Value {
			c.failf(indexPath(keyPath(path, "keys"), i), ErrTable, "column %q is listed twice", k)
			ok = false
		}
		seen[k] = true
	}
	return ok
}

// maxTableFile bounds a table file (64 MiB).
const maxTableFile = 64 << 20

func (t *Table) loadFile(c *checker, path string) {
	filePath := keyPath(path, "file")
	resolved, data, ok := c.readFile(filePath, t.File, maxTableFile)
	t.File = resolved
	if !ok || !t.columnsUsable(c, path) {
		return
	}
	comma := ','
	if t.Delimiter != "" {
		if comma = delimiterRune(t.Delimiter); comma == 0 {
			c.failf(keyPath(path, "delimiter"), ErrInvalid, "delimiter %q must be one character other than quote, CR or LF", t.Delimiter)
			return
		}
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF"))))
	r.Comma = comma
	csvFail := func(line, col int, err error) {
		c.d.errs = append(c.d.errs, &ProfileError{File: resolved, Line: line, Column: col, Path: filePath, Err: err})
	}
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			csvFail(0, 0, details(ErrTable, "file is empty (want a header line naming the columns)"))
		} else {
			line, col := csvErrorPlace(err, 1)
			csvFail(line, col, details(ErrTable, "%v", csvErrorMessage(err)))
		}
		return
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	t.Columns = header
	var missing bool
	for _, col := range append(slices.Clone(t.Keys), t.Value) {
		if !slices.Contains(header, col) {
			csvFail(1, 1, details(ErrTable, "header has no column %q (it has %s)", col, strings.Join(header, ", ")))
			missing = true
		}
	}
	if missing {
		return
	}
	var lines []int
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, col := csvErrorPlace(err, 0)
			csvFail(line, col, details(ErrTable, "%v", csvErrorMessage(err)))
			return
		}
		line, _ := r.FieldPos(0)
		t.Data = append(t.Data, rec)
		lines = append(lines, line)
	}
	t.buildIndex(func(row, key int, id string, first int) {
		csvFail(lines[row], 1, details(ErrTable, "duplicate key %q in column %q (first on line %d)", id, t.Keys[key], lines[first]))
	})
}

// csvErrorPlace returns the line and column of a CSV error.
func csvErrorPlace(err error, line int) (int, int) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line, pe.Column
	}
	return line, 0
}

// csvErrorMessage returns a CSV error without its place, naming the
// line its record starts on when that is another one.
func csvErrorMessage(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.StartLine != pe.Line {
			return fmt.Errorf("%w (in the record starting on line %d)", pe.Err, pe.StartLine)
		}
		return pe.Err
	}
	return err
}

// buildIndex indexes Data by each key column; dup is called for a key
// found twice with different values.
func (t *Table) buildIndex(dup func(row, key int, id string, first int)) {
	t.valueCol = slices.Index(t.Columns, t.Value)
	t.index = make([]map[string]int, len(t.Keys))
	for k, key := range t.Keys {
		col := slices.Index(t.Columns, key)
		idx := make(map[string]int, len(t.Data))
		for row, rec := range t.Data {
			if col < 0 || t.valueCol < 0 {
				break
			}
			id, value := rec[col], rec[t.valueCol]
			if id == "" || value == "" {
				continue
			}
			if first, ok := idx[id]; ok {
				if t.Data[first][t.valueCol] != value {
					dup(row, k, id, first)
				}
				continue
			}
			idx[id] = row
		}
		t.index[k] = idx
	}
}

// delimiterRune reads a delimiter option: one character, or "tab" or
// `\t`. It returns 0 when the delimiter is unusable.
func delimiterRune(s string) rune {
	switch s {
	case "tab", `\t`:
		return '\t'
	}
	r, size := utf8.DecodeRuneInString(s)
	if size != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' || r == 0 {
		return 0
	}
	return r
}
