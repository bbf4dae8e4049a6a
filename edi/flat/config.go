package flat

import (
	"fmt"
	"io"
)

// Default limits, used where a Limits field is zero.
const (
	DefaultMaxRecordBytes = 1 << 20 // 1 MiB per record
	DefaultMaxColumns     = 1024    // columns per record
)

// Limits bound what one record may cost, so that a hostile file cannot
// exhaust memory. Zero fields take the defaults.
type Limits struct {
	// MaxRecordBytes is the most bytes one record may span, line endings
	// included (Excel: the sum of a row's cell values).
	MaxRecordBytes int `yaml:"max_record_bytes,omitempty"`
	// MaxColumns is the most columns one record may have.
	MaxColumns int `yaml:"max_columns,omitempty"`
}

// withDefaults returns l with zero fields set to the defaults, or an error
// for negative ones.
func (l Limits) withDefaults() (Limits, error) {
	if l.MaxRecordBytes < 0 || l.MaxColumns < 0 {
		return l, fmt.Errorf("%w: negative limit", ErrConfig)
	}
	if l.MaxRecordBytes == 0 {
		l.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if l.MaxColumns == 0 {
		l.MaxColumns = DefaultMaxColumns
	}
	return l, nil
}

// Column selects one field of a CSV record or workbook row, by header text
// or by number.
type Column struct {
	// Name is the field's name in the Row. Required.
	Name string `yaml:"name"`
	// Header is the header text to find, matched case-insensitively with
	// surrounding spaces ignored. Empty means Name, unless Number is set.
	Header string `yaml:"header,omitempty"`
	// Number is the 1-based column number (Excel: A is 1). It needs no
	// header; set Number or Header, not both.
	Number int `yaml:"number,omitempty"`
	// Optional makes a missing header column, or a record too short for the
	// column, leave the field out of the Row instead of being an error.
	Optional bool `yaml:"optional,omitempty"`
}

// Format names a flat file format in a Config.
type Format string

// The formats NewReader knows.
const (
	FormatCSV   Format = "csv"
	FormatFixed Format = "fixed"
	FormatExcel Format = "xlsx"
)

// Config chooses a format and carries the settings for it, as a partner
// profile does. Only the section named by Format is used.
type Config struct {
	Format Format      `yaml:"format"`
	CSV    CSVConfig   `yaml:"csv,omitempty"`
	Fixed  FixedConfig `yaml:"fixed,omitempty"`
	Excel  ExcelConfig `yaml:"excel,omitempty"`
}

// NewReader builds the reader cfg.Format names over r. file names the input
// in places and errors. The caller must Close the returned Reader.
func NewReader(r io.Reader, file string, cfg Config) (Reader, error) {
	switch cfg.Format {
	case FormatCSV:
		c := cfg.CSV
		c.File = file
		return NewCSVReader(r, c)
	case FormatFixed:
		c := cfg.Fixed
		c.File = file
		return NewFixedReader(r, c)
	case FormatExcel:
		c := cfg.Excel
		c.File = file
		return NewExcelReader(r, c)
	default:
		return nil, fmt.Errorf("%w: unknown format %q (want %q, %q or %q)",
			ErrConfig, cfg.Format, FormatCSV, FormatFixed, FormatExcel)
	}
}

// checkColumns validates configured columns; haveHeader tells whether a
// header is available to match names against.
func checkColumns(cols []Column, haveHeader bool) error {
	seen := make(map[string]bool, len(cols))
	for i, c := range cols {
		switch {
		case c.Name == "":
			return fmt.Errorf("%w: column %d has no name", ErrConfig, i+1)
		case seen[c.Name]:
			return fmt.Errorf("%w: field %q configured twice", ErrConfig, c.Name)
		case c.Number < 0:
			return fmt.Errorf("%w: field %q: negative column number", ErrConfig, c.Name)
		case c.Number > 0 && c.Header != "":
			return fmt.Errorf("%w: field %q: set header or number, not both", ErrConfig, c.Name)
		case c.Number == 0 && !haveHeader:
			return fmt.Errorf("%w: field %q: no header to find it in; give its column number", ErrConfig, c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}
