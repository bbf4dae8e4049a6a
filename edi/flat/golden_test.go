package flat

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenCases read an input of testdata/golden and compare what the reader
// yields, rows and errors in order, with testdata/golden/<name>.json.
var goldenCases = []struct {
	name  string
	input string
	cfg   Config
}{
	{"csv_selected", "header_crlf_bom.csv", Config{Format: FormatCSV, CSV: CSVConfig{
		SkipLines: 2, Header: true, TrimSpace: true,
		Columns: []Column{{Name: "sku"}, {Name: "upc", Header: "UPC"}, {Name: "qty", Header: " qty "}, {Name: "desc", Header: "Description"}},
	}}},
	{"csv_all_columns", "header_crlf_bom.csv", Config{Format: FormatCSV, CSV: CSVConfig{SkipLines: 2, Header: true}}},
	{"csv_semicolon_numbers", "semicolon_comments.csv", Config{Format: FormatCSV, CSV: CSVConfig{
		Delimiter: ";", Comment: "#",
		Columns: []Column{{Name: "item", Number: 1}, {Name: "lot", Number: 3}, {Name: "qty", Number: 2}},
	}}},
	{"csv_no_header_all", "semicolon_comments.csv", Config{Format: FormatCSV, CSV: CSVConfig{Delimiter: ";", Comment: "#"}}},
	{"csv_unterminated_quote", "unterminated_quote.csv", Config{Format: FormatCSV, CSV: CSVConfig{Header: true}}},
	{"csv_row_errors", "row_errors.csv", Config{Format: FormatCSV, CSV: CSVConfig{
		Header: true, Columns: []Column{{Name: "sku"}, {Name: "qty"}, {Name: "note", Optional: true}},
	}}},
	{"csv_strict_count", "strict_count.csv", Config{Format: FormatCSV, CSV: CSVConfig{Header: true, StrictFieldCount: true}}},
	{"fixed_records", "records.txt", Config{Format: FormatFixed, Fixed: FixedConfig{
		SkipLines: 1, RecordType: "D",
		Fields: []FixedField{{Name: "upc", Start: 2, Length: 12}, {Name: "qty", Start: 14, Length: 5}, {Name: "name", Start: 19, Length: 20}},
	}}},
	{"fixed_keep_padding", "records.txt", Config{Format: FormatFixed, Fixed: FixedConfig{
		SkipLines: 1, RecordType: "D", KeepPadding: true,
		Fields: []FixedField{{Name: "qty", Start: 14, Length: 5}, {Name: "name", Start: 19, Length: 20, Optional: true}},
	}}},
	{"fixed_trailer_type", "records.txt", Config{Format: FormatFixed, Fixed: FixedConfig{
		RecordType: "00002", RecordTypeStart: 6,
		Fields: []FixedField{{Name: "kind", Start: 1, Length: 1}, {Name: "count", Start: 2, Length: 9}},
	}}},
	{"fixed_runes", "runes.txt", Config{Format: FormatFixed, Fixed: FixedConfig{
		SkipLines: 1, Runes: true,
		Fields: []FixedField{{Name: "sku", Start: 1, Length: 5}, {Name: "qty", Start: 6, Length: 4}, {Name: "name", Start: 11, Length: 20, Optional: true}},
	}}},
	{"fixed_runes_as_bytes", "runes.txt", Config{Format: FormatFixed, Fixed: FixedConfig{
		SkipLines: 1,
		Fields:    []FixedField{{Name: "sku", Start: 1, Length: 5}, {Name: "qty", Start: 6, Length: 4}, {Name: "name", Start: 11, Length: 20, Optional: true}},
	}}},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "golden", tc.input))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			checkGolden(t, tc.name, transcript(t, func() (Reader, error) { return NewReader(f, tc.input, tc.cfg) }))
		})
	}
}

// event is one line of a transcript: the header, a row or an error.
type event struct {
	Header []string   `json:"header,omitempty"`
	Line   int        `json:"line,omitempty"`
	Fields [][]string `json:"fields,omitempty"` // name, value, place
	Error  string     `json:"error,omitempty"`
}

// transcript builds a reader and records, one JSON object a line, what it
// yields until io.EOF or an error it cannot go on after.
func transcript(t *testing.T, open func() (Reader, error)) []byte {
	t.Helper()
	var events []event
	r, err := open()
	if err != nil {
		events = append(events, event{Error: err.Error()})
		return encodeEvents(t, events)
	}
	defer r.Close()
	if h, ok := r.(interface{ Header() []string }); ok && h.Header() != nil {
		events = append(events, event{Header: h.Header()})
	}
	for range 1000 {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			events = append(events, event{Error: err.Error()})
			if isFatal(err) {
				if _, again := r.Read(); again != err {
					t.Errorf("after the final error %q, Read returned %v", err, again)
				}
				break
			}
			continue
		}
		ev := event{Line: row.Line}
		for _, f := range row.Fields {
			ev.Fields = append(ev.Fields, []string{f.Name, f.Value, f.Place.String()})
		}
		events = append(events, ev)
	}
	return encodeEvents(t, events)
}

// encodeEvents writes events as a JSON array, one event a line.
func encodeEvents(t *testing.T, events []event) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, ev := range events {
		line, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		if i < len(events)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	return b.Bytes()
}

// checkGolden compares got with testdata/golden/<name>.json, or rewrites it
// with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./edi/flat -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
