package flat

import (
	"errors"
	"strings"
	"testing"
)

func TestCSVRows(t *testing.T) {
	tests := []struct {
		name  string
		cfg   CSVConfig
		input string
		want  []string
	}{
		{
			name:  "header by name, case and spaces ignored",
			cfg:   CSVConfig{Header: true, Columns: []Column{{Name: "upc", Header: "upc code"}, {Name: "qty"}}},
			input: " UPC Code ,QTY\n012345678905,00012\n",
			want:  []string{"2: upc=012345678905@line 2, column 1 qty=00012@line 2, column 14"},
		},
		{
			name:  "columns by number without header",
			cfg:   CSVConfig{File: "f.csv", Columns: []Column{{Name: "qty", Number: 3}, {Name: "sku", Number: 1}}},
			input: "A,x,1\nB,y,2\n",
			want:  []string{"1: qty=1@f.csv:1:5 sku=A@f.csv:1:1", "2: qty=2@f.csv:2:5 sku=B@f.csv:2:1"},
		},
		{
			name:  "tab delimiter, large numbers kept as text",
			cfg:   CSVConfig{File: "f.tsv", Delimiter: "\t"},
			input: "12345678901234567890\t0.000000000000000001\t-0\n",
			want:  []string{"1: 1=12345678901234567890@f.tsv:1:1 2=0.000000000000000001@f.tsv:1:22 3=-0@f.tsv:1:43"},
		},
		{
			name:  "multi-byte delimiter",
			cfg:   CSVConfig{File: "f.csv", Delimiter: "¦"},
			input: "a¦b\n",
			want:  []string{"1: 1=a@f.csv:1:1 2=b@f.csv:1:4"},
		},
		{
			name:  "trim space, also before a quoted field",
			cfg:   CSVConfig{File: "f.csv", TrimSpace: true},
			input: "  \"a, b\",  x  \n",
			want:  []string{"1: 1=a, b@f.csv:1:3 2=x@f.csv:1:12"},
		},
		{
			name:  "values untrimmed by default",
			cfg:   CSVConfig{File: "f.csv"},
			input: " a , b \n",
			want:  []string{"1: 1= a @f.csv:1:1 2= b @f.csv:1:5"},
		},
		{
			name:  "skip raw lines, blank records and comments; line numbers count them",
			cfg:   CSVConfig{File: "f.csv", SkipLines: 2, Comment: "#", Header: true},
			input: "title \"x\nunbalanced \"quote\nsku\n#note\n\n,\n \nA\n",
			want:  []string{"8: sku=A@f.csv:8:1"},
		},
		{
			name:  "byte-order mark before the header",
			cfg:   CSVConfig{File: "f.csv", Header: true, Columns: []Column{{Name: "sku"}}},
			input: "\uFEFFsku\nA\n",
			want:  []string{"2: sku=A@f.csv:2:1"},
		},
		{
			name:  "multi-line quoted field keeps the record line, places the next field",
			cfg:   CSVConfig{File: "f.csv"},
			input: "\"a\r\nb\",c\r\n",
			want:  []string{"1: 1=a\nb@f.csv:1:1 2=c@f.csv:2:4"},
		},
		{
			name:  "optional columns: absent from header, absent from a short record",
			cfg:   CSVConfig{File: "f.csv", Header: true, Columns: []Column{{Name: "sku"}, {Name: "lot", Optional: true}, {Name: "qty", Number: 2, Optional: true}}},
			input: "sku,qty\nA,1\nB\n",
			want:  []string{"2: sku=A@f.csv:2:1 qty=1@f.csv:2:3", "3: sku=B@f.csv:3:1"},
		},
		{
			name:  "last line without newline, trailing CR dropped",
			cfg:   CSVConfig{File: "f.csv"},
			input: "a,b\r",
			want:  []string{"1: 1=a@f.csv:1:1 2=b@f.csv:1:3"},
		},
		{
			name:  "wide record past the read buffer",
			cfg:   CSVConfig{File: "f.csv", Columns: []Column{{Name: "last", Number: 2}}},
			input: strings.Repeat("x", 100_000) + ",end\n",
			want:  []string{"1: last=end@f.csv:1:100002"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewCSVReader(strings.NewReader(tc.input), tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := readAll(t, r)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, row := range rows {
				got = append(got, rowString(row))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("rows:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestCSVErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name     string
		cfg      CSVConfig
		input    string
		open     bool // the error comes from NewCSVReader
		rows     int  // rows read before the error
		want     error
		msg      string
		final    bool // Read repeats the error
		nextLine int  // for a row error: the line of the row read after it
	}{
		{
			name: "missing named column", open: true,
			cfg:   CSVConfig{File: "inventory.csv", Header: true, Columns: []Column{{Name: "sku"}, {Name: "qty"}}},
			input: "SKU,Desc,On Hand\nA,x,1\n",
			want:  ErrMissingColumn,
			msg:   `inventory.csv:1: field "qty": missing column: no header "qty"; headers found: "SKU", "Desc", "On Hand"`,
		},
		{
			name: "missing column by header text, after skipped lines", open: true,
			cfg:   CSVConfig{File: "inventory.csv", SkipLines: 2, Header: true, Columns: []Column{{Name: "qty", Header: "Quantity"}}},
			input: "a\nb\n\nsku,qty\n",
			want:  ErrMissingColumn,
			msg:   `inventory.csv:4: field "qty": missing column: no header "Quantity"; headers found: "sku", "qty"`,
		},
		{
			name: "ambiguous column", open: true,
			cfg:   CSVConfig{File: "inventory.csv", Header: true, Columns: []Column{{Name: "qty"}}},
			input: "sku,Qty, QTY \n",
			want:  ErrDuplicateColumn,
			msg:   `inventory.csv:1: field "qty": ambiguous column: header "qty" is in columns 2 and 3`,
		},
		{
			name: "no header in an empty file", open: true,
			cfg:   CSVConfig{File: "inventory.csv", Header: true},
			input: "\n\n,,\n",
			want:  ErrNoHeader,
			msg:   `inventory.csv: no header: the file has no records`,
		},
		{
			name: "bare quote names line, column and field", rows: 1, nextLine: 4,
			cfg:   CSVConfig{File: "inventory.csv", Header: true, Columns: []Column{{Name: "sku"}, {Name: "qty"}}},
			input: "sku,qty\nA,1\nB,12\"3\nC,4\n",
			want:  ErrBareQuote,
			msg:   `inventory.csv:3:5: field "qty": bare " in non-quoted field`,
		},
		{
			name: "bad quote in an unselected column has no field name", rows: 0, nextLine: 3,
			cfg:   CSVConfig{File: "inventory.csv", Header: true, Columns: []Column{{Name: "sku"}}},
			input: "sku,note\nA,\"x\"y\nB,z\n",
			want:  ErrQuote,
			msg:   `inventory.csv:2:5: extraneous or missing " in quoted field`,
		},
		{
			name: "record too short for a column", rows: 1, nextLine: 4,
			cfg:   CSVConfig{File: "inventory.csv", Columns: []Column{{Name: "sku", Number: 1}, {Name: "qty", Number: 3}}},
			input: "A,x,1\nB,y\n\nC,z,3\n",
			want:  ErrFieldCount,
			msg:   `inventory.csv:2: field "qty": wrong number of fields: record has 2 fields, field needs column 3`,
		},
		{
			name: "strict field count", rows: 0, nextLine: 3,
			cfg:   CSVConfig{File: "inventory.csv", Header: true, StrictFieldCount: true},
			input: "a,b\n1,2,3\n4,5\n",
			want:  ErrFieldCount,
			msg:   `inventory.csv:2: wrong number of fields: record has 3 fields, expected 2`,
		},
		{
			name: "line over the limit", rows: 1, final: true,
			cfg:   CSVConfig{File: "inventory.csv", Header: true, Limits: Limits{MaxRecordBytes: 16}},
			input: "sku,qty\nA,1\nB,123456789012345678901234567890\nC,3\n",
			want:  ErrRecordTooLong,
			msg:   `inventory.csv:3: record too long: the record starting on line 3 has more bytes (limit max_record_bytes = 16)`,
		},
		{
			name: "unterminated quote stops at the limit", rows: 0, final: true,
			cfg:   CSVConfig{File: "inventory.csv", Header: true, Limits: Limits{MaxRecordBytes: 64}},
			input: "sku,qty\nA,\"" + strings.Repeat("0123456789\n", 1000),
			want:  ErrRecordTooLong,
			msg:   `inventory.csv:2: record too long: the record starting on line 2 has more bytes (limit max_record_bytes = 64)`,
		},
		{
			name: "skipped line over the limit", open: true,
			cfg:   CSVConfig{File: "inventory.csv", SkipLines: 1, Limits: Limits{MaxRecordBytes: 8}},
			input: "a very long title\nsku\n",
			want:  ErrRecordTooLong,
			msg:   `inventory.csv:1: record too long: the record starting on line 1 has more bytes (limit max_record_bytes = 8)`,
		},
		{
			name: "too many columns", rows: 1, final: true,
			cfg:   CSVConfig{File: "inventory.csv", Limits: Limits{MaxColumns: 3}},
			input: "a,b,c\na,b,c,d\n",
			want:  ErrTooManyColumns,
			msg:   `inventory.csv:2: too many columns: the record has more fields (limit max_columns = 3)`,
		},
		{
			name: "read error", rows: 1, final: true,
			cfg:   CSVConfig{File: "inventory.csv"},
			input: "",
			want:  boom,
			msg:   `reading inventory.csv: boom`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var src = strings.NewReader(tc.input)
			var r *CSVReader
			var err error
			if tc.want == boom {
				r, err = NewCSVReader(&failingReader{data: "a,b\nc,d", err: boom}, tc.cfg)
			} else {
				r, err = NewCSVReader(src, tc.cfg)
			}
			if tc.open {
				checkErr(t, err, tc.want, tc.msg)
				checkParseError(t, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rows, err := readAll(t, r)
			if len(rows) != tc.rows {
				t.Errorf("read %d rows before the error, want %d", len(rows), tc.rows)
			}
			checkErr(t, err, tc.want, tc.msg)
			next, again := r.Read()
			switch {
			case tc.final && again != err:
				t.Errorf("after a final error, Read returned %v, %v", next, again)
			case !tc.final && (again != nil || next.Line != tc.nextLine):
				t.Errorf("after a row error, Read returned %v, %v; want the row on line %d", next, again, tc.nextLine)
			}
		})
	}
}

// checkParseError fails unless err is a *ParseError other than a
// configuration error.
func checkParseError(t *testing.T, err error) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Errorf("error %q is not a *ParseError", err)
	}
}

func TestCSVConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  CSVConfig
	}{
		{"two-character delimiter", CSVConfig{Delimiter: ";;"}},
		{"quote as delimiter", CSVConfig{Delimiter: `"`}},
		{"newline comment", CSVConfig{Comment: "\n"}},
		{"comment equals delimiter", CSVConfig{Delimiter: "#", Comment: "#"}},
		{"negative skip", CSVConfig{SkipLines: -1}},
		{"negative limit", CSVConfig{Limits: Limits{MaxColumns: -1}}},
		{"unnamed column", CSVConfig{Columns: []Column{{Number: 1}}}},
		{"duplicate name", CSVConfig{Columns: []Column{{Name: "a", Number: 1}, {Name: "a", Number: 2}}}},
		{"header and number", CSVConfig{Header: true, Columns: []Column{{Name: "a", Header: "A", Number: 1}}}},
		{"name without a header", CSVConfig{Columns: []Column{{Name: "a"}}}},
		{"negative number", CSVConfig{Columns: []Column{{Name: "a", Number: -2}}}},
		{"number beyond max columns", CSVConfig{Limits: Limits{MaxColumns: 4}, Columns: []Column{{Name: "a", Number: 5}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCSVReader(strings.NewReader("a\n"), tc.cfg)
			if !errors.Is(err, ErrConfig) {
				t.Errorf("got %v, want an error wrapping ErrConfig", err)
			}
		})
	}
}

func TestCSVReuseRow(t *testing.T) {
	input := "sku,qty\nA,1\nB,2\n"
	r, err := NewCSVReader(strings.NewReader(input), CSVConfig{Header: true, ReuseRow: true})
	if err != nil {
		t.Fatal(err)
	}
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
	if got, _ := second.Get("sku"); got != "B" || sku != "A" {
		t.Errorf("ReuseRow: got sku %q then %q, want A then B", sku, got)
	}

	r, _ = NewCSVReader(strings.NewReader(input), CSVConfig{Header: true})
	first, _ = r.Read()
	second, _ = r.Read()
	if first == second || rowString(first) == rowString(second) {
		t.Error("without ReuseRow, rows share storage")
	}
}

func TestRowLookup(t *testing.T) {
	r, err := NewCSVReader(strings.NewReader("sku,qty,sku\nA,1,B\n"), CSVConfig{File: "f.csv", Header: true})
	if err != nil {
		t.Fatal(err)
	}
	row, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := row.Get("sku"); !ok || v != "A" {
		t.Errorf(`Get("sku") = %q, %v; want the first, "A"`, v, ok)
	}
	if p, ok := row.Place("qty"); !ok || p.String() != "f.csv:2:3" {
		t.Errorf(`Place("qty") = %v, %v`, p, ok)
	}
	if _, ok := row.Get("SKU"); ok {
		t.Error(`Get("SKU") found a field; names are exact`)
	}
	if got := strings.Join(row.Values(), "|"); got != "A|1|B" {
		t.Errorf("Values() = %q", got)
	}
	if got := strings.Join(r.Header(), "|"); got != "sku|qty|sku" {
		t.Errorf("Header() = %q", got)
	}
}

func TestReadAfterClose(t *testing.T) {
	r, err := NewCSVReader(strings.NewReader("a\n"), CSVConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v, want ErrClosed", err)
	}
}

func TestNewReaderFormats(t *testing.T) {
	for _, cfg := range []Config{
		{Format: FormatCSV, CSV: CSVConfig{Header: true}},
		{Format: FormatFixed, Fixed: FixedConfig{Fields: []FixedField{{Name: "sku", Start: 1, Length: 3}}}},
	} {
		r, err := NewReader(strings.NewReader("sku\nA-1\n"), "in.txt", cfg)
		if err != nil {
			t.Fatal(err)
		}
		row, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := row.Place("sku"); p.File != "in.txt" {
			t.Errorf("%s: place %v does not name the file", cfg.Format, p)
		}
		_ = r.Close()
	}
	if _, err := NewReader(strings.NewReader(""), "x", Config{Format: "json"}); !errors.Is(err, ErrConfig) {
		t.Errorf("unknown format: %v, want ErrConfig", err)
	}
}
