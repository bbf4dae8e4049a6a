package flat

import (
	"errors"
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
	// ErrRecordTooLong reports a record longer than Limits.MaxRecordBytes.
	ErrRecordTooLong = errors.New("record too long")
	// ErrTooManyColumns reports a record wider than Limits.MaxColumns.
	ErrTooManyColumns = errors.New("too many columns")
	// ErrFileTooLarge reports a workbook larger than ExcelConfig.MaxFileBytes.
	ErrFileTooLarge = errors.New("file too large")
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
