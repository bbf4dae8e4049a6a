package flat

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// writeWorkbook writes the test workbook to dir and returns its path. The
// first sheet, "Notes", is prose; "Stock" has a title row, an empty row, the
// header on row 3 and data below, with the values inventory files carry:
// UPCs as text with leading zeros, a UPC stored as a number, numbers beyond
// float precision, number formats that raw reading must ignore.
func writeWorkbook(t testing.TB, dir string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "Notes"))
	must(f.SetCellStr("Notes", "A1", "Read the Stock sheet."))
	_, err := f.NewSheet("Stock")
	must(err)
	padded, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("000000000000")})
	must(err)
	twoDecimals, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	must(err)
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // m/d/yyyy
	must(err)
	set := func(cell string, v any) { t.Helper(); must(f.SetCellValue("Stock", cell, v)) }
	style := func(cell string, id int) { t.Helper(); must(f.SetCellStyle("Stock", cell, cell, id)) }

	set("A1", "ACME stock report")
	for i, h := range []string{"SKU", " UPC ", "Qty", "Big", "Price", "Expires", "Note"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 3)
		set(cell, h)
	}
	// Row 4: text UPC, plain numbers.
	set("A4", "A-100")
	must(f.SetCellStr("Stock", "B4", "012345678905"))
	set("C4", 12)
	set("D4", int64(123456789012345678))
	set("E4", 3.5)
	set("F4", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
	style("F4", date)
	set("G4", "ok")
	// Row 5 stays empty. Row 6: a UPC stored as a number, shown padded.
	set("A6", "A-200")
	set("B6", 12345678905)
	style("B6", padded)
	set("C6", 0)
	set("D6", 1234567890123)
	style("D6", twoDecimals)
	set("E6", 0.1)
	set("G6", "  padded  ")
	// Row 7: only a SKU and a note far right; the cells between are empty.
	set("A7", "A-300")
	set("G7", "sparse")
	// Row 8: white space only, skipped. Row 9: hidden, still read.
	set("B8", "   ")
	set("A9", "A-400")
	must(f.SetCellStr("Stock", "B9", "000000000017"))
	set("C9", -3)
	must(f.SetRowVisible("Stock", 9, false))

	path := filepath.Join(dir, "stock.xlsx")
	must(f.SaveAs(path))
	return path
}

func ptr[T any](v T) *T { return &v }

// workbookSizes returns the size of the file at path, the unzipped size of
// all its parts, and the name and size of its largest part.
func workbookSizes(t *testing.T, path string) (size, unzipped int64, largest string, largestSize int64) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		unzipped += int64(f.UncompressedSize64)
		if int64(f.UncompressedSize64) > largestSize {
			largest, largestSize = f.Name, int64(f.UncompressedSize64)
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size(), unzipped, largest, largestSize
}

func TestExcelGolden(t *testing.T) {
	path := writeWorkbook(t, t.TempDir())
	tests := []struct {
		name string
		cfg  ExcelConfig
	}{
		{"excel_all_columns", ExcelConfig{Sheet: "Stock", HeaderRow: 3}},
		{"excel_selected", ExcelConfig{Sheet: "stock", HeaderRow: 3, TrimSpace: true, Columns: []Column{
			{Name: "sku"}, {Name: "upc"}, {Name: "qty"}, {Name: "big"}, {Name: "note", Number: 7}, {Name: "lot", Optional: true},
		}}},
		{"excel_no_header", ExcelConfig{Sheet: "Stock", Columns: []Column{{Name: "a", Number: 1}, {Name: "b", Number: 2}}}},
		{"excel_first_sheet", ExcelConfig{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkGolden(t, tc.name, transcript(t, func() (Reader, error) { return OpenExcelFile(path, tc.cfg) }))
		})
	}
}

func TestExcelRawValues(t *testing.T) {
	path := writeWorkbook(t, t.TempDir())
	r, err := OpenExcelFile(path, ExcelConfig{Sheet: "Stock", HeaderRow: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	get := func(i int, name string) string {
		t.Helper()
		v, ok := rows[i].Get(name)
		if !ok {
			t.Fatalf("row %d has no field %q", rows[i].Line, name)
		}
		return v
	}
	tests := []struct {
		row        int
		name, want string
	}{
		{0, "UPC", "012345678905"},       // text keeps its leading zero
		{0, "Big", "123456789012345678"}, // not 1.23457E+17
		{0, "Expires", "46447"},          // a date is its serial number
		{1, "UPC", "12345678905"},        // a number: the zero was never stored
		{1, "Big", "1234567890123"},      // not "1234567890123.00"
		{1, "Price", "0.1"},
		{2, "Qty", ""}, // an empty cell inside the row
		{3, "UPC", "000000000017"},
	}
	for _, tc := range tests {
		if got := get(tc.row, tc.name); got != tc.want {
			t.Errorf("row %d %s = %q, want %q", rows[tc.row].Line, tc.name, got, tc.want)
		}
	}
	if p, _ := rows[1].Place("Big"); p.Cell() != "D6" || p.String() != "stock.xlsx:Stock!D6" {
		t.Errorf("place of Big on row 6: %q, %q", p.Cell(), p)
	}
	if got := strings.Join(r.Header(), "|"); got != "SKU|UPC|Qty|Big|Price|Expires|Note" {
		t.Errorf("Header() = %q", got)
	}
}

func TestExcelErrors(t *testing.T) {
	path := writeWorkbook(t, t.TempDir())
	size, unzipped, largest, largestSize := workbookSizes(t, path)
	tests := []struct {
		name string
		cfg  ExcelConfig
		open bool // the error comes from OpenExcelFile
		want error
		msg  string
	}{
		{
			name: "sheet not found", open: true,
			cfg:  ExcelConfig{Sheet: "Inventory"},
			want: ErrSheetNotFound,
			msg:  `stock.xlsx: sheet not found: no sheet "Inventory"; sheets found: "Notes", "Stock"`,
		},
		{
			name: "missing column", open: true,
			cfg:  ExcelConfig{Sheet: "Stock", HeaderRow: 3, Columns: []Column{{Name: "sku"}, {Name: "lot"}}},
			want: ErrMissingColumn,
			msg:  `stock.xlsx:Stock row 3: field "lot": missing column: no header "lot"; headers found: "SKU", "UPC", "Qty", "Big", "Price", "Expires", "Note"`,
		},
		{
			name: "empty header row", open: true,
			cfg:  ExcelConfig{Sheet: "Stock", HeaderRow: 2},
			want: ErrNoHeader,
			msg:  `stock.xlsx:Stock row 2: no header: the header row is empty`,
		},
		{
			name: "header row past the end", open: true,
			cfg:  ExcelConfig{Sheet: "Stock", HeaderRow: 50},
			want: ErrNoHeader,
			msg:  `stock.xlsx:Stock row 50: no header: the sheet ends at row 9`,
		},
		{
			name: "too many columns in the header", open: true,
			cfg:  ExcelConfig{Sheet: "Stock", HeaderRow: 3, Limits: Limits{MaxColumns: 3}},
			want: ErrTooManyColumns,
			msg:  `stock.xlsx:Stock!D3: too many columns: a value in column 4 (limit max_columns = 3)`,
		},
		{
			name: "row over the byte limit",
			cfg:  ExcelConfig{Sheet: "Stock", Limits: Limits{MaxRecordBytes: 10}},
			want: ErrRecordTooLong,
			msg:  `stock.xlsx:Stock!A1: xl/worksheets/sheet2.xml: record too long: a cell holds more bytes (limit max_record_bytes = 10)`,
		},
		{
			name: "file over the size limit", open: true,
			cfg:  ExcelConfig{WorkbookLimits: WorkbookLimits{MaxFileBytes: size - 1}},
			want: ErrFileTooLarge,
			msg:  fmt.Sprintf(`stock.xlsx: file too large: the file has %d bytes (limit max_file_bytes = %d)`, size, size-1),
		},
		{
			name: "unzipped size over the limit", open: true,
			cfg:  ExcelConfig{WorkbookLimits: WorkbookLimits{MaxUnzipBytes: unzipped - 1}},
			want: ErrFileTooLarge,
			msg:  fmt.Sprintf(`stock.xlsx: file too large: unzips to %d bytes or more (limit max_unzip_bytes = %d)`, unzipped, unzipped-1),
		},
		{
			name: "row over the byte limit, cell within",
			cfg:  ExcelConfig{Sheet: "Stock", HeaderRow: 3, Limits: Limits{MaxRecordBytes: 30}},
			want: ErrRecordTooLong,
			msg:  `stock.xlsx:Stock!D4: record too long: the row holds 37 bytes up to this cell (limit max_record_bytes = 30)`,
		},
		{
			name: "part over the size limit", open: true,
			cfg:  ExcelConfig{WorkbookLimits: WorkbookLimits{MaxPartBytes: largestSize - 1}},
			want: ErrFileTooLarge,
			msg:  fmt.Sprintf(`stock.xlsx: %s: file too large: unzips to %d bytes (limit max_part_bytes = %d)`, largest, largestSize, largestSize-1),
		},
		{
			name: "too many parts", open: true,
			cfg:  ExcelConfig{WorkbookLimits: WorkbookLimits{MaxParts: 3}},
			want: ErrLimit,
			msg:  `stock.xlsx: file too large: the zip holds 11 parts (limit max_parts = 3)`,
		},
		{
			name: "too many shared strings", open: true,
			cfg:  ExcelConfig{WorkbookLimits: WorkbookLimits{MaxSharedStrings: 3}},
			want: ErrLimit,
			msg:  `stock.xlsx: xl/sharedStrings.xml: file too large: more shared strings (limit max_shared_strings = 3)`,
		},
		{
			name: "shared strings over the byte limit", open: true,
			cfg:  ExcelConfig{WorkbookLimits: WorkbookLimits{MaxSharedStringBytes: 40}},
			want: ErrFileTooLarge,
			msg:  `stock.xlsx: xl/sharedStrings.xml: file too large: the shared strings hold more bytes (limit max_shared_string_bytes = 40)`,
		},
		{
			name: "shared string over the cell limit", open: true,
			cfg:  ExcelConfig{WorkbookLimits: WorkbookLimits{MaxCellBytes: 16}},
			want: ErrRecordTooLong,
			msg:  `stock.xlsx: xl/sharedStrings.xml: record too long: shared string 0 is longer (limit max_cell_bytes = 16)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := OpenExcelFile(path, tc.cfg)
			if tc.open {
				checkErr(t, err, tc.want, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_, err = readAll(t, r)
			checkErr(t, err, tc.want, tc.msg)
			if _, again := r.Read(); again != err {
				t.Errorf("after a final error, Read returned %v", again)
			}
		})
	}
}

func TestExcelFromReader(t *testing.T) {
	data, err := os.ReadFile(writeWorkbook(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	spoolDir := t.TempDir()
	r, err := NewExcelReader(bytes.NewReader(data), ExcelConfig{File: "in.xlsx", Sheet: "Stock", HeaderRow: 3, Columns: []Column{{Name: "sku"}}, TmpDir: spoolDir})
	if err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(spoolDir); len(files) != 0 {
		t.Errorf("the spooled copy is still there after the open: %v", files)
	}
	rows, err := readAll(t, r)
	if err != nil || len(rows) != 4 {
		t.Fatalf("read %d rows, %v; want 4", len(rows), err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Read(); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}

	_, err = NewExcelReader(bytes.NewReader(data), ExcelConfig{File: "in.xlsx", WorkbookLimits: WorkbookLimits{MaxFileBytes: int64(len(data) - 1)}, TmpDir: spoolDir})
	checkErr(t, err, ErrFileTooLarge, "in.xlsx: file too large: the file has more bytes (limit max_file_bytes = "+strconv.Itoa(len(data)-1)+")")
	if files, _ := os.ReadDir(spoolDir); len(files) != 0 {
		t.Errorf("the spooled copy of a refused file is still there: %v", files)
	}
	_, err = NewExcelReader(bytes.NewReader(data), ExcelConfig{File: "in.xlsx", WorkbookLimits: WorkbookLimits{MaxFileBytes: int64(len(data))}})
	if err != nil {
		t.Errorf("a file of exactly MaxFileBytes: %v", err)
	}
	_, err = NewExcelReader(strings.NewReader("sku,qty\nA,1\n"), ExcelConfig{File: "junk.xlsx"})
	checkErr(t, err, ErrWorkbook, "junk.xlsx: unreadable workbook: zip: not a valid zip file")
}

// TestExcelStreamWriterStrings reads a sheet written with excelize's
// StreamWriter, whose strings are inline rather than shared.
func TestExcelStreamWriterStrings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stream.xlsx")
	writeStreamed(t, path, 3)
	r, err := OpenExcelFile(path, ExcelConfig{HeaderRow: 1, Columns: []Column{{Name: "upc"}, {Name: "qty"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range rows {
		got = append(got, rowString(row))
	}
	want := "2: upc=000000000001@stream.xlsx:Sheet1!B2 qty=1@stream.xlsx:Sheet1!C2\n" +
		"3: upc=000000000002@stream.xlsx:Sheet1!B3 qty=2@stream.xlsx:Sheet1!C3\n" +
		"4: upc=000000000003@stream.xlsx:Sheet1!B4 qty=3@stream.xlsx:Sheet1!C4"
	if strings.Join(got, "\n") != want {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}

func TestExcelConfigErrors(t *testing.T) {
	for _, cfg := range []ExcelConfig{
		{HeaderRow: -1},
		{WorkbookLimits: WorkbookLimits{MaxFileBytes: -1}},
		{Columns: []Column{{Name: "sku"}}}, // a name but no header row
		{HeaderRow: maxSheetRows + 1},
	} {
		if _, err := NewExcelReader(strings.NewReader(""), cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", cfg, err)
		}
	}
}

// TestExcelCorruptSheet reads a workbook whose sheet XML was altered: the
// excelize error comes back with the row. (excelize reads some damage
// silently: a shared-string index out of range as an empty cell, a
// truncated sheet as its end.)
func TestExcelCorruptSheet(t *testing.T) {
	dir := t.TempDir()
	path := writeWorkbook(t, dir)
	tests := []struct {
		name, old, new string
		rows           int
		msg            string
	}{
		{
			name: "bad cell reference", rows: 0,
			old: `<c r="A4" t="s">`, new: `<c r="A0" t="s">`,
			msg: `stock.xlsx:Stock row 4: xl/worksheets/sheet2.xml: unreadable workbook: invalid cell reference "A0"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "stock.xlsx")
			rewritePart(t, path, bad, "xl/worksheets/sheet2.xml", tc.old, tc.new)
			r, err := OpenExcelFile(bad, ExcelConfig{Sheet: "Stock", HeaderRow: 3})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			rows, err := readAll(t, r)
			if len(rows) != tc.rows {
				t.Errorf("read %d rows before the error, want %d", len(rows), tc.rows)
			}
			checkErr(t, err, ErrWorkbook, tc.msg)
		})
	}
}

// rewritePart copies the zip at src to dst, replacing old by new in one
// part, which must contain it.
func rewritePart(t *testing.T, src, dst, part, old, new string) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == part {
			if !bytes.Contains(data, []byte(old)) {
				t.Fatalf("%s does not contain %q", part, old)
			}
			data = bytes.Replace(data, []byte(old), []byte(new), 1)
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestExcelReuseRowAndNewReader(t *testing.T) {
	data, err := os.ReadFile(writeWorkbook(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(data), "in.xlsx", Config{Format: FormatExcel, Excel: ExcelConfig{
		Sheet: "Stock", HeaderRow: 3, ReuseRow: true, Columns: []Column{{Name: "sku"}, {Name: "qty"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	first, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	sku, _ := first.Get("sku")
	second, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Error("ReuseRow: Read returned a new Row")
	}
	if got, _ := second.Get("sku"); sku != "A-100" || got != "A-200" {
		t.Errorf("got sku %q then %q", sku, got)
	}
	if p, _ := second.Place("qty"); p.String() != "in.xlsx:Stock!C6" {
		t.Errorf("place %q", p)
	}
	if xr := r.(*ExcelReader); xr.Sheet() != "Stock" {
		t.Errorf("Sheet() = %q", xr.Sheet())
	}
}
