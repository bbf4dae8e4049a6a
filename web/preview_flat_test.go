package web

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestParseXLSXHostile previews workbooks with the pipeline's bounded
// reader: a good one shows its rows, a hostile one a problem naming the
// limit, at once and in little memory (excelize took minutes and
// gigabytes for a shared-string table unzipping to 1 GB).
func TestParseXLSXHostile(t *testing.T) {
	good := excelize.NewFile()
	_ = good.SetCellValue("Sheet1", "A1", "sku")
	_ = good.SetCellValue("Sheet1", "B1", "qty")
	_ = good.SetCellValue("Sheet1", "A3", "WIDGET")
	_ = good.SetCellValue("Sheet1", "B3", 7)
	var goodBytes bytes.Buffer
	if err := good.Write(&goodBytes); err != nil {
		t.Fatal(err)
	}
	v := parseXLSX(bytes.NewReader(goodBytes.Bytes()))
	if v.Problem != "" || len(v.Rows) != 2 || v.Rows[1].Line != 3 || strings.Join(v.Rows[1].Cells, "|") != "WIDGET|7" {
		t.Errorf("good workbook: %+v", v)
	}

	hostile := previewXLSX(t, `<sst>`+strings.Repeat(`<si><t>a</t></si>`, 1_100_000)+`</sst>`)
	v = parseXLSX(bytes.NewReader(hostile))
	if !strings.Contains(v.Problem, "xl/sharedStrings.xml: file too large: more shared strings (limit max_shared_strings = 1000000)") || len(v.Rows) != 0 {
		t.Errorf("1.1 M shared strings: %+v", v)
	}
}

// previewXLSX zips a one-sheet workbook with the given shared strings.
func previewXLSX(t *testing.T, sst string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range []struct{ name, body string }{
		{"_rels/.rels", `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<workbook xmlns:r="r"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>`},
		{"xl/sharedStrings.xml", sst},
	} {
		w, err := zw.Create(p.name)
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

// TestParseCSVLongLine previews a CSV whose line is longer than the
// preview reads: a problem, not the whole line in memory.
func TestParseCSVLongLine(t *testing.T) {
	body := "sku,qty\nA," + strings.Repeat("9", 3<<20) + "\nB,2\n"
	v := parseCSV(&lineCapReader{r: strings.NewReader(body), max: maxPreviewLine}, ',')
	if !strings.Contains(v.Problem, "a line of more than 65536 bytes") || len(v.Rows) != 1 {
		t.Errorf("problem %q, %d rows", v.Problem, len(v.Rows))
	}
	v = parseCSV(&lineCapReader{r: strings.NewReader("sku,qty\nA,1\nB,2"), max: maxPreviewLine}, ',')
	if v.Problem != "" || len(v.Rows) != 3 {
		t.Errorf("problem %q, %d rows", v.Problem, len(v.Rows))
	}
}
