package flat

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// Minimal workbook parts, written by hand so that tests can alter them.
const (
	xlsxRootRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	xlsxWorkbook = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`
	xlsxWorkbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`
)

// sheetXML wraps rows in a worksheet part.
func sheetXML(rows string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rows + `</sheetData></worksheet>`
}

// sstXML wraps <si> items in a shared-strings part.
func sstXML(items string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + items + `</sst>`
}

// buildXLSX zips a one-sheet workbook of the given sheet and shared
// strings parts; extra parts are added or replace the defaults.
func buildXLSX(t testing.TB, sheet, sst string, extra map[string]string) []byte {
	t.Helper()
	parts := map[string]string{
		"_rels/.rels":                xlsxRootRels,
		"xl/workbook.xml":            xlsxWorkbook,
		"xl/_rels/workbook.xml.rels": xlsxWorkbookRels,
		"xl/worksheets/sheet1.xml":   sheet,
		"xl/sharedStrings.xml":       sst,
	}
	for k, v := range extra {
		parts[k] = v
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"} {
		writePart(t, zw, name, parts[name])
		delete(parts, name)
	}
	for name, body := range parts {
		writePart(t, zw, name, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writePart(t testing.TB, zw *zip.Writer, name, body string) {
	t.Helper()
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, body); err != nil {
		t.Fatal(err)
	}
}

// readXLSX reads every row of a workbook given as bytes and returns them
// as rowString lines, with the error that ended the reading.
func readXLSX(t *testing.T, data []byte, cfg ExcelConfig) ([]string, error) {
	t.Helper()
	cfg.File = "t.xlsx"
	r, err := NewExcelReader(bytes.NewReader(data), cfg)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rows, err := readAll(t, r)
	var out []string
	for _, row := range rows {
		out = append(out, rowString(row))
	}
	return out, err
}

// TestExcelCellTypes reads the kinds of cells a workbook holds.
func TestExcelCellTypes(t *testing.T) {
	sst := sstXML(`<si><t>plain</t></si>` +
		`<si><r><rPr><b/></rPr><t>rich </t></r><r><t xml:space="preserve">text</t></r><rPh sb="0" eb="1"><t>PHONETIC</t></rPh></si>` +
		`<si><t>a_x000D_b_x005F_x0041_</t></si>` +
		`<si><t>&lt;&amp;&gt;&#65;&#x42;</t></si>`)
	rows := `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>` +
		`<row r="2"><c r="A2" t="inlineStr"><is><t>inline</t></is></c><c r="B2" t="b"><v>1</v></c><c r="C2" t="str"><f>A1</f><v>formula</v></c><c r="D2" t="e"><v>#N/A</v></c></row>` +
		`<row r="3"><c r="A3"><v>012</v></c><c t="n"><v>1.5E+3</v></c><c r="D3" t="d"><v>2027-03-01T00:00:00</v></c></row>` +
		`<row r="5"><c><v><![CDATA[cd<a>ta]]></v></c><c r="C5" s="1"/><c r="E5"><f>SUM(A1)</f></c></row>` +
		`<x:row r="6" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:c r="B6" t="inlineStr"><x:is><x:r><x:t>pre</x:t></x:r><x:r><x:t>fixed</x:t></x:r></x:is></x:c></x:row>` +
		"<row r=\"7\"><c r=\"A7\" t=\"inlineStr\"><is><t>two\r\nlines</t></is></c></row>"
	got, err := readXLSX(t, buildXLSX(t, "\uFEFF"+sheetXML(rows), sst, nil), ExcelConfig{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1: 1=plain@t.xlsx:Sheet1!A1 2=rich text@t.xlsx:Sheet1!B1 3=a\rb_x0041_@t.xlsx:Sheet1!C1 4=<&>AB@t.xlsx:Sheet1!D1",
		"2: 1=inline@t.xlsx:Sheet1!A2 2=1@t.xlsx:Sheet1!B2 3=formula@t.xlsx:Sheet1!C2 4=#N/A@t.xlsx:Sheet1!D2",
		"3: 1=012@t.xlsx:Sheet1!A3 2=1.5E+3@t.xlsx:Sheet1!B3 3=@t.xlsx:Sheet1!C3 4=2027-03-01T00:00:00@t.xlsx:Sheet1!D3",
		"5: 1=cd<a>ta@t.xlsx:Sheet1!A5",
		"6: 1=@t.xlsx:Sheet1!A6 2=prefixed@t.xlsx:Sheet1!B6",
		"7: 1=two\nlines@t.xlsx:Sheet1!A7",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestExcelDamaged reads workbooks that are damaged or hostile: each
// fails with a clear error, and those whose zip does not verify fail
// before any row is read.
func TestExcelDamaged(t *testing.T) {
	good := sheetXML(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>7</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>8</v></c></row>`)
	sst := sstXML(`<si><t>A-100</t></si><si><t>A-200</t></si>`)
	tests := []struct {
		name   string
		data   func(t *testing.T) []byte
		cfg    ExcelConfig
		rows   int // rows read before the error
		want   error
		msg    string
		atOpen bool
	}{
		{
			name: "a corrupted byte fails the CRC", atOpen: true,
			data: func(t *testing.T) []byte {
				return corruptStored(t, buildStored(t, good, sst), "xl/worksheets/sheet1.xml", "<v>8</v>", "<v>9</v>")
			},
			want: ErrWorkbook,
			msg:  "t.xlsx: xl/worksheets/sheet1.xml: unreadable workbook: zip: checksum error",
		},
		{
			name: "a CRC-32 of 0 that does not verify", atOpen: true,
			data: func(t *testing.T) []byte { return zeroCRC(t, buildStored(t, good, sst), "xl/worksheets/sheet1.xml") },
			want: ErrWorkbook,
			msg:  "t.xlsx: xl/worksheets/sheet1.xml: unreadable workbook: zip: checksum error",
		},
		{
			name: "a declared size too large", atOpen: true,
			data: func(t *testing.T) []byte {
				return setDeclaredSize(t, buildStored(t, good, sst), "xl/worksheets/sheet1.xml", +10)
			},
			want: ErrWorkbook,
			msg:  "t.xlsx: xl/worksheets/sheet1.xml: unreadable workbook: unexpected EOF",
		},
		{
			name: "a declared size too small", atOpen: true,
			data: func(t *testing.T) []byte {
				return setDeclaredSize(t, buildStored(t, good, sst), "xl/worksheets/sheet1.xml", -40)
			},
			want: ErrWorkbook,
			msg:  "t.xlsx: xl/worksheets/sheet1.xml: unreadable workbook: zip: not a valid zip file",
		},
		{
			name: "sheet XML cut short", rows: 1,
			data: func(t *testing.T) []byte {
				return buildXLSX(t, strings.TrimSuffix(good, `<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>8</v></c></row></sheetData></worksheet>`)+`<row r="2"><c r="A2"`, sst, nil)
			},
			want: ErrWorkbook,
			msg:  `t.xlsx:Sheet1 row 2: xl/worksheets/sheet1.xml: unreadable workbook: byte 231: malformed XML: the part ends inside a tag`,
		},
		{
			name: "shared string index out of range",
			data: func(t *testing.T) []byte {
				return buildXLSX(t, strings.Replace(good, "<v>1</v>", "<v>5</v>", 1), sst, nil)
			},
			rows: 1, want: ErrWorkbook,
			msg: `t.xlsx:Sheet1!A2: xl/worksheets/sheet1.xml: unreadable workbook: shared string 5 does not exist (the table has 2)`,
		},
		{
			name: "rows out of order",
			data: func(t *testing.T) []byte {
				return buildXLSX(t, strings.Replace(good, `<row r="2">`, `<row r="1">`, 1), sst, nil)
			},
			rows: 1, want: ErrWorkbook,
			msg: `t.xlsx:Sheet1 row 1: xl/worksheets/sheet1.xml: unreadable workbook: row 1 comes after row 1`,
		},
		{
			name: "a document type declaration", atOpen: true,
			data: func(t *testing.T) []byte {
				return buildXLSX(t, good, `<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaa">]>`+sstXML(`<si><t>&a;</t></si>`)[38:], nil)
			},
			want: ErrWorkbook,
			msg:  `t.xlsx: xl/sharedStrings.xml: unreadable workbook: byte 23: malformed XML: document type declarations are not allowed`,
		},
		{
			name: "a single huge shared string", atOpen: true,
			cfg: ExcelConfig{WorkbookLimits: WorkbookLimits{MaxCellBytes: 1000}},
			data: func(t *testing.T) []byte {
				return buildXLSX(t, good, sstXML(`<si><t>`+strings.Repeat("x", 100_000)+`</t></si>`), nil)
			},
			want: ErrRecordTooLong,
			msg:  `t.xlsx: xl/sharedStrings.xml: record too long: shared string 0 is longer (limit max_cell_bytes = 1000)`,
		},
		{
			name: "a huge inline cell",
			cfg:  ExcelConfig{WorkbookLimits: WorkbookLimits{MaxCellBytes: 1000}},
			data: func(t *testing.T) []byte {
				return buildXLSX(t, sheetXML(`<row r="1"><c r="A1" t="inlineStr"><is><t>`+strings.Repeat("&amp;", 100_000)+`</t></is></c></row>`), sst, nil)
			},
			want: ErrRecordTooLong,
			msg:  `t.xlsx:Sheet1!A1: xl/worksheets/sheet1.xml: record too long: a cell holds more bytes (limit max_cell_bytes = 1000)`,
		},
		{
			name: "a row of many empty cells",
			data: func(t *testing.T) []byte {
				return buildXLSX(t, sheetXML(`<row r="1">`+strings.Repeat(`<c/>`, maxSheetColumns+1)+`</row>`), sst, nil)
			},
			want: ErrWorkbook,
			msg:  `t.xlsx:Sheet1 row 1: xl/worksheets/sheet1.xml: unreadable workbook: the row has more than 16384 cells`,
		},
		{
			name: "a row of many cells",
			data: func(t *testing.T) []byte {
				return buildXLSX(t, sheetXML(`<row r="1">`+strings.Repeat(`<c><v>1</v></c>`, 5000)+`</row>`), sst, nil)
			},
			want: ErrTooManyColumns,
			msg:  `t.xlsx:Sheet1!AMK1: too many columns: a value in column 1025 (limit max_columns = 1024)`,
		},
		{
			name: "tiny shared strings over the count", atOpen: true,
			cfg: ExcelConfig{WorkbookLimits: WorkbookLimits{MaxSharedStrings: 1000}},
			data: func(t *testing.T) []byte {
				return buildXLSX(t, good, sstXML(strings.Repeat(`<si><t/></si>`, 5000)), nil)
			},
			want: ErrLimit,
			msg:  `t.xlsx: xl/sharedStrings.xml: file too large: more shared strings (limit max_shared_strings = 1000)`,
		},
		{
			name: "a deeply nested part", atOpen: true,
			data: func(t *testing.T) []byte {
				return buildXLSX(t, good, sstXML(strings.Repeat(`<a>`, 100)+strings.Repeat(`</a>`, 100)), nil)
			},
			want: ErrWorkbook,
			msg:  `t.xlsx: xl/sharedStrings.xml: unreadable workbook: byte 319: malformed XML: elements nested deeper than 64`,
		},
		{
			name: "a sheet listed again and again", atOpen: true,
			data: func(t *testing.T) []byte {
				return buildXLSX(t, good, sst, map[string]string{"xl/workbook.xml": strings.Replace(xlsxWorkbook, `<sheet name="Sheet1" sheetId="1" r:id="rId1"/>`,
					strings.Repeat(`<sheet name="Sheet1" sheetId="1" r:id="rId1"/>`, 100_000), 1)})
			},
			want: ErrWorkbook,
			msg:  `t.xlsx: xl/workbook.xml: unreadable workbook: more sheets than the 1 the workbook's relationships name`,
		},
		{
			name: "no sheet part", atOpen: true,
			data: func(t *testing.T) []byte {
				return buildXLSX(t, good, sst, map[string]string{"xl/_rels/workbook.xml.rels": strings.Replace(xlsxWorkbookRels, "sheet1.xml", "sheet9.xml", 1)})
			},
			want: ErrWorkbook,
			msg:  `t.xlsx:Sheet1: xl/worksheets/sheet9.xml: unreadable workbook: the workbook names this sheet part, which the zip lacks`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data(t)
			cfg := tc.cfg
			if tc.atOpen {
				_, err := NewExcelReader(bytes.NewReader(data), ExcelConfig{File: "t.xlsx", WorkbookLimits: cfg.WorkbookLimits})
				checkErr(t, err, tc.want, tc.msg)
				return
			}
			rows, err := readXLSX(t, data, cfg)
			if len(rows) != tc.rows {
				t.Errorf("read %d rows before the error, want %d", len(rows), tc.rows)
			}
			checkErr(t, err, tc.want, tc.msg)
			if !errors.Is(err, ErrWorkbook) && !errors.Is(err, ErrLimit) {
				t.Errorf("%v is neither a workbook nor a limit error", err)
			}
		})
	}
}

// buildStored zips the workbook with its parts stored, not compressed, so
// that a test can change their bytes in place.
func buildStored(t *testing.T, sheet, sst string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range []struct{ name, body string }{
		{"_rels/.rels", xlsxRootRels}, {"xl/workbook.xml", xlsxWorkbook}, {"xl/_rels/workbook.xml.rels", xlsxWorkbookRels},
		{"xl/sharedStrings.xml", sst}, {"xl/worksheets/sheet1.xml", sheet},
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, p.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// corruptStored replaces old by new (same length) in the stored bytes of
// a part, leaving its CRC-32 as it was.
func corruptStored(t *testing.T, data []byte, part, old, new string) []byte {
	t.Helper()
	if len(old) != len(new) || bytes.Count(data, []byte(old)) != 1 {
		t.Fatalf("%q is not once in the zip, or the replacement changes the length", old)
	}
	_ = part
	return bytes.Replace(data, []byte(old), []byte(new), 1)
}

// setDeclaredSize changes the uncompressed size a stored part declares
// in the central directory (the local header of a written zip says 0 and
// defers to a data descriptor), keeping its CRC-32.
func setDeclaredSize(t *testing.T, data []byte, part string, delta int) []byte {
	t.Helper()
	data = bytes.Clone(data)
	const cdSig = "PK\x01\x02"
	for i := 0; i+46 <= len(data); i++ {
		if string(data[i:i+4]) != cdSig {
			continue
		}
		nameLen := int(binary.LittleEndian.Uint16(data[i+28:]))
		if string(data[i+46:i+46+nameLen]) != part {
			continue
		}
		size := int(binary.LittleEndian.Uint32(data[i+24:]))
		binary.LittleEndian.PutUint32(data[i+24:], uint32(size+delta))
		return data
	}
	t.Fatalf("no central directory entry for %s", part)
	return nil
}

// TestExcelZipDirectory refuses zips whose directory alone is over the
// limits, before archive/zip reads it: too many entries (a zip64
// directory of 70,000), or too many bytes of names.
func TestExcelZipDirectory(t *testing.T) {
	many := func(n int, name func(int) string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for i := range n {
			if _, err := zw.CreateHeader(&zip.FileHeader{Name: name(i), Method: zip.Store}); err != nil {
				t.Fatal(err)
			}
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	tests := []struct {
		name string
		data []byte
		cfg  WorkbookLimits
		msg  string
	}{
		{
			name: "70,000 entries (zip64)",
			data: many(70_000, func(i int) string { return "p" + strconv.Itoa(i) }),
			msg:  "t.xlsx: file too large: the zip holds 70000 parts (limit max_parts = 10000)",
		},
		{
			name: "long names",
			data: many(10, func(i int) string { return strconv.Itoa(i) + strings.Repeat("n", 2000) }),
			cfg:  WorkbookLimits{MaxParts: 10},
			msg:  "t.xlsx: file too large: the zip directory holds 20470 bytes, more than 1024 a part (limit max_parts = 10)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewExcelReader(bytes.NewReader(tc.data), ExcelConfig{File: "t.xlsx", WorkbookLimits: tc.cfg})
			checkErr(t, err, ErrLimit, tc.msg)
		})
	}
}

// zeroCRC sets the CRC-32 of a part to 0 in the central directory, and
// clears its data-descriptor flag in both headers, so that archive/zip
// does not check it.
func zeroCRC(t *testing.T, data []byte, part string) []byte {
	t.Helper()
	data = bytes.Clone(data)
	for i := 0; i+46 <= len(data); i++ {
		if string(data[i:i+4]) != "PK\x01\x02" {
			continue
		}
		nameLen := int(binary.LittleEndian.Uint16(data[i+28:]))
		if string(data[i+46:i+46+nameLen]) != part {
			continue
		}
		binary.LittleEndian.PutUint32(data[i+16:], 0)
		flags := binary.LittleEndian.Uint16(data[i+8:]) &^ 0x8
		binary.LittleEndian.PutUint16(data[i+8:], flags)
		local := int(binary.LittleEndian.Uint32(data[i+42:]))
		binary.LittleEndian.PutUint16(data[local+6:], flags)
		return data
	}
	t.Fatalf("no central directory entry for %s", part)
	return nil
}
