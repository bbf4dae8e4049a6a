package flat

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// FixedField places one field of a fixed-width line.
type FixedField struct {
	// Name is the field's name in the Row. Required.
	Name string `yaml:"name"`
	// Start is the 1-based column where the field begins.
	Start int `yaml:"start"`
	// Length is the field's width in columns.
	Length int `yaml:"length"`
	// Optional lets a line end before or inside the field: the value is
	// what the line holds there, possibly "", instead of an error.
	Optional bool `yaml:"optional,omitempty"`
}

// FixedConfig configures a FixedReader.
type FixedConfig struct {
	// File names the input in places and errors.
	File string `yaml:"-"`
	// Fields places the fields. At least one is required.
	Fields []FixedField `yaml:"fields"`
	// SkipLines is the number of leading lines (headers) to skip.
	SkipLines int `yaml:"skip_lines,omitempty"`
	// RecordType, if set, keeps only lines that hold this text at column
	// RecordTypeStart (for example "D" for detail lines); others are
	// skipped.
	RecordType string `yaml:"record_type,omitempty"`
	// RecordTypeStart is the 1-based column of RecordType; default 1.
	RecordTypeStart int `yaml:"record_type_start,omitempty"`
	// KeepPadding keeps the spaces around values; by default they are
	// trimmed.
	KeepPadding bool `yaml:"keep_padding,omitempty"`
	// Runes counts columns in characters (UTF-8) instead of bytes.
	Runes bool `yaml:"runes,omitempty"`
	// ReuseRow makes Read return the same *Row each time, overwritten, to
	// save allocations. The values stay valid; the Row and its Fields slice
	// do not.
	ReuseRow bool `yaml:"-"`
	// Limits bound a line's bytes; MaxColumns does not apply.
	Limits Limits `yaml:"limits,omitempty"`
}

// FixedReader reads a fixed-width file, line by line.
type FixedReader struct {
	cfg    FixedConfig
	lines  *lineReader
	max    int
	index  map[string]int
	spans  [][2]int // byte offsets of each field in the current line; -1 when absent
	starts []int    // byte offset of each rune in the current line, with Runes
	row    *Row     // reused row, with ReuseRow
	err    error    // sticky error: io.EOF, a fatal error or ErrClosed
}

var _ Reader = (*FixedReader)(nil)

// NewFixedReader returns a reader of r configured by cfg. It skips the
// leading lines.
func NewFixedReader(r io.Reader, cfg FixedConfig) (*FixedReader, error) {
	limits, err := checkFixedConfig(&cfg)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(cfg.Fields))
	for i, f := range cfg.Fields {
		names[i] = f.Name
	}
	fr := &FixedReader{
		cfg:   cfg,
		lines: newLineReader(r),
		max:   limits.MaxRecordBytes,
		index: nameIndex(names),
		spans: make([][2]int, len(cfg.Fields)),
	}
	if err := fr.lines.skip(cfg.SkipLines, fr.max); err != nil {
		return nil, fr.wrap(err)
	}
	return fr, nil
}

// checkFixedConfig validates cfg, fills its defaults and returns its limits.
func checkFixedConfig(cfg *FixedConfig) (Limits, error) {
	limits, err := cfg.Limits.withDefaults()
	if err != nil {
		return limits, err
	}
	if len(cfg.Fields) == 0 {
		return limits, fmt.Errorf("%w: no fields", ErrConfig)
	}
	if cfg.SkipLines < 0 || cfg.RecordTypeStart < 0 {
		return limits, fmt.Errorf("%w: negative skip_lines or record_type_start", ErrConfig)
	}
	if cfg.RecordTypeStart == 0 {
		cfg.RecordTypeStart = 1
	}
	seen := make(map[string]bool, len(cfg.Fields))
	for i, f := range cfg.Fields {
		switch {
		case f.Name == "":
			return limits, fmt.Errorf("%w: field %d has no name", ErrConfig, i+1)
		case seen[f.Name]:
			return limits, fmt.Errorf("%w: field %q configured twice", ErrConfig, f.Name)
		case f.Start < 1 || f.Length < 1:
			return limits, fmt.Errorf("%w: field %q: start and length must be at least 1", ErrConfig, f.Name)
		case f.Start-1+f.Length > limits.MaxRecordBytes:
			return limits, fmt.Errorf("%w: field %q ends beyond the limit of %d bytes a line", ErrConfig, f.Name, limits.MaxRecordBytes)
		}
		seen[f.Name] = true
	}
	return limits, nil
}

// Read returns the next record, or io.EOF after the last one.
func (r *FixedReader) Read() (*Row, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		line, err := r.lines.readLine(r.max)
		if err != nil {
			return nil, r.fail(err)
		}
		line = bytes.TrimRight(line[:len(line)-lengthNL(line)], "\r")
		if len(bytes.TrimSpace(line)) == 0 || !r.isRecord(line) {
			continue
		}
		return r.record(line)
	}
}

// isRecord applies the RecordType filter.
func (r *FixedReader) isRecord(line []byte) bool {
	want := r.cfg.RecordType
	if want == "" {
		return true
	}
	r.runeStarts(line)
	n := len(want)
	if r.cfg.Runes {
		n = utf8.RuneCountInString(want)
	}
	from, to, ok := r.span(line, r.cfg.RecordTypeStart, n)
	return ok && string(line[from:to]) == want
}

// record cuts a line into a Row.
func (r *FixedReader) record(line []byte) (*Row, error) {
	num := r.lines.num
	r.runeStarts(line)
	for i, f := range r.cfg.Fields {
		from, to, ok := r.span(line, f.Start, f.Length)
		if !ok && !f.Optional {
			return nil, &ParseError{File: r.cfg.File, Line: num, Column: f.Start, Field: f.Name,
				Err: fmt.Errorf("%w: line has %d columns, field needs columns %d-%d",
					ErrShortLine, r.width(line), f.Start, f.Start+f.Length-1)}
		}
		r.spans[i] = [2]int{from, to}
	}
	text := string(line)
	row := r.nextRow(num)
	for i, f := range r.cfg.Fields {
		v := text[r.spans[i][0]:r.spans[i][1]]
		if !r.cfg.KeepPadding {
			v = strings.TrimSpace(v)
		}
		row.Fields = append(row.Fields, Field{Name: f.Name, Value: v,
			Place: Place{File: r.cfg.File, Line: num, Column: f.Start}})
	}
	return row, nil
}

// nextRow returns an empty Row to fill: the reused one or a new one.
func (r *FixedReader) nextRow(line int) *Row {
	if !r.cfg.ReuseRow {
		return &Row{Line: line, Fields: make([]Field, 0, len(r.cfg.Fields)), index: r.index}
	}
	if r.row == nil {
		r.row = &Row{index: r.index}
	}
	r.row.Line, r.row.Fields = line, r.row.Fields[:0]
	return r.row
}

// runeStarts records where each character of line starts, with Runes and a
// line that is not plain ASCII; otherwise columns are bytes.
func (r *FixedReader) runeStarts(line []byte) {
	r.starts = r.starts[:0]
	if !r.cfg.Runes || isASCII(line) {
		return
	}
	for i := range string(line) {
		r.starts = append(r.starts, i)
	}
	r.starts = append(r.starts, len(line))
}

// span returns the byte offsets of length columns from 1-based start,
// clipped to the line, and whether the line holds them all.
func (r *FixedReader) span(line []byte, start, length int) (from, to int, ok bool) {
	from, to = start-1, start-1+length
	if len(r.starts) > 0 {
		n := len(r.starts) - 1
		ok = to <= n
		return r.starts[min(from, n)], r.starts[min(to, n)], ok
	}
	return min(from, len(line)), min(to, len(line)), to <= len(line)
}

// width returns the line's length in columns.
func (r *FixedReader) width(line []byte) int {
	if len(r.starts) > 0 {
		return len(r.starts) - 1
	}
	return len(line)
}

// Close makes further Reads fail with ErrClosed. It does not close the
// underlying reader.
func (r *FixedReader) Close() error {
	r.err = ErrClosed
	return nil
}

// fail records and returns an error of the line reader; all are final.
func (r *FixedReader) fail(err error) error {
	if errors.Is(err, errLineTooLong) {
		err = lineTooLong(r.lines.num, r.max)
	}
	r.err = r.wrap(err)
	return r.err
}

// wrap sets the file name of a *ParseError, or wraps an I/O error.
func (r *FixedReader) wrap(err error) error {
	var pe *ParseError
	switch {
	case err == io.EOF:
		return err
	case errors.As(err, &pe):
		pe.File = r.cfg.File
		return pe
	default:
		return readError(r.cfg.File, err)
	}
}

// isASCII reports whether b is plain ASCII.
func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
