package flat

import (
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestConfigFromYAML decodes the shape a partner profile gives, with the
// field names of the yaml tags.
func TestConfigFromYAML(t *testing.T) {
	profile := `
format: csv
csv:
  delimiter: ";"
  comment: "#"
  skip_lines: 2
  header: true
  trim_space: true
  strict_field_count: true
  columns:
    - {name: sku, header: Item}
    - {name: qty, header: "On hand"}
    - {name: lot, number: 7, optional: true}
  limits: {max_record_bytes: 4096, max_columns: 64}
`
	var got Config
	if err := yaml.Unmarshal([]byte(profile), &got); err != nil {
		t.Fatal(err)
	}
	want := Config{Format: FormatCSV, CSV: CSVConfig{
		Delimiter: ";", Comment: "#", SkipLines: 2, Header: true, TrimSpace: true, StrictFieldCount: true,
		Columns: []Column{{Name: "sku", Header: "Item"}, {Name: "qty", Header: "On hand"}, {Name: "lot", Number: 7, Optional: true}},
		Limits:  Limits{MaxRecordBytes: 4096, MaxColumns: 64},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded:\n%+v\nwant:\n%+v", got, want)
	}

	fixed := `
format: fixed
fixed:
  skip_lines: 1
  record_type: D
  record_type_start: 1
  keep_padding: true
  runes: true
  fields:
    - {name: upc, start: 2, length: 12}
    - {name: note, start: 19, length: 20, optional: true}
excel:
  sheet: Stock
  header_row: 3
  max_file_bytes: 1000
  max_unzip_bytes: 2000
  max_part_bytes: 300
  max_parts: 40
  max_shared_strings: 50
  max_shared_string_bytes: 600
  max_cell_bytes: 70
`
	got = Config{}
	if err := yaml.Unmarshal([]byte(fixed), &got); err != nil {
		t.Fatal(err)
	}
	want = Config{Format: FormatFixed,
		Fixed: FixedConfig{SkipLines: 1, RecordType: "D", RecordTypeStart: 1, KeepPadding: true, Runes: true,
			Fields: []FixedField{{Name: "upc", Start: 2, Length: 12}, {Name: "note", Start: 19, Length: 20, Optional: true}}},
		Excel: ExcelConfig{Sheet: "Stock", HeaderRow: 3, WorkbookLimits: WorkbookLimits{MaxFileBytes: 1000, MaxUnzipBytes: 2000,
			MaxPartBytes: 300, MaxParts: 40, MaxSharedStrings: 50, MaxSharedStringBytes: 600, MaxCellBytes: 70}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded:\n%+v\nwant:\n%+v", got, want)
	}
}

// TestConfigYAMLIgnoresRuntimeFields checks that a profile cannot set the
// file name, row reuse or the temporary directory.
func TestConfigYAMLIgnoresRuntimeFields(t *testing.T) {
	var got Config
	err := yaml.Unmarshal([]byte("format: xlsx\nexcel: {file: x, reuse_row: true, tmp_dir: /etc, reuserow: true, tmpdir: /etc}\n"), &got)
	if err != nil {
		t.Fatal(err)
	}
	if got.Excel.File != "" || got.Excel.ReuseRow || got.Excel.TmpDir != "" {
		t.Errorf("runtime fields set from YAML: %+v", got.Excel)
	}
	if !strings.EqualFold(string(got.Format), "xlsx") {
		t.Errorf("format %q", got.Format)
	}
}
