package flat

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz limits: small, so that the fuzzer reaches them.
const (
	fuzzMaxRecord  = 256
	fuzzMaxColumns = 8
)

// csvSeeds are inputs for the CSV fuzz targets.
var csvSeeds = []string{
	"sku,qty\nA,1\n",
	"\uFEFFsku;qty\r\n\"A;1\";2\r\n",
	"a,\"b\nc\",d\n",
	"a,\"b\"\"c\",d",
	"a,b\"c\n\"unterminated",
	"# comment\n\n,,,\n x , y \n",
	"\"\"\"\"\n\"a\"b\n",
	"a,b,c,d,e,f,g,h,i,j\n",
	strings.Repeat("x", 300) + "\n",
	"\r\n\r\r\n\"\r\n\"\n",
}

// FuzzCSVReader checks that the CSV reader neither panics nor exceeds its
// limits, and that every Read consumes input or ends the stream.
func FuzzCSVReader(f *testing.F) {
	for i, s := range csvSeeds {
		f.Add([]byte(s), byte(','), byte('#'), i%2 == 0, i%3 == 0, i%4 == 0)
	}
	f.Fuzz(func(t *testing.T, data []byte, delim, comment byte, header, trim, lazy bool) {
		cfg := CSVConfig{
			File: "fuzz.csv", Delimiter: string(rune(delim)), Header: header, TrimSpace: trim, LazyQuotes: lazy,
			Limits: Limits{MaxRecordBytes: fuzzMaxRecord, MaxColumns: fuzzMaxColumns},
		}
		if comment != 0 {
			cfg.Comment = string(rune(comment))
		}
		r, err := NewCSVReader(bytes.NewReader(data), cfg)
		if err != nil {
			return
		}
		lastLine := 0
		// Every Read consumes at least one line or ends: bounded by the
		// number of lines.
		for range bytes.Count(data, []byte("\n")) + 2 {
			row, err := r.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.File != "fuzz.csv" {
					t.Fatalf("error %v is not a *ParseError naming the file", err)
				}
				continue
			}
			if row.Line <= lastLine {
				t.Fatalf("row line %d after line %d", row.Line, lastLine)
			}
			lastLine = row.Line
			checkRowLimits(t, row)
		}
		if _, err := r.Read(); err != io.EOF && !isFatal(err) {
			t.Fatalf("reader did not end after one Read a line: %v", err)
		}
	})
}

// FuzzFixedReader checks that the fixed-width reader neither panics nor
// exceeds its limits, and ends.
func FuzzFixedReader(f *testing.F) {
	seeds := []string{
		"D012345678905   12WIDGET\r\n",
		"HDR\nD1\nT9\n",
		"Café 0012 Crème\n",
		"\xff\xfe\xfd abc\n",
		"\n\n   \r\n",
		strings.Repeat("D", 300),
	}
	for i, s := range seeds {
		f.Add([]byte(s), 2, 5, "D", i%2 == 0, i%3 == 0)
	}
	f.Fuzz(func(t *testing.T, data []byte, start, length int, recordType string, runes, optional bool) {
		cfg := FixedConfig{
			File:       "fuzz.txt",
			Fields:     []FixedField{{Name: "a", Start: 1, Length: 1}, {Name: "b", Start: start, Length: length, Optional: optional}},
			RecordType: recordType, Runes: runes,
			Limits: Limits{MaxRecordBytes: fuzzMaxRecord},
		}
		r, err := NewFixedReader(bytes.NewReader(data), cfg)
		if err != nil {
			if !errors.Is(err, ErrConfig) && !errors.Is(err, ErrRecordTooLong) {
				t.Fatalf("NewFixedReader: %v", err)
			}
			return
		}
		for range bytes.Count(data, []byte("\n")) + 2 {
			row, err := r.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				if !errors.Is(err, ErrShortLine) && !errors.Is(err, ErrRecordTooLong) {
					t.Fatalf("unexpected error %v", err)
				}
				continue
			}
			checkRowLimits(t, row)
			if v, _ := row.Get("b"); !optional && !runes && len(strings.TrimSpace(v)) > length {
				t.Fatalf("value %q longer than its field (%d)", v, length)
			}
			if v, _ := row.Get("b"); runes && utf8.RuneCountInString(v) > length {
				t.Fatalf("value %q longer than its field (%d characters)", v, length)
			}
		}
		if _, err := r.Read(); err != io.EOF && !isFatal(err) {
			t.Fatalf("reader did not end after one Read a line: %v", err)
		}
	})
}

// checkRowLimits fails if a row breaks the fuzz limits.
func checkRowLimits(t *testing.T, row *Row) {
	t.Helper()
	if len(row.Fields) > fuzzMaxColumns {
		t.Fatalf("row has %d fields, limit %d", len(row.Fields), fuzzMaxColumns)
	}
	size := 0
	for _, f := range row.Fields {
		size += len(f.Value)
		if f.Place.Line < row.Line {
			t.Fatalf("field %q on line %d before its row's line %d", f.Name, f.Place.Line, row.Line)
		}
	}
	if size > fuzzMaxRecord {
		t.Fatalf("row holds %d bytes, limit %d", size, fuzzMaxRecord)
	}
}

// FuzzCSVParserMatchesEncodingCSV checks that, within its limits, the CSV
// parser splits records exactly as encoding/csv does, with the same field
// positions and the same errors at the same places.
func FuzzCSVParserMatchesEncodingCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(strings.TrimPrefix(s, "\uFEFF")), byte(','), byte(0), false, false)
		f.Add([]byte(strings.TrimPrefix(s, "\uFEFF")), byte(';'), byte('#'), true, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, delim, comment byte, lazy, trimLead bool) {
		comma, commentRune := rune(delim), rune(comment)
		if !validDelimiter(comma) || (commentRune != 0 && (!validDelimiter(commentRune) || commentRune == comma)) {
			return
		}
		if bytes.HasPrefix(data, []byte("\uFEFF")) {
			return // the parser drops it; encoding/csv does not
		}
		want := csv.NewReader(bytes.NewReader(data))
		want.Comma, want.Comment, want.LazyQuotes, want.TrimLeadingSpace = comma, commentRune, lazy, trimLead
		want.FieldsPerRecord = -1
		got := csvParser{
			lines: newLineReader(bytes.NewReader(data)), comma: comma, comment: commentRune,
			lazyQuotes: lazy, trimLead: trimLead, maxRecord: len(data) + 1, maxColumns: len(data) + 1,
		}
		for range len(data) + 2 {
			wantRec, wantErr := want.Read()
			gotRec, gotErr := got.readRecord(nil)
			compareErrors(t, gotErr, wantErr)
			if wantErr == io.EOF {
				return
			}
			if wantErr != nil {
				continue
			}
			if strings.Join(gotRec, "\x00|") != strings.Join(wantRec, "\x00|") || len(gotRec) != len(wantRec) {
				t.Fatalf("record %q, encoding/csv %q", gotRec, wantRec)
			}
			for i := range wantRec {
				line, col := want.FieldPos(i)
				if got.positions[i] != (position{line, col}) {
					t.Fatalf("field %d at %d:%d, encoding/csv %d:%d", i, got.positions[i].line, got.positions[i].col, line, col)
				}
			}
		}
		t.Fatal("no end of input")
	})
}

// compareErrors fails unless got is the parser's form of encoding/csv's
// error want.
func compareErrors(t *testing.T, got, want error) {
	t.Helper()
	if want == nil || want == io.EOF {
		if got != want {
			t.Fatalf("error %v, encoding/csv %v", got, want)
		}
		return
	}
	var wantPE *csv.ParseError
	var gotPE *ParseError
	if !errors.As(want, &wantPE) || !errors.As(got, &gotPE) {
		t.Fatalf("error %v, encoding/csv %v", got, want)
	}
	kinds := map[error]error{csv.ErrQuote: ErrQuote, csv.ErrBareQuote: ErrBareQuote}
	if !errors.Is(gotPE, kinds[wantPE.Err]) || gotPE.Line != wantPE.Line || gotPE.Column != wantPE.Column {
		t.Fatalf("error %v, encoding/csv %v", got, want)
	}
}

// validDelimiter mirrors encoding/csv's rule for Comma and Comment.
func validDelimiter(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

// FuzzExcelReader reads fuzzed sheet and shared-strings XML inside a
// well-formed zip: the reader neither panics nor exceeds its limits, and
// every error is a *ParseError naming the file.
func FuzzExcelReader(f *testing.F) {
	f.Add(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>7</v></c></row>`, `<si><t>A-100</t></si>`)
	f.Add(`<row><c t="inlineStr"><is><r><t>a</t></r><rPh><t>b</t></rPh></is></c></row><row r="9"><c r="J9"><v>&amp;&#65;</v></c></row>`, `<si><r><t>x_x0041_</t></r></si>`)
	f.Add(`<row r="2"><c r="A2" t="s"><v>3</v></c></row><row r="1"/>`, `<si><t><![CDATA[<x>]]></t></si><!-- c --><?pi?>`)
	f.Add(`<x:row xmlns:x="ns"><x:c><x:v>1</x:v></x:c></x:row>`, strings.Repeat(`<si><t>aaaaaaaaaa</t></si>`, 20))
	f.Fuzz(func(t *testing.T, rows, items string) {
		data := buildXLSX(t, sheetXML(rows), sstXML(items), nil)
		cfg := ExcelConfig{File: "fuzz.xlsx", Limits: Limits{MaxRecordBytes: fuzzMaxRecord, MaxColumns: fuzzMaxColumns},
			WorkbookLimits: WorkbookLimits{MaxSharedStrings: 8, MaxSharedStringBytes: 64, MaxCellBytes: 32}}
		r, err := NewExcelReader(bytes.NewReader(data), cfg)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "fuzz.xlsx" {
				t.Fatalf("error %v is not a *ParseError naming the file", err)
			}
			return
		}
		defer r.Close()
		last := 0
		for range len(rows) + 2 {
			row, err := r.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.File != "fuzz.xlsx" {
					t.Fatalf("error %v is not a *ParseError naming the file", err)
				}
				if _, again := r.Read(); again != err {
					t.Fatalf("after %v, Read returned %v", err, again)
				}
				return
			}
			if row.Line <= last || row.Line > maxSheetRows {
				t.Fatalf("row %d after row %d", row.Line, last)
			}
			last = row.Line
			checkRowLimits(t, row)
			for _, f := range row.Fields {
				if len(f.Value) > 32 {
					t.Fatalf("value of %d bytes, cell limit 32", len(f.Value))
				}
			}
		}
		t.Fatal("the reader does not end")
	})
}

// FuzzXMLScanner checks that the scanner ends, keeps its bounds, and,
// where encoding/xml reads the same input without error, yields the same
// elements and text.
func FuzzXMLScanner(f *testing.F) {
	for _, s := range []string{
		`<a x="1" y='&lt;'><b/>t&amp;u<![CDATA[<c>]]></a>`,
		`<?xml version="1.0"?><!-- x --><p:a xmlns:p="u"><p:b p:c="d">e</p:b></p:a>`,
		"<a>\r\n&#x41;&#66;</a>",
		`<a><b></a>`,
		`<!DOCTYPE a><a/>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxText, maxTag, maxDepth = 64, 128, 8
		s := newXMLScanner(bytes.NewReader(data), maxText, maxTag, maxDepth)
		var got []string
		var text strings.Builder
		flush := func() {
			if text.Len() > 0 {
				got = append(got, "text:"+text.String())
				text.Reset()
			}
		}
		ok, failed := false, false
		for range len(data) + 2 {
			k, err := s.Next()
			if err != nil {
				failed = true
				break
			}
			if len(s.text) > maxText || s.depth() > maxDepth {
				t.Fatalf("token over the bounds: %d bytes of text, depth %d", len(s.text), s.depth())
			}
			if k == xmlEOF {
				ok = true
				break
			}
			switch k {
			case xmlStart:
				flush()
				got = append(got, "start:"+string(s.name))
			case xmlEnd:
				flush()
				got = append(got, "end:"+string(s.name))
			case xmlText:
				text.Write(s.text)
			}
		}
		if failed {
			return
		}
		if !ok {
			t.Fatal("the scanner neither ends nor fails")
		}
		want, wantOK := xmlTokens(data)
		if !wantOK {
			return
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("tokens:\n%s\nencoding/xml:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// xmlTokens returns the elements and text (inside the root) encoding/xml
// reads from data, and false when it fails.
func xmlTokens(data []byte) ([]string, bool) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var out []string
	var text strings.Builder
	depth := 0
	flush := func() {
		if text.Len() > 0 {
			out = append(out, "text:"+text.String())
			text.Reset()
		}
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, depth == 0
		}
		if err != nil {
			return nil, false
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			flush()
			depth++
			out = append(out, "start:"+tok.Name.Local)
		case xml.EndElement:
			flush()
			depth--
			out = append(out, "end:"+tok.Name.Local)
		case xml.CharData:
			if depth > 0 {
				text.Write(tok)
			}
		case xml.Directive:
			return nil, false
		}
	}
}
