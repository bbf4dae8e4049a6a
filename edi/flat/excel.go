package flat

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Default workbook limits, used where a WorkbookLimits field is zero.
const (
	DefaultMaxFileBytes         = 256 << 20 // 256 MiB of .xlsx file
	DefaultMaxUnzipBytes        = 1 << 30   // 1 GiB unzipped, all parts together
	DefaultMaxPartBytes         = 512 << 20 // 512 MiB unzipped, one part
	DefaultMaxParts             = 10_000    // parts in the zip
	DefaultMaxSharedStrings     = 1_000_000 // strings in the shared-string table
	DefaultMaxSharedStringBytes = 64 << 20  // 64 MiB of shared-string text
	DefaultMaxCellBytes         = 128 << 10 // 128 KiB in one cell or shared string
)

// Excel's own bounds: a sheet has at most this many rows and columns.
const (
	maxSheetRows    = 1 << 20 // 1,048,576
	maxSheetColumns = 1 << 14 // 16,384 (XFD)
)

// WorkbookLimits bound what reading a workbook may cost, so that a hostile
// .xlsx cannot exhaust memory or time: the reader holds at most the
// shared-string table (MaxSharedStringBytes of text plus 12 bytes a
// string) and one row (Limits) at a time, and streams every part. Zero
// fields take the defaults.
type WorkbookLimits struct {
	// MaxFileBytes bounds the size of the .xlsx file (default 256 MiB).
	MaxFileBytes int64 `yaml:"max_file_bytes,omitempty"`
	// MaxUnzipBytes bounds the unzipped size of all parts together
	// (default 1 GiB).
	MaxUnzipBytes int64 `yaml:"max_unzip_bytes,omitempty"`
	// MaxPartBytes bounds the unzipped size of one part, such as a sheet
	// or the shared strings (default 512 MiB).
	MaxPartBytes int64 `yaml:"max_part_bytes,omitempty"`
	// MaxParts bounds the number of parts (zip entries) (default 10,000).
	MaxParts int `yaml:"max_parts,omitempty"`
	// MaxSharedStrings bounds the number of strings in the shared-string
	// table (default 1,000,000).
	MaxSharedStrings int `yaml:"max_shared_strings,omitempty"`
	// MaxSharedStringBytes bounds the text of all shared strings together
	// (default 64 MiB).
	MaxSharedStringBytes int64 `yaml:"max_shared_string_bytes,omitempty"`
	// MaxCellBytes bounds one cell's value and one shared string (default
	// 128 KiB, and never more than Limits.MaxRecordBytes).
	MaxCellBytes int `yaml:"max_cell_bytes,omitempty"`
}

// withDefaults returns l with zero fields set to the defaults, or an error
// for negative ones.
func (l WorkbookLimits) withDefaults() (WorkbookLimits, error) {
	if l.MaxFileBytes < 0 || l.MaxUnzipBytes < 0 || l.MaxPartBytes < 0 || l.MaxParts < 0 ||
		l.MaxSharedStrings < 0 || l.MaxSharedStringBytes < 0 || l.MaxCellBytes < 0 {
		return l, fmt.Errorf("%w: negative workbook limit", ErrConfig)
	}
	l.MaxFileBytes = cmp.Or(l.MaxFileBytes, DefaultMaxFileBytes)
	l.MaxUnzipBytes = cmp.Or(l.MaxUnzipBytes, DefaultMaxUnzipBytes)
	l.MaxPartBytes = cmp.Or(l.MaxPartBytes, DefaultMaxPartBytes)
	l.MaxParts = cmp.Or(l.MaxParts, DefaultMaxParts)
	l.MaxSharedStrings = cmp.Or(l.MaxSharedStrings, DefaultMaxSharedStrings)
	l.MaxSharedStringBytes = min(cmp.Or(l.MaxSharedStringBytes, DefaultMaxSharedStringBytes), 1<<32-1)
	l.MaxCellBytes = cmp.Or(l.MaxCellBytes, DefaultMaxCellBytes)
	return l, nil
}

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
	// WorkbookLimits bound the file, its parts and the shared strings.
	WorkbookLimits `yaml:",inline"`
	// TmpDir is where NewExcelReader spools its input; empty means
	// os.TempDir.
	TmpDir string `yaml:"-"`
}

// ExcelReader reads one sheet of a workbook, row by row, with raw cell
// values. It streams the sheet's XML with its own bounded tokenizer: it
// holds the shared-string table and one row, never the sheet.
type ExcelReader struct {
	file   string
	sheet  string
	part   string // the sheet's zip part
	wb     *workbook
	rc     io.ReadCloser // the sheet part
	s      *xmlScanner
	inData bool // inside <sheetData>
	rowNum int  // row number of the last row read
	plan   *plan
	trim   bool
	reuse  bool
	limits Limits
	// cellLimit bounds a cell's value: MaxCellBytes, or MaxRecordBytes
	// when smaller; cellSetting names the one that applies.
	cellLimit   int
	cellSetting string
	pos         []position
	row         *Row  // reused row, with ReuseRow
	err         error // sticky error: io.EOF, a fatal error or ErrClosed

	// The row being read: its values' bytes and where each cell's value
	// sits in them.
	buf   []byte
	cells []cellSpan
	text  []byte // a cell's <v>, as read
	inl   []byte // a cell's inline string, as read
	vals  []string
}

// cellSpan is one non-empty cell of a row: 1-based column and its value's
// bytes in ExcelReader.buf.
type cellSpan struct{ col, start, end int }

var _ Reader = (*ExcelReader)(nil)

// NewExcelReader reads a workbook from r and returns a reader of the
// configured sheet, past its header. The .xlsx format needs random access,
// so r is first copied, up to MaxFileBytes, to a temporary file in TmpDir,
// removed once the workbook is open. The caller must Close the reader.
func NewExcelReader(r io.Reader, cfg ExcelConfig) (*ExcelReader, error) {
	limits, err := checkExcelConfig(&cfg)
	if err != nil {
		return nil, err
	}
	path, err := spool(r, &cfg)
	if err != nil {
		return nil, err
	}
	// The open file stays readable after the name is gone (on Unix; on
	// Windows the removal waits for Close).
	defer os.Remove(path)
	return openExcel(path, cfg, limits)
}

// OpenExcelFile opens the workbook at path and returns a reader of the
// configured sheet, past its header. The caller must Close it.
func OpenExcelFile(path string, cfg ExcelConfig) (*ExcelReader, error) {
	if cfg.File == "" {
		cfg.File = filepath.Base(path)
	}
	limits, err := checkExcelConfig(&cfg)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("opening workbook: %w", err)
	}
	if info.Size() > cfg.MaxFileBytes {
		return nil, &ParseError{File: cfg.File, Err: &LimitError{Setting: "max_file_bytes", Limit: cfg.MaxFileBytes, Kind: ErrFileTooLarge,
			Detail: fmt.Sprintf("the file has %d bytes", info.Size())}}
	}
	return openExcel(path, cfg, limits)
}

// checkExcelConfig validates cfg, fills its defaults and returns its row
// limits.
func checkExcelConfig(cfg *ExcelConfig) (Limits, error) {
	limits, err := cfg.Limits.withDefaults()
	if err != nil {
		return limits, err
	}
	if cfg.WorkbookLimits, err = cfg.WorkbookLimits.withDefaults(); err != nil {
		return limits, err
	}
	if cfg.HeaderRow < 0 {
		return limits, fmt.Errorf("%w: negative header_row", ErrConfig)
	}
	if cfg.HeaderRow > maxSheetRows {
		return limits, fmt.Errorf("%w: header_row %d is beyond the last row of a sheet", ErrConfig, cfg.HeaderRow)
	}
	return limits, checkColumns(cfg.Columns, cfg.HeaderRow > 0)
}

// openExcel opens the workbook, picks the sheet and reads the header.
func openExcel(path string, cfg ExcelConfig, limits Limits) (*ExcelReader, error) {
	cellLimit := min(cfg.MaxCellBytes, limits.MaxRecordBytes)
	wb, err := openWorkbook(path, &cfg)
	if err != nil {
		return nil, err
	}
	er := &ExcelReader{file: cfg.File, wb: wb, trim: cfg.TrimSpace, reuse: cfg.ReuseRow, limits: limits, cellLimit: cellLimit, cellSetting: "max_cell_bytes"}
	if cellLimit < cfg.MaxCellBytes {
		er.cellSetting = "max_record_bytes"
	}
	if err := er.start(cfg); err != nil {
		_ = er.Close()
		return nil, err
	}
	return er, nil
}

// start opens the sheet and reads up to and including the header.
func (r *ExcelReader) start(cfg ExcelConfig) error {
	names := make([]string, len(r.wb.sheets))
	for i, sh := range r.wb.sheets {
		names[i] = sh.name
	}
	var err error
	if r.sheet, err = pickSheet(names, cfg.Sheet); err != nil {
		return &ParseError{File: r.file, Err: err}
	}
	r.part = r.wb.sheets[slices.Index(names, r.sheet)].part
	f := r.wb.part(r.part)
	if f == nil {
		return &ParseError{File: r.file, Sheet: r.sheet, Err: &PartError{Part: r.part,
			Err: fmt.Errorf("%w: the workbook names this sheet part, which the zip lacks", ErrWorkbook)}}
	}
	if r.s, r.rc, err = r.wb.scan(f, r.cellLimit); err != nil {
		return err
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
	for {
		last := r.rowNum
		cells, err := r.nextRow()
		if err == io.EOF {
			return nil, &ParseError{File: r.file, Sheet: r.sheet, Line: headerRow,
				Err: fmt.Errorf("%w: the sheet ends at row %d", ErrNoHeader, last)}
		}
		if err != nil {
			return nil, err
		}
		if r.rowNum < headerRow {
			continue
		}
		if r.rowNum > headerRow || isBlank(cells) {
			return nil, &ParseError{File: r.file, Sheet: r.sheet, Line: headerRow,
				Err: fmt.Errorf("%w: the header row is empty", ErrNoHeader)}
		}
		return cells, nil
	}
}

// Read returns the next non-empty row, or io.EOF after the last one.
func (r *ExcelReader) Read() (*Row, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		cells, err := r.nextRow()
		if err != nil {
			r.err = err
			return nil, err
		}
		if isBlank(cells) {
			continue
		}
		return r.fill(cells)
	}
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
	row := r.nextRowValue(len(cells))
	if err := r.plan.fill(row, cells, r.pos, Place{File: r.file, Sheet: r.sheet}, r.trim); err != nil {
		return nil, err
	}
	return row, nil
}

// nextRowValue returns the Row to fill: the reused one or a new one.
func (r *ExcelReader) nextRowValue(width int) *Row {
	if !r.reuse {
		return &Row{Line: r.rowNum, Fields: make([]Field, 0, r.plan.size(width))}
	}
	if r.row == nil {
		r.row = &Row{}
	}
	r.row.Line = r.rowNum
	return r.row
}

// nextRow reads the next <row> of the sheet and returns its values by
// column (empty cells ""), or io.EOF after the last row. The values are
// valid until the next call.
func (r *ExcelReader) nextRow() ([]string, error) {
	for {
		k, err := r.s.Next()
		if err != nil {
			return nil, r.sheetError(err, 0)
		}
		switch k {
		case xmlEOF:
			return nil, io.EOF
		case xmlStart:
			switch {
			case r.s.is("sheetData"):
				r.inData = true
			case r.s.is("row") && r.inData:
				return r.readRow()
			}
		case xmlEnd:
			if r.s.is("sheetData") {
				r.inData = false
			}
		}
	}
}

// readRow reads a row's cells, its start tag just read.
func (r *ExcelReader) readRow() ([]string, error) {
	n := r.rowNum + 1
	if ref := r.s.attr("r"); ref != nil {
		v, err := strconv.Atoi(string(ref))
		if err != nil || v < 1 {
			return nil, r.errorAt(r.rowNum+1, 0, fmt.Errorf("%w: invalid row number %q", ErrWorkbook, truncateBytes(ref, 32)))
		}
		n = v
	}
	if n <= r.rowNum {
		return nil, r.errorAt(n, 0, fmt.Errorf("%w: row %d comes after row %d", ErrWorkbook, n, r.rowNum))
	}
	if n > maxSheetRows {
		return nil, r.errorAt(n, 0, fmt.Errorf("%w: row %d is beyond the last row of a sheet (%d)", ErrWorkbook, n, maxSheetRows))
	}
	r.rowNum = n
	r.buf, r.cells = r.buf[:0], r.cells[:0]
	col, elements := 0, 0
	for {
		k, err := r.s.Next()
		if err != nil {
			return nil, r.sheetError(err, col+1)
		}
		switch {
		case k == xmlEnd && r.s.is("row"):
			return r.values(), nil
		case k == xmlStart && r.s.is("c"):
			if elements++; elements > maxSheetColumns {
				return nil, r.errorAt(n, 0, fmt.Errorf("%w: the row has more than %d cells", ErrWorkbook, maxSheetColumns))
			}
			if col, err = r.readCell(col); err != nil {
				return nil, err
			}
		}
	}
}

// readCell reads one cell, its start tag just read; prev is the column of
// the cell before. It returns the cell's column.
func (r *ExcelReader) readCell(prev int) (int, error) {
	col := prev + 1
	if ref := r.s.attr("r"); ref != nil {
		c, ok := cellColumn(ref)
		if !ok {
			return 0, r.errorAt(r.rowNum, 0, fmt.Errorf("%w: invalid cell reference %q", ErrWorkbook, truncateBytes(ref, 32)))
		}
		col = c
	}
	typ := string(r.s.attr("t"))
	var (
		v, is       []byte
		haveV, inIS bool
		target      *[]byte
		skip        int
	)
	v, is = r.text[:0], nil
	for {
		k, err := r.s.Next()
		if err != nil {
			return 0, r.sheetError(err, col)
		}
		switch k {
		case xmlStart:
			switch {
			case skip > 0:
			case r.s.is("v") && !inIS:
				haveV, target = true, &v
			case r.s.is("is"):
				if r.inl == nil {
					r.inl = make([]byte, 0, 64)
				}
				inIS, is = true, r.inl[:0]
			case r.s.is("rPh") && inIS:
				skip = r.s.depth()
			case r.s.is("t") && inIS:
				target = &is
			}
		case xmlEnd:
			switch {
			case skip > 0:
				if r.s.depth() < skip {
					skip = 0
				}
			case r.s.is("c"):
				r.text = v
				if is != nil {
					r.inl = is
				}
				return col, r.addCell(col, typ, v, haveV, is)
			case r.s.is("v"), r.s.is("t"):
				target = nil
			case r.s.is("is"):
				inIS = false
			}
		case xmlText:
			if target != nil && skip == 0 {
				if len(*target)+len(r.s.text) > r.cellLimit {
					return 0, r.cellTooLong(col)
				}
				*target = append(*target, r.s.text...)
			}
		}
	}
}

// addCell adds a cell's value to the row, by its type: a shared string's
// text, an inline string, or the raw value of anything else (numbers,
// booleans, dates, errors, formula results).
func (r *ExcelReader) addCell(col int, typ string, v []byte, haveV bool, is []byte) error {
	start := len(r.buf)
	switch {
	case typ == "s" && haveV:
		i, err := strconv.Atoi(strings.TrimSpace(string(v)))
		if err != nil {
			return r.errorAt(r.rowNum, col, fmt.Errorf("%w: shared string index %q is not a number", ErrWorkbook, truncateBytes(v, 32)))
		}
		var s []byte
		ok := r.wb.sst != nil
		if ok {
			s, ok = r.wb.sst.get(i)
		}
		if !ok {
			size := 0
			if r.wb.sst != nil {
				size = len(r.wb.sst.refs)
			}
			return r.errorAt(r.rowNum, col, fmt.Errorf("%w: shared string %d does not exist (the table has %d)", ErrWorkbook, i, size))
		}
		r.buf = append(r.buf, s...)
	case typ == "inlineStr" && is != nil:
		r.buf = unescapeXString(r.buf, is)
	default:
		r.buf = append(r.buf, v...)
	}
	if len(r.buf) == start {
		return nil
	}
	if len(r.buf)-start > r.cellLimit {
		return r.cellTooLong(col)
	}
	if col > r.limits.MaxColumns {
		return &ParseError{File: r.file, Sheet: r.sheet, Line: r.rowNum, Column: col, Err: &LimitError{Setting: "max_columns",
			Limit: int64(r.limits.MaxColumns), Kind: ErrTooManyColumns, Detail: fmt.Sprintf("a value in column %d", col)}}
	}
	if len(r.buf) > r.limits.MaxRecordBytes {
		return &ParseError{File: r.file, Sheet: r.sheet, Line: r.rowNum, Column: col, Err: &LimitError{Setting: "max_record_bytes",
			Limit: int64(r.limits.MaxRecordBytes), Kind: ErrRecordTooLong, Detail: fmt.Sprintf("the row holds %d bytes up to this cell", len(r.buf))}}
	}
	r.cells = append(r.cells, cellSpan{col: col, start: start, end: len(r.buf)})
	return nil
}

// values returns the row's values by column, one string allocation for
// the row.
func (r *ExcelReader) values() []string {
	width := 0
	for _, c := range r.cells {
		width = max(width, c.col)
	}
	r.vals = slices.Grow(r.vals[:0], width)[:width]
	clear(r.vals)
	str := string(r.buf)
	for _, c := range r.cells {
		r.vals[c.col-1] = str[c.start:c.end]
	}
	return r.vals
}

// cellTooLong is the error of a cell over MaxCellBytes.
func (r *ExcelReader) cellTooLong(col int) error {
	return &ParseError{File: r.file, Sheet: r.sheet, Line: r.rowNum, Column: col, Err: &LimitError{Part: r.part, Setting: r.cellSetting,
		Limit: int64(r.cellLimit), Kind: ErrRecordTooLong, Detail: "a cell holds more bytes"}}
}

// errorAt returns a *ParseError at a row (and column, when not 0) of the
// sheet, naming the sheet's part.
func (r *ExcelReader) errorAt(row, col int, err error) error {
	return &ParseError{File: r.file, Sheet: r.sheet, Line: row, Column: col, Err: &PartError{Part: r.part, Err: err}}
}

// sheetError wraps an error of the scanner or the zip at the current row.
func (r *ExcelReader) sheetError(err error, col int) error {
	switch {
	case errors.Is(err, errTextTooLong):
		return r.cellTooLong(col)
	case errors.As(err, new(*ParseError)):
		var pe *ParseError
		errors.As(err, &pe)
		pe.Sheet, pe.Line = r.sheet, r.rowNum
		return pe
	}
	return r.errorAt(r.rowNum, 0, fmt.Errorf("%w: %w", ErrWorkbook, err))
}

// cellColumn returns the 1-based column of a cell reference like "AB12".
func cellColumn(ref []byte) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i] | 0x20 // lower case
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a') + 1
		if col > maxSheetColumns {
			return 0, false
		}
	}
	if i == 0 || i == len(ref) {
		return 0, false
	}
	row := 0
	for _, c := range ref[i:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		row = row*10 + int(c-'0')
		if row > maxSheetRows {
			return 0, false
		}
	}
	return col, row > 0
}

// appendRuneOrReplacement appends r, or U+FFFD when r is not a valid
// character.
func appendRuneOrReplacement(dst []byte, r rune) []byte {
	if !utf8.ValidRune(r) {
		r = utf8.RuneError
	}
	return utf8.AppendRune(dst, r)
}

// Header returns the header row as found, trimmed, or nil without one.
func (r *ExcelReader) Header() []string { return slices.Clone(r.plan.header) }

// Sheet returns the name of the sheet being read.
func (r *ExcelReader) Sheet() string { return r.sheet }

// Close releases the workbook. Further Reads fail with ErrClosed.
func (r *ExcelReader) Close() error {
	if r.wb == nil {
		return nil
	}
	var errs []error
	if r.rc != nil {
		errs = append(errs, r.rc.Close())
	}
	errs = append(errs, r.wb.Close())
	r.wb, r.rc, r.s, r.err = nil, nil, nil, ErrClosed
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("closing workbook %s: %w", r.file, err)
	}
	return nil
}
