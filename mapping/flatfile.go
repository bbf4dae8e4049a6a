package mapping

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dockside-edi/dockside/edi/flat"
	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

// Field names of a flat file's rows.
const (
	fieldSKU      = "sku"
	fieldLocation = "location"
	fieldQuantity = "quantity"
	fieldBucket   = "bucket"
	fieldTime     = "time"
	fieldUnit     = "unit"
)

// FlatType returns the flat document type a profile gives a file name, by
// its documents' match patterns (csv, fixed, xlsx in profile order).
func (m *Mapper) FlatType(name string) (partners.DocType, bool) {
	for _, d := range m.p.Documents {
		if !d.Type.IsFlat() {
			continue
		}
		if _, ok := m.p.Document(d.Type, name); ok {
			return d.Type, true
		}
	}
	return "", false
}

// Default flat-file limits of the mapping, used where a FlatLimits field
// is zero.
const (
	DefaultMaxRows     = 100_000
	DefaultMaxProblems = 1_000
)

// FlatLimits bound what mapping one flat file may cost: the mapper holds
// every movement of a file until it is posted (about 400 bytes each, twice
// that while the slice grows), so the rows bound its memory; the readers' limits bound one row and, for
// workbooks, the shared strings. Zero fields take the defaults.
type FlatLimits struct {
	// MaxRows bounds the rows of one file, blank rows not counted (default
	// DefaultMaxRows). Reading stops at the first row over it.
	MaxRows int
	// MaxProblems bounds the problems reported for one file (default
	// DefaultMaxProblems). Reading stops at the first problem over it.
	MaxProblems int
	// Record bounds one record's bytes and columns (flat.Limits).
	Record flat.Limits
	// Workbook bounds an .xlsx file, its parts and its shared strings.
	Workbook flat.WorkbookLimits
}

// withDefaults returns l with zero counts set to the defaults.
func (l FlatLimits) withDefaults() FlatLimits {
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	if l.MaxProblems <= 0 {
		l.MaxProblems = DefaultMaxProblems
	}
	return l
}

// Flat maps a CSV, fixed-width or Excel file: one movement per row.
//
// The file is read as a stream and counted as it goes: reading stops at
// the first row over FlatLimits.MaxRows, the first problem over
// MaxProblems, or an error after which the reader cannot go on (a limit of
// the reader, a damaged workbook). Any of these rejects the whole file,
// whatever the profile's on_error says: nothing of a file read in part is
// posted.
func (m *Mapper) Flat(t partners.DocType, body io.Reader, src Source) (*Result, error) {
	mp, err := m.start(t, src)
	if err != nil {
		return nil, err
	}
	limits := m.flat.withDefaults()
	cfg, err := flatConfig(mp.doc, limits)
	if err != nil {
		return nil, fmt.Errorf("partner %s: %w", m.p.ID, err)
	}
	r, err := flat.NewReader(body, src.FileName, cfg)
	if err != nil {
		mp.problem(at(src.FileName), "", "", "%v", err)
		return mp.rejectAll()
	}
	defer r.Close()
	var rows movementChunks
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			mp.problem(at(src.FileName), "", "", "%v", err)
			if !flat.IsRowError(err) {
				return mp.rejectAll()
			}
		} else {
			if mp.res.Lines >= limits.MaxRows {
				mp.problem(at(fmt.Sprintf("%s:%d", src.FileName, row.Line)), "", "",
					"too many rows: more than %d (limit max_rows = %d); nothing of the file is posted", limits.MaxRows, limits.MaxRows)
				return mp.rejectAll()
			}
			mp.res.Lines++
			if mv, ok := mp.row(row); ok {
				rows.add(mv)
			}
		}
		if len(mp.res.Problems) > limits.MaxProblems {
			mp.res.Problems = mp.res.Problems[:limits.MaxProblems]
			mp.problem(at(src.FileName), "", "", "more than %d problems (limit max_problems = %d): reading stopped; nothing of the file is posted",
				limits.MaxProblems, limits.MaxProblems)
			return mp.rejectAll()
		}
	}
	mp.res.Movements = rows.collect(mp.res.free.movements.get(rows.n))
	return mp.finish()
}

// movementChunks gathers a file's movements in fixed chunks, so that a
// large file does not grow (and copy, and leave behind) one slice again
// and again: collect copies them once into a slice of the right size,
// dropping each chunk as it goes.
type movementChunks struct {
	chunks [][]ledger.Movement
	n      int
}

// movementChunk is the length of a chunk: 1 MB of movements.
const movementChunk = 2048

func (c *movementChunks) add(mv ledger.Movement) {
	last := len(c.chunks) - 1
	if last < 0 || len(c.chunks[last]) == movementChunk {
		c.chunks = append(c.chunks, make([]ledger.Movement, 0, movementChunk))
		last++
	}
	c.chunks[last] = append(c.chunks[last], mv)
	c.n++
}

// collect appends the movements to dst and returns it.
func (c *movementChunks) collect(dst []ledger.Movement) []ledger.Movement {
	for i, ch := range c.chunks {
		dst = append(dst, ch...)
		c.chunks[i] = nil
	}
	return dst
}

// rejectAll rejects the whole document, whatever its error policy: the
// file was not read to its end.
func (mp *mapping) rejectAll() (*Result, error) {
	mp.res.free.movements.put(mp.res.Movements)
	mp.res.Movements = nil
	return mp.res, &RejectedError{Problems: mp.res.Problems}
}

// row maps one row to its movement; false when it gives none.
func (mp *mapping) row(row *flat.Row) (ledger.Movement, bool) {
	// No field a movement takes (item, location, quantity, bucket, time,
	// unit) is longer than the ledger keeps a text: a longer one is a
	// problem, whose value is cut short (a 1 MB value in each of 1,000
	// problems would be 1 GB).
	for _, f := range row.Fields {
		if len(f.Value) > ledger.MaxTextLen {
			mp.problem(at(f.Place.String()), f.Name, clip(f.Value), "longer than %d bytes (%d)", ledger.MaxTextLen, len(f.Value))
			return ledger.Movement{}, false
		}
	}
	place := fmt.Sprintf("%s:%d", mp.src.FileName, row.Line)
	value := func(name string) (string, where) {
		f, ok := row.Field(name)
		if !ok {
			return "", at(place)
		}
		return f.Value, at(f.Place.String())
	}
	id, idPlace := value(fieldSKU)
	if id == "" {
		mp.problem(idPlace, fieldSKU, "", "empty item id")
		return ledger.Movement{}, false
	}
	sku, ok := mp.lookup(mp.doc.Mapping.Items.Lookup, id, idPlace, fieldSKU, "")
	if !ok {
		return ledger.Movement{}, false
	}
	code, locPlace := value(fieldLocation)
	if mp.doc.Mapping.Location.Source == partners.LocationFixed || code == "" && mp.doc.Mapping.Location.ID != "" {
		code = mp.doc.Mapping.Location.ID
	}
	loc, ok := mp.location(code, locPlace)
	if !ok {
		return ledger.Movement{}, false
	}
	b := mp.doc.Mapping.Bucket
	if b == "" {
		b = partners.BucketOnHand
	}
	if v, p := value(fieldBucket); v != "" {
		if b, ok = mp.bucketFor(v, p); !ok || b == partners.BucketIgnore || b == partners.BucketCompare {
			return ledger.Movement{}, false
		}
	}
	qv, qPlace := value(fieldQuantity)
	unit, unitPlace := value(fieldUnit)
	if _, ok := mp.factor(unit, sku, unitPlace); !ok {
		return ledger.Movement{}, false
	}
	n, ok := mp.quantity(documents.Decimal(strings.TrimPrefix(strings.TrimSpace(qv), "+")), unit, sku, qPlace)
	if !ok {
		return ledger.Movement{}, false
	}
	eff, ok := mp.rowTime(value(fieldTime))
	if !ok {
		return ledger.Movement{}, false
	}
	mv, ok := mp.movement(b, n, qPlace)
	if !ok {
		return ledger.Movement{}, false
	}
	mv.SourceKey = mp.sourceKey(strconv.Itoa(row.Line), string(b))
	// A SKU or location passed through as the file wrote it is part of
	// the row's string: a copy keeps the movement from holding the row.
	if sku == id {
		sku = strings.Clone(sku)
	}
	if loc == code {
		loc = strings.Clone(loc)
	}
	mv.SKU, mv.Location, mv.Effective = sku, loc, eff
	mv.Reference = mp.reference(string(mp.doc.Type), row.Line, "")
	return mv, true
}

// clip cuts a value for a problem to 64 bytes, at a character boundary.
func clip(v string) string {
	const n = 64
	if len(v) <= n {
		return v
	}
	i := n
	for i > 0 && !utf8.RuneStart(v[i]) {
		i--
	}
	return v[:i] + "…"
}

// rowTime reads a row's time column, or gives the time received.
func (mp *mapping) rowTime(v string, place where) (time.Time, bool) {
	if v == "" {
		return mp.src.Received, true
	}
	layout := mp.doc.Mapping.TimeFormat
	if layout == "" {
		layout = time.RFC3339
	}
	t, err := time.ParseInLocation(layout, strings.TrimSpace(v), mp.p.Location())
	if err != nil {
		mp.problem(place, fieldTime, v, "not a time in the layout %q", layout)
		return time.Time{}, false
	}
	return t, true
}

// flatConfig builds the reader configuration of a flat document.
func flatConfig(d *partners.Document, limits FlatLimits) (flat.Config, error) {
	cfg, err := flatFormat(d)
	cfg.CSV.Limits, cfg.Fixed.Limits, cfg.Excel.Limits = limits.Record, limits.Record, limits.Record
	cfg.Excel.WorkbookLimits = limits.Workbook
	return cfg, err
}

// flatFormat builds the reader configuration of a flat document, limits
// aside.
func flatFormat(d *partners.Document) (flat.Config, error) {
	mp := d.Mapping
	switch d.Type {
	case partners.DocCSV:
		c := flat.CSVConfig{Delimiter: ",", Header: true, TrimSpace: true}
		if mp.CSV != nil {
			c.Delimiter, c.Header = string(mp.CSV.Comma()), mp.CSV.Header
		}
		c.Columns = columns(mp.Columns)
		return flat.Config{Format: flat.FormatCSV, CSV: c}, nil
	case partners.DocXLSX:
		c := flat.ExcelConfig{HeaderRow: 1, TrimSpace: true}
		if mp.XLSX != nil {
			c.Sheet, c.HeaderRow = mp.XLSX.Sheet, mp.XLSX.HeaderRow
		}
		c.Columns = columns(mp.Columns)
		return flat.Config{Format: flat.FormatExcel, Excel: c}, nil
	case partners.DocFixed:
		if mp.Fixed == nil {
			return flat.Config{}, fmt.Errorf("fixed document without a layout")
		}
		c := flat.FixedConfig{SkipLines: mp.Fixed.SkipLines}
		f := mp.Fixed.Fields
		for _, s := range []struct {
			name string
			span *partners.Span
		}{{fieldSKU, f.SKU}, {fieldLocation, f.Location}, {fieldQuantity, f.Quantity}, {fieldBucket, f.Bucket}, {fieldTime, f.Time}, {fieldUnit, f.Unit}} {
			if s.span != nil {
				c.Fields = append(c.Fields, flat.FixedField{Name: s.name, Start: s.span.Start, Length: s.span.Length})
			}
		}
		return flat.Config{Format: flat.FormatFixed, Fixed: c}, nil
	}
	return flat.Config{}, fmt.Errorf("%s is not a flat file type", d.Type)
}

// columns turns a profile's columns into reader columns.
func columns(c *partners.Columns) []flat.Column {
	if c == nil {
		return nil
	}
	var out []flat.Column
	for _, col := range []struct {
		name string
		c    partners.Column
	}{{fieldSKU, c.SKU}, {fieldLocation, c.Location}, {fieldQuantity, c.Quantity},
		{fieldBucket, c.Bucket}, {fieldTime, c.Time}, {fieldUnit, c.Unit}} {
		if col.c == "" {
			continue
		}
		fc := flat.Column{Name: col.name, Header: string(col.c)}
		if n, ok := col.c.Number(); ok {
			fc.Header, fc.Number = "", n
		}
		out = append(out, fc)
	}
	return out
}
