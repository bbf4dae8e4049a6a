package flat

import (
	"bytes"
	"encoding/csv"
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
