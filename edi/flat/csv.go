package flat

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

// CSVConfig configures a CSVReader.
type CSVConfig struct {
	// File names the input in places and errors.
	File string `yaml:"-"`
	// Delimiter is the one-character field separator; default ",". Use
	// "\t" (double-quoted in YAML) for tab-separated files.
	Delimiter string `yaml:"delimiter,omitempty"`
	// Comment, if set, is a character that makes a line a comment when it
	// starts the line.
	Comment string `yaml:"comment,omitempty"`
	// LazyQuotes accepts quotes inside unquoted fields and lone quotes
	// inside quoted fields, as encoding/csv does.
	LazyQuotes bool `yaml:"lazy_quotes,omitempty"`
	// SkipLines is the number of leading lines to skip (titles, notes)
	// before the header or the first record. They are raw lines, not CSV
	// records: quotes in them are not parsed.
	SkipLines int `yaml:"skip_lines,omitempty"`
	// Header says that the first record (after SkipLines) holds the column
	// names.
	Header bool `yaml:"header,omitempty"`
	// TrimSpace drops white space around every value, and before a quoted
	// field.
	TrimSpace bool `yaml:"trim_space,omitempty"`
	// StrictFieldCount requires every record to have as many fields as the
	// header (or, without one, as the first record).
	StrictFieldCount bool `yaml:"strict_field_count,omitempty"`
	// Columns selects and names the fields. Empty means every column, named
	// by its header text (or its number without a header).
	Columns []Column `yaml:"columns,omitempty"`
	// ReuseRow makes Read return the same *Row each time, overwritten, to
	// save allocations. The values stay valid; the Row and its Fields slice
	// do not.
	ReuseRow bool `yaml:"-"`
	// Limits bound a record's bytes and columns.
	Limits Limits `yaml:"limits,omitempty"`
}

// CSVReader reads a CSV file, record by record.
type CSVReader struct {
	file   string
	parser csvParser
	plan   *plan
	trim   bool
	strict bool
	reuse  bool
	width  int      // field count StrictFieldCount asks for; 0 until known
	rec    []string // reused record, with ReuseRow
	row    *Row     // reused row, with ReuseRow
	err    error    // sticky error: io.EOF, a fatal error or ErrClosed
}

var _ Reader = (*CSVReader)(nil)

// NewCSVReader returns a reader of r configured by cfg. It skips the leading
// lines and reads the header, so a missing column is reported here.
func NewCSVReader(r io.Reader, cfg CSVConfig) (*CSVReader, error) {
	comma, comment, limits, err := checkCSVConfig(cfg)
	if err != nil {
		return nil, err
	}
	cr := &CSVReader{
		file: cfg.File,
		parser: csvParser{
			lines:      newLineReader(r),
			comma:      comma,
			comment:    comment,
			lazyQuotes: cfg.LazyQuotes,
			trimLead:   cfg.TrimSpace,
			maxRecord:  limits.MaxRecordBytes,
			maxColumns: limits.MaxColumns,
		},
		trim:   cfg.TrimSpace,
		strict: cfg.StrictFieldCount,
		reuse:  cfg.ReuseRow,
	}
	if err := cr.skipLines(cfg.SkipLines, limits.MaxRecordBytes); err != nil {
		return nil, err
	}
	var header []string
	headerAt := Place{File: cfg.File}
	if cfg.Header {
		if header, err = cr.readHeader(); err != nil {
			return nil, err
		}
		headerAt.Line = cr.parser.recLine
		cr.width = len(header)
	}
	if cr.plan, err = newPlan(cfg.Columns, header, headerAt, limits); err != nil {
		return nil, err
	}
	return cr, nil
}

// checkCSVConfig validates cfg and returns its delimiter, comment character
// and limits.
func checkCSVConfig(cfg CSVConfig) (comma, comment rune, limits Limits, err error) {
	comma = ','
	if cfg.Delimiter != "" {
		if comma, err = oneRune("delimiter", cfg.Delimiter); err != nil {
			return 0, 0, limits, err
		}
	}
	if cfg.Comment != "" {
		if comment, err = oneRune("comment", cfg.Comment); err != nil {
			return 0, 0, limits, err
		}
		if comment == comma {
			return 0, 0, limits, fmt.Errorf("%w: comment and delimiter are both %q", ErrConfig, comma)
		}
	}
	if cfg.SkipLines < 0 {
		return 0, 0, limits, fmt.Errorf("%w: negative skip_lines", ErrConfig)
	}
	if err = checkColumns(cfg.Columns, cfg.Header); err != nil {
		return 0, 0, limits, err
	}
	limits, err = cfg.Limits.withDefaults()
	return comma, comment, limits, err
}

// oneRune returns the single character of s, which must be usable as a CSV
// delimiter or comment character.
func oneRune(what, s string) (rune, error) {
	r, n := utf8.DecodeRuneInString(s)
	if n != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
		return 0, fmt.Errorf("%w: %s %q must be one character other than a quote or line break", ErrConfig, what, s)
	}
	return r, nil
}

// skipLines skips n leading lines.
func (r *CSVReader) skipLines(n, limit int) error {
	if err := r.parser.lines.skip(n, limit); err != nil {
		return r.wrap(err)
	}
	return nil
}

// readHeader reads the first non-blank record.
func (r *CSVReader) readHeader() ([]string, error) {
	for {
		rec, err := r.parser.readRecord(nil)
		if err == io.EOF {
			return nil, &ParseError{File: r.file, Err: fmt.Errorf("%w: the file has no records", ErrNoHeader)}
		}
		if err != nil {
			return nil, r.wrap(err)
		}
		if !isBlank(rec) {
			return rec, nil
		}
	}
}

// Read returns the next record, or io.EOF after the last one.
func (r *CSVReader) Read() (*Row, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		rec, err := r.parser.readRecord(r.rec)
		if err != nil {
			return nil, r.fail(err)
		}
		if r.reuse {
			r.rec = rec
		}
		if isBlank(rec) {
			continue
		}
		row := r.nextRow(len(rec))
		if err := r.checkWidth(len(rec)); err != nil {
			return nil, err
		}
		if err := r.plan.fill(row, rec, r.parser.positions, Place{File: r.file}, r.trim); err != nil {
			return nil, err
		}
		return row, nil
	}
}

// nextRow returns the Row to fill: the reused one or a new one.
func (r *CSVReader) nextRow(width int) *Row {
	if !r.reuse {
		return &Row{Line: r.parser.recLine, Fields: make([]Field, 0, r.plan.size(width))}
	}
	if r.row == nil {
		r.row = &Row{}
	}
	r.row.Line = r.parser.recLine
	return r.row
}

// checkWidth applies StrictFieldCount.
func (r *CSVReader) checkWidth(n int) error {
	if !r.strict {
		return nil
	}
	if r.width == 0 {
		r.width = n
		return nil
	}
	if n != r.width {
		return &ParseError{File: r.file, Line: r.parser.recLine,
			Err: fmt.Errorf("%w: record has %s, expected %d", ErrFieldCount, countFields(n), r.width)}
	}
	return nil
}

// Header returns the header as found, trimmed, or nil without one.
func (r *CSVReader) Header() []string { return slices.Clone(r.plan.header) }

// Close makes further Reads fail with ErrClosed. It does not close the
// underlying reader.
func (r *CSVReader) Close() error {
	r.err = ErrClosed
	return nil
}

// fail records err if the reader cannot go on after it, and returns it with
// the file name set.
func (r *CSVReader) fail(err error) error {
	err = r.wrap(err)
	if err == io.EOF || isFatal(err) {
		r.err = err
	}
	return err
}

// wrap sets the file name of a *ParseError, or wraps an I/O error.
func (r *CSVReader) wrap(err error) error {
	var pe *ParseError
	switch {
	case err == io.EOF:
		return err
	case errors.As(err, &pe):
		pe.File = r.file
		if (errors.Is(pe, ErrQuote) || errors.Is(pe, ErrBareQuote)) && r.plan != nil {
			pe.Field = r.plan.nameOf(r.parser.errCol)
		}
		return pe
	default:
		return readError(r.file, err)
	}
}
