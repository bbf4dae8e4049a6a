package flat

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"
)

// openWorkbook checks the parts of the workbook at path against the limits,
// opens it with excelize and starts the reader.
func openWorkbook(path string, cfg ExcelConfig, limits Limits, opts excelize.Options) (*ExcelReader, error) {
	if err := checkParts(path, cfg); err != nil {
		return nil, err
	}
	wb, err := excelize.OpenFile(path, opts)
	if err != nil {
		if wb != nil {
			_ = wb.Close()
		}
		return nil, &ParseError{File: cfg.File, Err: fmt.Errorf("%w: %w", ErrWorkbook, err)}
	}
	return newExcelReader(wb, cfg, limits)
}

// checkParts reads the zip directory of the workbook and enforces
// MaxUnzipBytes on all parts together and MaxInMemoryBytes on the parts
// excelize holds in memory: all but the sheets and shared strings larger
// than InMemoryXMLBytes, which it unzips to temporary files. The sizes are
// those the zip declares; archive/zip fails a part that unzips to more.
func checkParts(path string, cfg ExcelConfig) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return &ParseError{File: cfg.File, Err: fmt.Errorf("%w: %w", ErrWorkbook, err)}
	}
	defer zr.Close()
	var total, inMemory uint64
	for _, f := range zr.File {
		size := f.UncompressedSize64
		total += size
		if !streamedPart(f.Name, size, cfg.InMemoryXMLBytes) {
			inMemory += size
		}
	}
	switch {
	case total > uint64(cfg.MaxUnzipBytes):
		return &ParseError{File: cfg.File, Err: fmt.Errorf("%w: unzips to %d bytes, limit %d", ErrFileTooLarge, total, cfg.MaxUnzipBytes)}
	case inMemory > uint64(cfg.MaxInMemoryBytes):
		return &ParseError{File: cfg.File, Err: fmt.Errorf("%w: %d bytes of parts to hold in memory, limit %d", ErrFileTooLarge, inMemory, cfg.MaxInMemoryBytes)}
	}
	return nil
}

// streamedPart reports whether excelize unzips a part to a temporary file
// rather than into memory (see excelize's ReadZipReader).
func streamedPart(name string, size uint64, inMemoryLimit int64) bool {
	name = strings.ToLower(strings.ReplaceAll(name, "\\", "/"))
	big := size > uint64(inMemoryLimit)
	return big && (name == "xl/sharedstrings.xml" || strings.HasPrefix(name, "xl/worksheets/sheet"))
}

// spool copies r, up to cfg.MaxFileBytes, to a new temporary file and
// returns its path. The caller removes it.
func spool(r io.Reader, cfg ExcelConfig) (string, error) {
	f, err := os.CreateTemp(cfg.TmpDir, "dockside-flat-*.xlsx")
	if err != nil {
		return "", fmt.Errorf("spooling workbook: %w", err)
	}
	_, err = io.Copy(f, &capReader{r: r, left: cfg.MaxFileBytes})
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		return f.Name(), nil
	}
	_ = os.Remove(f.Name())
	if errors.Is(err, errCapReached) {
		return "", &ParseError{File: cfg.File, Err: fmt.Errorf("%w: more than %d bytes", ErrFileTooLarge, cfg.MaxFileBytes)}
	}
	return "", fmt.Errorf("spooling workbook: %w", readError(cfg.File, err))
}

// capReader reads from r and fails with errCapReached once more than left
// bytes have been read.
type capReader struct {
	r    io.Reader
	left int64
}

// Read implements io.Reader.
func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, errCapReached
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, errCapReached
	}
	return n, err
}
