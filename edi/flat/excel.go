package flat

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Default workbook limits, used where an ExcelConfig field is zero.
const (
	DefaultMaxFileBytes     = 256 << 20 // 256 MiB of .xlsx file
	DefaultMaxUnzipBytes    = 1 << 30   // 1 GiB unzipped, all parts together
	DefaultInMemoryXMLBytes = 16 << 20  // 16 MiB, excelize's default
	DefaultMaxInMemoryBytes = 64 << 20  // 64 MiB of unzipped parts in memory
)

// ExcelConfig configures an ExcelReader.
type ExcelConfig struct {
	// File names the input in places and errors. OpenExcelFile defaults it
	// to the file's base name.
	File string `yaml:"-"`
	// Sheet is the name of the sheet to read (matched exactly, else
	// case-insensitively); empty means the first sheet.
	Sheet string `yaml:"sheet,omitempty"`
	// HeaderRow is the 1-based row number of the header; 0 means none.
	// Rows above the header are skipped.
	HeaderRow int `yaml:"header_row,omitempty"`
	// TrimSpace drops white space around every value.
	TrimSpace bool `yaml:"trim_space,omitempty"`
	// Columns selects and names the fields. Empty means every column, named
	// by its header text (or its number without a header).
	Columns []Column `yaml:"columns,omitempty"`
	// ReuseRow makes Read return the same *Row each time, overwritten. The
	// values stay valid; the Row and its Fields slice do not.
	ReuseRow bool `yaml:"-"`
	// Limits bound a row's bytes (sum of its values) and columns.
	Limits Limits `yaml:"limits,omitempty"`
	// MaxFileBytes bounds the size of the .xlsx file.
	MaxFileBytes int64 `yaml:"max_file_bytes,omitempty"`
	// MaxUnzipBytes bounds the unzipped size of all parts of the workbook.
	MaxUnzipBytes int64 `yaml:"max_unzip_bytes,omitempty"`
	// InMemoryXMLBytes is the size above which a sheet or the shared
	// strings are unzipped to a temporary file and streamed from disk
	// instead of being held in memory.
	InMemoryXMLBytes int64 `yaml:"in_memory_xml_bytes,omitempty"`
	// MaxInMemoryBytes bounds the unzipped size of the parts held in
	// memory: every part but the sheets and shared strings larger than
	// InMemoryXMLBytes.
	MaxInMemoryBytes int64 `yaml:"max_in_memory_bytes,omitempty"`
	// TmpDir is where those temporary files go; empty means os.TempDir.
	TmpDir string `yaml:"-"`
}

// ExcelReader reads one sheet of a workbook, row by row, through
// excelize's streaming row iterator with raw cell values.
//
// Some damage to a sheet cannot be reported: excelize reads a cell whose
// shared-string index is out of range as empty, and a sheet whose XML is
// cut short as ending there.
type ExcelReader struct {
	file   string
	sheet  string
	wb     *excelize.File
	rows   *excelize.Rows
	rowNum int // row number of the last row read
	plan   *plan
	trim   bool
	reuse  bool
	limits Limits
	pos    []position
	row    *Row  // reused row, with ReuseRow
	err    error // sticky error: io.EOF, a fatal error or ErrClosed
}

var _ Reader = (*ExcelReader)(nil)

// NewExcelReader reads a workbook from r and returns a reader of the
// configured sheet, past its header. The .xlsx format needs random access,
// so r is first copied, up to MaxFileBytes, to a temporary file in TmpDir,
// removed once the workbook is open. The caller must Close the reader.
func NewExcelReader(r io.Reader, cfg ExcelConfig) (*ExcelReader, error) {
	limits, opts, err := checkExcelConfig(&cfg)
	if err != nil {
		return nil, err
	}
	path, err := spool(r, cfg)
	if err != nil {
		return nil, err
	}
	defer os.Remove(path)
	return openWorkbook(path, cfg, limits, opts)
}

// OpenExcelFile opens the workbook at path and returns a reader of the
// configured sheet, past its header. The caller must Close it.
func OpenExcelFile(path string, cfg ExcelConfig) (*ExcelReader, error) {
	if cfg.File == "" {
		cfg.File = filepath.Base(path)
	}
	limits, opts, err := checkExcelConfig(&cfg)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("opening workbook: %w", err)
	}
	if info.Size() > cfg.MaxFileBytes {
		return nil, &ParseError{File: cfg.File, Err: fmt.Errorf("%w: %d bytes, limit %d", ErrFileTooLarge, info.Size(), cfg.MaxFileBytes)}
	}
	return openWorkbook(path, cfg, limits, opts)
}

// checkExcelConfig validates cfg, fills its defaults and returns its limits
// and the excelize options.
func checkExcelConfig(cfg *ExcelConfig) (Limits, excelize.Options, error) {
	limits, err := cfg.Limits.withDefaults()
	if err != nil {
		return limits, excelize.Options{}, err
	}
	if cfg.HeaderRow < 0 || cfg.MaxFileBytes < 0 || cfg.MaxUnzipBytes < 0 || cfg.InMemoryXMLBytes < 0 || cfg.MaxInMemoryBytes < 0 {
		return limits, excelize.Options{}, fmt.Errorf("%w: negative header_row or size limit", ErrConfig)
	}
	if cfg.HeaderRow > excelize.TotalRows {
		return limits, excelize.Options{}, fmt.Errorf("%w: header_row %d is beyond the last row of a sheet", ErrConfig, cfg.HeaderRow)
	}
	if err := checkColumns(cfg.Columns, cfg.HeaderRow > 0); err != nil {
		return limits, excelize.Options{}, err
	}
	cfg.MaxFileBytes = cmp.Or(cfg.MaxFileBytes, int64(DefaultMaxFileBytes))
	cfg.MaxUnzipBytes = cmp.Or(cfg.MaxUnzipBytes, int64(DefaultMaxUnzipBytes))
	cfg.InMemoryXMLBytes = min(cmp.Or(cfg.InMemoryXMLBytes, int64(DefaultInMemoryXMLBytes)), cfg.MaxUnzipBytes)
	cfg.MaxInMemoryBytes = cmp.Or(cfg.MaxInMemoryBytes, int64(DefaultMaxInMemoryBytes))
	opts := excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    cfg.MaxUnzipBytes,
		UnzipXMLSizeLimit: cfg.InMemoryXMLBytes,
		TmpDir:            cfg.TmpDir,
	}
	return limits, opts, nil
}

// newExcelReader picks the sheet, starts its row iterator and reads the
// header. It closes wb on error.
func newExcelReader(wb *excelize.File, cfg ExcelConfig, limits Limits) (*ExcelReader, error) {
	er := &ExcelReader{file: cfg.File, wb: wb, trim: cfg.TrimSpace, reuse: cfg.ReuseRow, limits: limits}
	if err := er.start(cfg); err != nil {
		_ = er.Close()
		return nil, err
	}
	return er, nil
}

// start opens the sheet and reads up to and including the header.
func (r *ExcelReader) start(cfg ExcelConfig) error {
	var err error
	if r.sheet, err = pickSheet(r.wb.GetSheetList(), cfg.Sheet); err != nil {
		return &ParseError{File: r.file, Err: err}
	}
	if r.rows, err = r.wb.Rows(r.sheet); err != nil {
		return &ParseError{File: r.file, Sheet: r.sheet, Err: fmt.Errorf("%w: %w", ErrWorkbook, err)}
	}
	var header []string
	at := Place{File: r.file, Sheet: r.sheet, Line: cfg.HeaderRow}
	if cfg.HeaderRow > 0 {
		if header, err = r.readHeader(cfg.HeaderRow); err != nil {
			return err
		}
	}
	r.plan, err = newPlan(cfg.Columns, header, at, r.limits)
	return err
}

// pickSheet returns the sheet to read: the first one, or the one named.
func pickSheet(sheets []string, want string) (string, error) {
	if len(sheets) == 0 {
		return "", fmt.Errorf("%w: the workbook has no sheets", ErrSheetNotFound)
	}
	if want == "" {
		return sheets[0], nil
	}
	if slices.Contains(sheets, want) {
		return want, nil
	}
	for _, s := range sheets {
		if strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(want)) {
			return s, nil
		}
	}
	return "", fmt.Errorf("%w: no sheet %s; sheets found: %s", ErrSheetNotFound, quote(want), listHeaders(sheets))
}

// readHeader reads rows up to the header row and returns its cells.
func (r *ExcelReader) readHeader(headerRow int) ([]string, error) {
	for r.rowNum < headerRow {
		if !r.rows.Next() {
			if err := r.rows.Error(); err != nil {
				return nil, r.decodeError(err)
			}
			return nil, &ParseError{File: r.file, Sheet: r.sheet, Line: headerRow,
				Err: fmt.Errorf("%w: the sheet ends at row %d", ErrNoHeader, r.rowNum)}
		}
		r.rowNum++
	}
	cells, err := r.cells()
	if err != nil {
		return nil, err
	}
	if isBlank(cells) {
		return nil, &ParseError{File: r.file, Sheet: r.sheet, Line: headerRow,
			Err: fmt.Errorf("%w: the header row is empty", ErrNoHeader)}
	}
	return cells, nil
}

// Read returns the next non-empty row, or io.EOF after the last one.
func (r *ExcelReader) Read() (*Row, error) {
	if r.err != nil {
		return nil, r.err
	}
	for r.rows.Next() {
		r.rowNum++
		cells, err := r.cells()
		if err != nil {
			r.err = err
			return nil, err
		}
		if isBlank(cells) {
			continue
		}
		return r.fill(cells)
	}
	if err := r.rows.Error(); err != nil {
		r.err = r.decodeError(err)
		return nil, r.err
	}
	r.err = io.EOF
	return nil, io.EOF
}

// fill builds the Row of a row's cells. A workbook stores no empty cells,
// so a row is padded with "" up to the columns the plan reads.
func (r *ExcelReader) fill(cells []string) (*Row, error) {
	for len(cells) < r.plan.width() {
		cells = append(cells, "")
	}
	r.pos = r.pos[:0]
	for i := range cells {
		r.pos = append(r.pos, position{line: r.rowNum, col: i + 1})
	}
	row := r.nextRow(len(cells))
	if err := r.plan.fill(row, cells, r.pos, Place{File: r.file, Sheet: r.sheet}, r.trim); err != nil {
		return nil, err
	}
	return row, nil
}

// cells returns the current row's raw values, within the limits.
func (r *ExcelReader) cells() ([]string, error) {
	cells, err := r.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, r.decodeError(err)
	}
	if len(cells) > r.limits.MaxColumns {
		return nil, &ParseError{File: r.file, Sheet: r.sheet, Line: r.rowNum,
			Err: fmt.Errorf("%w: row has %d, limit %d", ErrTooManyColumns, len(cells), r.limits.MaxColumns)}
	}
	size := 0
	for _, c := range cells {
		size += len(c)
	}
	if size > r.limits.MaxRecordBytes {
		return nil, &ParseError{File: r.file, Sheet: r.sheet, Line: r.rowNum,
			Err: fmt.Errorf("%w: row holds %d bytes, limit %d", ErrRecordTooLong, size, r.limits.MaxRecordBytes)}
	}
	return cells, nil
}

// nextRow returns the Row to fill: the reused one or a new one.
func (r *ExcelReader) nextRow(width int) *Row {
	if !r.reuse {
		return &Row{Line: r.rowNum, Fields: make([]Field, 0, r.plan.size(width))}
	}
	if r.row == nil {
		r.row = &Row{}
	}
	r.row.Line = r.rowNum
	return r.row
}

// decodeError wraps an error of excelize while reading rows.
func (r *ExcelReader) decodeError(err error) error {
	return &ParseError{File: r.file, Sheet: r.sheet, Line: r.rowNum, Err: fmt.Errorf("%w: %w", ErrWorkbook, err)}
}

// Header returns the header row as found, trimmed, or nil without one.
func (r *ExcelReader) Header() []string { return slices.Clone(r.plan.header) }

// Sheet returns the name of the sheet being read.
func (r *ExcelReader) Sheet() string { return r.sheet }

// Close releases the workbook and its temporary files. Further Reads fail
// with ErrClosed.
func (r *ExcelReader) Close() error {
	if r.wb == nil {
		return nil
	}
	var errs []error
	if r.rows != nil {
		errs = append(errs, r.rows.Close())
	}
	errs = append(errs, r.wb.Close())
	r.wb, r.rows, r.err = nil, nil, ErrClosed
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("closing workbook %s: %w", r.file, err)
	}
	return nil
}
