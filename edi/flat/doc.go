// Package flat reads the flat inventory files partners send: CSV,
// fixed-width text and Excel workbooks (.xlsx).
//
// Every reader is configured by a plain struct (CSVConfig, FixedConfig,
// ExcelConfig, or Config to choose among them), the shape a partner profile
// loaded from YAML fills in, and yields one Row per record. A Row holds named
// Fields; each Field carries its Place in the source (file, line and column,
// or sheet and cell for Excel) so that a later step can report exactly where
// a bad value came from.
//
// Columns are selected by header text (matched case-insensitively, with
// surrounding spaces ignored) or by 1-based column number. A named column
// missing from the header is reported when the reader is built, naming the
// column and the headers that were found. With no columns configured, every
// column is yielded, named by its header text (or by its number when there
// is no header).
//
// Blank records (empty lines, and records or rows whose values are all
// white space) are skipped in every format; line numbers still count them.
//
// The readers stream: a CSV or fixed-width reader holds one record at a
// time, and the Excel reader walks the sheet's XML with its own bounded
// tokenizer (see xmlscan.go), holding only the shared-string table and one
// row, never the sheet. Before any row is read, every part of the .xlsx is
// unzipped once to its end, so that a part whose CRC-32 or size does not
// verify fails the whole file. Values are returned as written in the
// file: Excel cells are read raw (no number formatting), so codes such as
// the UPC "012345678905" stored as text keep their leading zeros and large
// numbers keep every digit. A UPC stored as a number has already lost its
// leading zero inside the workbook (a number format only pads it on screen);
// padding GTINs back to their length is left to the caller.
//
// Limits (Limits, WorkbookLimits) bound the bytes of a record, the number
// of columns and, for workbooks, the file, its parts, the unzipped sizes,
// the shared strings and each cell, so that a hostile file can exhaust
// neither memory nor time. An input over a limit fails with a *ParseError
// wrapping a *LimitError that names the setting and its value (and the
// workbook part); errors.Is(err, ErrLimit) is true for all of them.
//
// Errors about the input are *ParseError values that carry the place and
// wrap one of the sentinel errors of this package (errors.Is works). After a
// row-level error (a short line, a missing field, bad quoting; see
// IsRowError) Read may be called again to go on with the next record; after
// a limit, I/O or workbook error the reader is done and returns the same
// error again.
//
// Readers are not safe for concurrent use, but the Rows they return are
// independent of the reader (unless ReuseRow is set) and may be handed to
// other goroutines.
package flat
