package flat

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path"
	"strings"
)

// Markup bounds of the workbook's XML parts: no legitimate tag or nesting
// comes near them.
const (
	maxTagBytes = 64 << 10 // one start tag with its attributes
	maxXMLDepth = 64       // elements open at once
)

// workbook is an opened, verified .xlsx: its zip, the sheets in order and
// the shared strings.
type workbook struct {
	file   string // name in errors
	zr     *zip.ReadCloser
	parts  map[string]*zip.File
	sheets []sheetRef
	sst    *sharedStrings
	limits WorkbookLimits
	cell   int // bytes of one shared string
}

// sheetRef is a sheet's name and the zip part that holds it.
type sheetRef struct{ name, part string }

// openWorkbook opens the .xlsx at path: it checks the zip directory against
// the limits, reads every part to its end (so that archive/zip verifies
// each part's CRC-32 and size; a part that does not verify fails the whole
// file before any row is read), finds the sheets and loads the shared
// strings.
func openWorkbook(p string, cfg *ExcelConfig) (*workbook, error) {
	wb := &workbook{file: cfg.File, limits: cfg.WorkbookLimits, cell: cfg.MaxCellBytes}
	if err := wb.checkDirectory(p); err != nil {
		return nil, err
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, wb.errorf("", "%w: %w", ErrWorkbook, err)
	}
	wb.zr = zr
	if err := wb.verify(); err != nil {
		_ = zr.Close()
		return nil, err
	}
	if err := wb.findSheets(); err != nil {
		_ = zr.Close()
		return nil, err
	}
	return wb, nil
}

// Close closes the zip.
func (wb *workbook) Close() error { return wb.zr.Close() }

// errorf returns a *ParseError about the workbook, naming part when given.
func (wb *workbook) errorf(part, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if part != "" {
		err = &PartError{Part: part, Err: err}
	}
	return &ParseError{File: wb.file, Err: err}
}

// limitError returns a *ParseError for a workbook limit.
func (wb *workbook) limitError(part, setting string, limit int64, kind error, format string, args ...any) error {
	return &ParseError{File: wb.file, Err: &LimitError{Part: part, Setting: setting, Limit: limit, Kind: kind, Detail: fmt.Sprintf(format, args...)}}
}

// checkDirectory reads the end of central directory record and bounds the
// number of parts before archive/zip allocates one entry for each.
func (wb *workbook) checkDirectory(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("opening workbook: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("opening workbook: %w", err)
	}
	entries, dirSize, err := zipDirectory(f, info.Size())
	if err != nil {
		return wb.errorf("", "%w: %w", ErrWorkbook, err)
	}
	if entries > uint64(wb.limits.MaxParts) {
		return wb.limitError("", "max_parts", int64(wb.limits.MaxParts), ErrFileTooLarge, "the zip holds %d parts", entries)
	}
	// archive/zip holds every entry's name, extra field and comment: the
	// directory may take up to 1 KiB a part.
	if dirSize > uint64(wb.limits.MaxParts)*maxDirEntryBytes {
		return wb.limitError("", "max_parts", int64(wb.limits.MaxParts), ErrFileTooLarge,
			"the zip directory holds %d bytes, more than %d a part", dirSize, maxDirEntryBytes)
	}
	return nil
}

// maxDirEntryBytes is the zip directory's size per part (MaxParts) that a
// workbook may use.
const maxDirEntryBytes = 1024

// zipDirectory returns the number of entries and the size in bytes of
// the zip directory, finding the end record as archive/zip does (the last
// signature whose comment fits).
func zipDirectory(r io.ReaderAt, size int64) (entries, dirSize uint64, err error) {
	const endLen, sig = 22, "PK\x05\x06"
	for _, window := range []int64{1024, 65 * 1024} {
		window = min(window, size)
		buf := make([]byte, window)
		if _, err := r.ReadAt(buf, size-window); err != nil && err != io.EOF {
			return 0, 0, err
		}
		for i := len(buf) - endLen; i >= 0; i-- {
			if string(buf[i:i+4]) != sig {
				continue
			}
			comment := int(binary.LittleEndian.Uint16(buf[i+20:]))
			if i+endLen+comment > len(buf) {
				continue
			}
			n := uint64(binary.LittleEndian.Uint16(buf[i+10:]))
			d := uint64(binary.LittleEndian.Uint32(buf[i+12:]))
			if n != 0xFFFF && d != 0xFFFFFFFF {
				return n, d, nil
			}
			return zip64Directory(r, size-window+int64(i))
		}
	}
	return 0, 0, zip.ErrFormat
}

// zip64Directory reads the entry count and directory size of a zip64 end
// record, located by the locator just before the end record at endAt.
func zip64Directory(r io.ReaderAt, endAt int64) (entries, dirSize uint64, err error) {
	var loc [20]byte
	if endAt < int64(len(loc)) {
		return 0, 0, zip.ErrFormat
	}
	if _, err := r.ReadAt(loc[:], endAt-int64(len(loc))); err != nil || string(loc[:4]) != "PK\x06\x07" {
		return 0, 0, zip.ErrFormat
	}
	var rec [56]byte
	off := int64(binary.LittleEndian.Uint64(loc[8:]))
	if off < 0 || off > endAt {
		return 0, 0, zip.ErrFormat
	}
	if _, err := r.ReadAt(rec[:], off); err != nil || string(rec[:4]) != "PK\x06\x06" {
		return 0, 0, zip.ErrFormat
	}
	return binary.LittleEndian.Uint64(rec[32:]), binary.LittleEndian.Uint64(rec[40:]), nil
}

// verify reads every part to its end within the size limits. archive/zip
// checks the CRC-32 and the size of a part when it is read to its end.
func (wb *workbook) verify() error {
	wb.parts = make(map[string]*zip.File, len(wb.zr.File))
	var total, declared uint64
	for _, f := range wb.zr.File {
		name := partName(f.Name)
		if _, dup := wb.parts[name]; dup {
			return wb.errorf(f.Name, "%w: the zip holds this part twice", ErrWorkbook)
		}
		wb.parts[name] = f
		if f.UncompressedSize64 > uint64(wb.limits.MaxPartBytes) {
			return wb.limitError(f.Name, "max_part_bytes", wb.limits.MaxPartBytes, ErrFileTooLarge, "unzips to %d bytes", f.UncompressedSize64)
		}
		if declared += f.UncompressedSize64; declared > uint64(wb.limits.MaxUnzipBytes) {
			return wb.limitError("", "max_unzip_bytes", wb.limits.MaxUnzipBytes, ErrFileTooLarge, "unzips to %d bytes or more", declared)
		}
	}
	for _, f := range wb.zr.File {
		n, err := wb.drain(f)
		if err != nil {
			return err
		}
		if total += n; total > uint64(wb.limits.MaxUnzipBytes) {
			return wb.limitError("", "max_unzip_bytes", wb.limits.MaxUnzipBytes, ErrFileTooLarge, "unzips to %d bytes or more", total)
		}
	}
	return nil
}

// drain reads one part to its end and returns its size. archive/zip
// skips the CRC-32 check of a part whose directory entry says 0 (and has
// no data descriptor): such a part must be empty, or hash to 0.
func (wb *workbook) drain(f *zip.File) (uint64, error) {
	rc, err := wb.open(f)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	var sum hash.Hash32
	w := io.Discard
	if f.CRC32 == 0 {
		sum = crc32.NewIEEE()
		w = sum
	}
	n, err := io.Copy(w, rc)
	if err != nil {
		return 0, err
	}
	if sum != nil && sum.Sum32() != 0 {
		return 0, wb.errorf(f.Name, "%w: %w", ErrWorkbook, zip.ErrChecksum)
	}
	return uint64(n), nil
}

// open opens a part for reading, bounded by MaxPartBytes; errors of the
// zip (a bad checksum, a size that does not verify) name the part.
func (wb *workbook) open(f *zip.File) (io.ReadCloser, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, wb.errorf(f.Name, "%w: %w", ErrWorkbook, err)
	}
	return &partReader{rc: rc, wb: wb, part: f.Name, left: wb.limits.MaxPartBytes}, nil
}

// partReader reads a part, turning zip errors into workbook errors and
// stopping past MaxPartBytes (archive/zip already stops past the declared
// size, which verify bounded; this is a second fence).
type partReader struct {
	rc   io.ReadCloser
	wb   *workbook
	part string
	left int64
}

func (p *partReader) Read(b []byte) (int, error) {
	n, err := p.rc.Read(b)
	p.left -= int64(n)
	if p.left < 0 {
		return 0, p.wb.limitError(p.part, "max_part_bytes", p.wb.limits.MaxPartBytes, ErrFileTooLarge, "unzips to more")
	}
	if err != nil && err != io.EOF {
		var pe *ParseError
		if !errors.As(err, &pe) {
			err = p.wb.errorf(p.part, "%w: %w", ErrWorkbook, err)
		}
	}
	return n, err
}

func (p *partReader) Close() error { return p.rc.Close() }

// partName normalizes a zip entry name for lookups: forward slashes, no
// leading slash, lower case (part names are case-insensitive in OPC).
func partName(name string) string {
	return strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(name, "\\", "/"), "/"))
}

// part returns the zip entry of a part name, or nil.
func (wb *workbook) part(name string) *zip.File { return wb.parts[partName(name)] }

// scan opens a part and returns a scanner over it; the caller closes rc
// after reading it to its end.
func (wb *workbook) scan(f *zip.File, maxText int) (*xmlScanner, io.ReadCloser, error) {
	rc, err := wb.open(f)
	if err != nil {
		return nil, nil, err
	}
	return newXMLScanner(rc, maxText, maxTagBytes, maxXMLDepth), rc, nil
}

// xmlError turns a scanner error into a *ParseError naming the part.
func (wb *workbook) xmlError(part string, err error) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		return err
	}
	return wb.errorf(part, "%w: %w", ErrWorkbook, err)
}

// relationship is one entry of a .rels part.
type relationship struct{ id, typ, target string }

// readRels reads the relationships of a part (nil when it has none).
func (wb *workbook) readRels(source string) ([]relationship, error) {
	dir, base := path.Split(source)
	name := dir + "_rels/" + base + ".rels"
	f := wb.part(name)
	if f == nil {
		return nil, nil
	}
	var rels []relationship
	err := wb.walk(f, func(s *xmlScanner) error {
		if s.is("Relationship") {
			rels = append(rels, relationship{id: string(s.attr("Id")), typ: string(s.attr("Type")), target: string(s.attr("Target"))})
			if len(rels) > wb.limits.MaxParts {
				return fmt.Errorf("more than %d relationships", wb.limits.MaxParts)
			}
		}
		return nil
	})
	return rels, err
}

// walk calls start for every start tag of a small part (no text kept).
func (wb *workbook) walk(f *zip.File, start func(*xmlScanner) error) error {
	s, rc, err := wb.scan(f, maxTagBytes)
	if err != nil {
		return err
	}
	defer rc.Close()
	for {
		k, err := s.Next()
		if err != nil {
			return wb.xmlError(f.Name, err)
		}
		switch k {
		case xmlEOF:
			return nil
		case xmlStart:
			if err := start(s); err != nil {
				return wb.errorf(f.Name, "%w: %w", ErrWorkbook, err)
			}
		}
	}
}

// resolve returns the part a relationship target names, relative to the
// folder of source.
func resolve(source, target string) string {
	if strings.HasPrefix(target, "/") {
		return path.Clean(target)[1:]
	}
	return path.Clean(path.Join(path.Dir(source), target))
}

// Relationship types, by their last path element (the transitional and
// strict namespaces differ before it).
const (
	relOfficeDocument = "/officeDocument"
	relWorksheet      = "/worksheet"
	relSharedStrings  = "/sharedStrings"
)

// findSheets reads the workbook part and its relationships: the sheets in
// order, and the shared strings.
func (wb *workbook) findSheets() error {
	root, err := wb.readRels("")
	if err != nil {
		return err
	}
	main := "xl/workbook.xml"
	for _, r := range root {
		if strings.HasSuffix(r.typ, relOfficeDocument) {
			main = resolve("", r.target)
			break
		}
	}
	f := wb.part(main)
	if f == nil {
		return wb.errorf("", "%w: no workbook part %s", ErrWorkbook, main)
	}
	rels, err := wb.readRels(main)
	if err != nil {
		return err
	}
	targets := make(map[string]string, len(rels))
	sst := ""
	for _, r := range rels {
		switch {
		case strings.HasSuffix(r.typ, relWorksheet):
			targets[r.id] = resolve(main, r.target)
		case strings.HasSuffix(r.typ, relSharedStrings):
			sst = resolve(main, r.target)
		}
	}
	err = wb.walk(f, func(s *xmlScanner) error {
		if !s.is("sheet") || s.depth() != 3 {
			return nil
		}
		if target, ok := targets[string(s.attr("id"))]; ok {
			if len(wb.sheets) >= len(targets) {
				return fmt.Errorf("more sheets than the %d the workbook's relationships name", len(targets))
			}
			wb.sheets = append(wb.sheets, sheetRef{name: string(s.attr("name")), part: target})
		}
		// Chart sheets and dialog sheets have other relationship types and
		// no rows: they are left out, as excelize's sheet list does for
		// reading rows.
		return nil
	})
	if err != nil {
		return err
	}
	if sst != "" {
		sf := wb.part(sst)
		if sf == nil {
			return wb.errorf(sst, "%w: the workbook names this shared strings part, which the zip lacks", ErrWorkbook)
		}
		if wb.sst, err = wb.loadSharedStrings(sf); err != nil {
			return err
		}
	}
	return nil
}

// sharedStrings is the shared-string table: the strings packed in chunks,
// a reference per string. Its memory is bounded by MaxSharedStrings and
// MaxSharedStringBytes.
type sharedStrings struct {
	part   string
	chunks [][]byte
	refs   []stringRef
}

// stringRef locates one shared string.
type stringRef struct{ chunk, off, len uint32 }

// sstChunk is the size of a chunk of the shared-string table.
const sstChunk = 1 << 20

// get returns string i.
func (t *sharedStrings) get(i int) ([]byte, bool) {
	if i < 0 || i >= len(t.refs) {
		return nil, false
	}
	r := t.refs[i]
	return t.chunks[r.chunk][r.off : r.off+r.len], true
}

// add appends a string.
func (t *sharedStrings) add(s []byte) {
	last := len(t.chunks) - 1
	if last < 0 || len(t.chunks[last])+len(s) > cap(t.chunks[last]) {
		t.chunks = append(t.chunks, make([]byte, 0, max(sstChunk, len(s))))
		last++
	}
	c := t.chunks[last]
	t.refs = append(t.refs, stringRef{chunk: uint32(last), off: uint32(len(c)), len: uint32(len(s))})
	t.chunks[last] = append(c, s...)
}

// loadSharedStrings reads the shared-string part: the text of each <si>,
// its <t> and rich-text runs' <t> (phonetic runs left out), within the
// limits.
func (wb *workbook) loadSharedStrings(f *zip.File) (*sharedStrings, error) {
	t := &sharedStrings{part: f.Name}
	s, rc, err := wb.scan(f, wb.cell)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var (
		text    []byte
		inSI    bool
		inT     bool
		skip    int // depth of an <rPh> being skipped; 0: none
		total   int64
		decoded []byte
	)
	for {
		k, err := s.Next()
		if err != nil {
			if errors.Is(err, errTextTooLong) {
				return nil, wb.limitError(f.Name, "max_cell_bytes", int64(wb.cell), ErrRecordTooLong, "shared string %d is longer", len(t.refs))
			}
			return nil, wb.xmlError(f.Name, err)
		}
		switch k {
		case xmlEOF:
			return t, nil
		case xmlStart:
			switch {
			case skip > 0:
			case s.is("si"):
				if len(t.refs) >= wb.limits.MaxSharedStrings {
					return nil, wb.limitError(f.Name, "max_shared_strings", int64(wb.limits.MaxSharedStrings), ErrFileTooLarge, "more shared strings")
				}
				inSI, text = true, text[:0]
			case s.is("rPh"):
				skip = s.depth()
			case s.is("t") && inSI:
				inT = true
			}
		case xmlEnd:
			switch {
			case skip > 0:
				if s.depth() < skip {
					skip = 0
				}
			case s.is("t"):
				inT = false
			case s.is("si") && inSI:
				inSI = false
				decoded = unescapeXString(decoded[:0], text)
				if total += int64(len(decoded)); total > wb.limits.MaxSharedStringBytes {
					return nil, wb.limitError(f.Name, "max_shared_string_bytes", wb.limits.MaxSharedStringBytes, ErrFileTooLarge, "the shared strings hold more bytes")
				}
				t.add(decoded)
			}
		case xmlText:
			if inT && skip == 0 {
				if len(text)+len(s.text) > wb.cell {
					return nil, wb.limitError(f.Name, "max_cell_bytes", int64(wb.cell), ErrRecordTooLong, "shared string %d is longer", len(t.refs))
				}
				text = append(text, s.text...)
			}
		}
	}
}

// unescapeXString appends s to dst with the _xHHHH_ escapes of
// SpreadsheetML strings decoded (_x005F_ is a literal underscore), as
// Excel and excelize read them.
func unescapeXString(dst, s []byte) []byte {
	for {
		i := bytes.Index(s, []byte("_x"))
		if i < 0 || i+7 > len(s) {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		esc := s[i : i+7]
		r, ok := hex4(esc[2:6])
		if !ok || esc[6] != '_' {
			dst = append(dst, '_')
			s = s[i+1:]
			continue
		}
		if r == '_' {
			dst = append(dst, '_')
		} else {
			dst = appendRuneOrReplacement(dst, r)
		}
		s = s[i+7:]
	}
}

// hex4 decodes four hexadecimal digits.
func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// spool copies r, up to cfg.MaxFileBytes, to a new temporary file and
// returns its path. The caller removes it.
func spool(r io.Reader, cfg *ExcelConfig) (string, error) {
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
		return "", &ParseError{File: cfg.File, Err: &LimitError{Setting: "max_file_bytes", Limit: cfg.MaxFileBytes, Kind: ErrFileTooLarge, Detail: "the file has more bytes"}}
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
