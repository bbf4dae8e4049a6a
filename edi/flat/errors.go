package flat

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Errors about the input are *ParseError values wrapping one
// of these; configuration errors wrap ErrConfig.
var (
	// ErrConfig reports an invalid reader configuration.
	ErrConfig = errors.New("invalid configuration")
	// ErrNoHeader reports that the header line or row is missing or empty.
	ErrNoHeader = errors.New("no header")
	// ErrMissingColumn reports a configured column that the header lacks.
	ErrMissingColumn = errors.New("missing column")
	// ErrDuplicateColumn reports a configured column whose header text
	// appears more than once, so the column to read is ambiguous.
	ErrDuplicateColumn = errors.New("ambiguous column")
	// ErrFieldCount reports a record with too few fields for a configured
	// column, or (with StrictFieldCount) a field count unlike the header's.
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrShortLine reports a fixed-width line that ends before a field.
	ErrShortLine = errors.New("line too short")
	// ErrBareQuote reports a quote inside an unquoted CSV field.
	ErrBareQuote = errors.New("bare \" in non-quoted field")
	// ErrQuote reports a missing or extraneous quote in a quoted CSV field.
	ErrQuote = errors.New("extraneous or missing \" in quoted field")
	// ErrLimit reports an input over one of the limits (Limits,
	// WorkbookLimits). ErrRecordTooLong, ErrTooManyColumns and
	// ErrFileTooLarge are kinds of it: errors.Is(err, ErrLimit) is true
	// for them too.
	ErrLimit = errors.New("limit exceeded")
	// ErrRecordTooLong reports a record longer than Limits.MaxRecordBytes,
	// or a workbook cell or shared string longer than
	// WorkbookLimits.MaxCellBytes.
	ErrRecordTooLong error = limitKind("record too long")
	// ErrTooManyColumns reports a record wider than Limits.MaxColumns.
	ErrTooManyColumns error = limitKind("too many columns")
	// ErrFileTooLarge reports a workbook over one of its size limits
	// (WorkbookLimits): file, parts, unzipped bytes, shared strings, rows.
	ErrFileTooLarge error = limitKind("file too large")
	// ErrWorkbook reports a workbook that cannot be opened or decoded.
	ErrWorkbook = errors.New("unreadable workbook")
	// ErrSheetNotFound reports a configured sheet the workbook lacks.
	ErrSheetNotFound = errors.New("sheet not found")
	// ErrClosed reports a Read after Close.
	ErrClosed = errors.New("reader closed")
)

// Internal errors, turned into *ParseError values before they leave the
// package.
var (
	errLineTooLong = errors.New("line too long")    // lineReader.readLine: line over its limit
	errCapReached  = errors.New("read cap reached") // capReader: input over its cap
)

// limitKind is a sentinel that is also ErrLimit.
type limitKind string

// Error returns the sentinel's text.
func (k limitKind) Error() string { return string(k) }

// Is makes errors.Is(k, ErrLimit) true.
func (k limitKind) Is(target error) bool { return target == ErrLimit }

// LimitError reports an input over a limit: which setting, its value, and
// the part of a workbook it was found in. It wraps ErrLimit and its Kind.
type LimitError struct {
	Part    string // workbook part, like "xl/sharedStrings.xml"; empty for the whole file
	Setting string // the setting's name, like "max_shared_strings"
	Limit   int64  // the setting's value
	Kind    error  // ErrFileTooLarge, ErrRecordTooLong or ErrTooManyColumns
	Detail  string // what went over, like "more shared strings"
}

// Error formats the error like `xl/sharedStrings.xml: file too large:
// more shared strings (limit max_shared_strings = 1000000)`.
func (e *LimitError) Error() string {
	var b strings.Builder
	if e.Part != "" {
		b.WriteString(e.Part)
		b.WriteString(": ")
	}
	kind := ErrLimit
	if e.Kind != nil {
		kind = e.Kind
	}
	b.WriteString(kind.Error())
	b.WriteString(": ")
	b.WriteString(e.Detail)
	b.WriteString(" (limit ")
	b.WriteString(e.Setting)
	b.WriteString(" = ")
	b.WriteString(strconv.FormatInt(e.Limit, 10))
	b.WriteString(")")
	return b.String()
}

// Unwrap returns ErrLimit and the kind.
func (e *LimitError) Unwrap() []error {
	if e.Kind == nil {
		return []error{ErrLimit}
	}
	return []error{ErrLimit, e.Kind}
}

// PartError is an error found in one part of a workbook.
type PartError struct {
	Part string // zip part, like "xl/worksheets/sheet1.xml"
	Err  error
}

// Error formats the error like `xl/worksheets/sheet1.xml: unreadable
// workbook: zip: checksum error`.
func (e *PartError) Error() string { return e.Part + ": " + e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *PartError) Unwrap() error { return e.Err }

// ParseError is an error about the input, with the place it was found. It
// wraps one of the sentinel errors (errors.Is works), like encoding/csv's
// ParseError.
type ParseError struct {
	File   string // file name as given in the configuration; may be empty
	Sheet  string // sheet name, for workbooks only
	Line   int    // 1-based line (Excel: row number); 0 when not known
	Column int    // 1-based column (see Place); 0 when not known
	Field  string // configured field name, when the error is about one field
	Err    error  // the error, wrapping a sentinel
}

// Error formats the error like `inventory.csv:14:7: field "qty": line too
// short: ...`, or `stock.xlsx:Sheet1!C12: ...` for workbooks.
func (e *ParseError) Error() string {
	var b strings.Builder
	if loc := e.Place().String(); loc != "" {
		b.WriteString(loc)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString("field ")
		b.WriteString(quote(e.Field))
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the wrapped error.
func (e *ParseError) Unwrap() error { return e.Err }

// Place returns where the error was found.
func (e *ParseError) Place() Place {
	return Place{File: e.File, Sheet: e.Sheet, Line: e.Line, Column: e.Column}
}

// Cell returns the Excel cell reference of the error, like "C12", or "" when
// the error is not about one workbook cell.
func (e *ParseError) Cell() string { return e.Place().Cell() }

// IsRowError reports whether err is about one record only (a short line, a
// missing field, bad quoting), so that Read can be called again to go on
// with the next record. It is false for io.EOF, limit, I/O and workbook
// errors, after which the reader is done.
func IsRowError(err error) bool {
	return errors.Is(err, ErrFieldCount) || errors.Is(err, ErrShortLine) ||
		errors.Is(err, ErrBareQuote) || errors.Is(err, ErrQuote)
}

// isFatal reports whether a reader cannot go on after err.
func isFatal(err error) bool { return !IsRowError(err) }
