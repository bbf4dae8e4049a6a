package flat

import (
	"errors"
	"strings"
	"testing"
)

// stockFields is the layout of the fixed-width test lines: "D", a 12-digit
// UPC, a 5-wide quantity.
var stockFields = []FixedField{{Name: "upc", Start: 2, Length: 12}, {Name: "qty", Start: 14, Length: 5}}

func TestFixedRows(t *testing.T) {
	tests := []struct {
		name  string
		cfg   FixedConfig
		input string
		want  []string
	}{
		{
			name:  "leading zeros kept, padding trimmed, CR tolerated",
			cfg:   FixedConfig{File: "stock.txt", Fields: stockFields},
			input: "D012345678905 0012\r\nD000000000017    7\r\r\n",
			want:  []string{"1: upc=012345678905@stock.txt:1:2 qty=0012@stock.txt:1:14", "2: upc=000000000017@stock.txt:2:2 qty=7@stock.txt:2:14"},
		},
		{
			name:  "keep padding",
			cfg:   FixedConfig{File: "stock.txt", Fields: stockFields, KeepPadding: true},
			input: "D012345678905   12\n",
			want:  []string{"1: upc=012345678905@stock.txt:1:2 qty=   12@stock.txt:1:14"},
		},
		{
			name:  "record type filter and skipped header; blank lines skipped",
			cfg:   FixedConfig{File: "stock.txt", Fields: stockFields, SkipLines: 1, RecordType: "D"},
			input: "D header that looks like a detail\nH20261126\n\n   \nD012345678905   12\nT1\n",
			want:  []string{"5: upc=012345678905@stock.txt:5:2 qty=12@stock.txt:5:14"},
		},
		{
			name:  "record type away from column 1; short lines do not match",
			cfg:   FixedConfig{File: "stock.txt", Fields: []FixedField{{Name: "sku", Start: 1, Length: 3}}, RecordType: "02", RecordTypeStart: 4},
			input: "AAA01\nBBB02\nCC\n",
			want:  []string{"2: sku=BBB@stock.txt:2:1"},
		},
		{
			name:  "optional last field cut short",
			cfg:   FixedConfig{File: "stock.txt", Fields: []FixedField{{Name: "sku", Start: 1, Length: 3}, {Name: "note", Start: 4, Length: 10, Optional: true}}},
			input: "AAAxy\nBBB\n",
			want:  []string{"1: sku=AAA@stock.txt:1:1 note=xy@stock.txt:1:4", "2: sku=BBB@stock.txt:2:1 note=@stock.txt:2:4"},
		},
		{
			name:  "runes: columns are characters",
			cfg:   FixedConfig{File: "stock.txt", Runes: true, Fields: []FixedField{{Name: "name", Start: 1, Length: 6}, {Name: "qty", Start: 7, Length: 2}}, RecordType: "é", RecordTypeStart: 2},
			input: "Crème 12\nxéyzzz34\nxeyzzz56\n",
			want:  []string{"2: name=xéyzzz@stock.txt:2:1 qty=34@stock.txt:2:7"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewFixedReader(strings.NewReader(tc.input), tc.cfg)
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

func TestFixedErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name     string
		cfg      FixedConfig
		input    string
		rows     int
		want     error
		msg      string
		final    bool
		nextLine int
	}{
		{
			name: "short line names line, column and field", rows: 1, nextLine: 4,
			cfg:   FixedConfig{File: "stock.txt", Fields: stockFields},
			input: "D012345678905   12\nD01234567890\n\nD000000000017    7\n",
			want:  ErrShortLine,
			msg:   `stock.txt:2:2: field "upc": line too short: line has 12 columns, field needs columns 2-13`,
		},
		{
			name: "short line in characters", rows: 0, nextLine: 2,
			cfg:   FixedConfig{File: "stock.txt", Runes: true, Fields: []FixedField{{Name: "name", Start: 1, Length: 5}}},
			input: "Thé\nabcde\n",
			want:  ErrShortLine,
			msg:   `stock.txt:1:1: field "name": line too short: line has 3 columns, field needs columns 1-5`,
		},
		{
			name: "line over the limit", rows: 1, final: true,
			cfg:   FixedConfig{File: "stock.txt", Fields: stockFields, Limits: Limits{MaxRecordBytes: 40}},
			input: "D012345678905   12\n" + strings.Repeat("D012345678905   12", 100) + "\nD012345678905   12\n",
			want:  ErrRecordTooLong,
			msg:   `stock.txt:2: record too long: the record starting on line 2 has more bytes (limit max_record_bytes = 40)`,
		},
		{
			name: "read error", rows: 1, final: true,
			cfg:  FixedConfig{File: "stock.txt", Fields: stockFields},
			want: boom,
			msg:  `reading stock.txt: boom`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r *FixedReader
			var err error
			if tc.want == boom {
				r, err = NewFixedReader(&failingReader{data: "D012345678905   12\nD0123", err: boom}, tc.cfg)
			} else {
				r, err = NewFixedReader(strings.NewReader(tc.input), tc.cfg)
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

func TestFixedConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  FixedConfig
	}{
		{"no fields", FixedConfig{}},
		{"unnamed field", FixedConfig{Fields: []FixedField{{Start: 1, Length: 1}}}},
		{"duplicate name", FixedConfig{Fields: []FixedField{{Name: "a", Start: 1, Length: 1}, {Name: "a", Start: 2, Length: 1}}}},
		{"start 0", FixedConfig{Fields: []FixedField{{Name: "a", Start: 0, Length: 1}}}},
		{"length 0", FixedConfig{Fields: []FixedField{{Name: "a", Start: 1, Length: 0}}}},
		{"beyond the line limit", FixedConfig{Limits: Limits{MaxRecordBytes: 10}, Fields: []FixedField{{Name: "a", Start: 5, Length: 10}}}},
		{"negative skip", FixedConfig{SkipLines: -1, Fields: []FixedField{{Name: "a", Start: 1, Length: 1}}}},
		{"negative record type start", FixedConfig{RecordTypeStart: -1, Fields: []FixedField{{Name: "a", Start: 1, Length: 1}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewFixedReader(strings.NewReader("a\n"), tc.cfg)
			if !errors.Is(err, ErrConfig) {
				t.Errorf("got %v, want an error wrapping ErrConfig", err)
			}
		})
	}
}

func TestFixedReuseRow(t *testing.T) {
	r, err := NewFixedReader(strings.NewReader("D012345678905   12\nD000000000017    7\n"), FixedConfig{Fields: stockFields, ReuseRow: true})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := r.Read()
	upc, _ := first.Get("upc")
	second, _ := r.Read()
	if first != second {
		t.Error("ReuseRow: Read returned a new Row")
	}
	if got, _ := second.Get("upc"); got != "000000000017" || upc != "012345678905" {
		t.Errorf("ReuseRow: got %q then %q", upc, got)
	}
	if len(second.Fields) != 2 {
		t.Errorf("ReuseRow: %d fields, want 2", len(second.Fields))
	}
}
