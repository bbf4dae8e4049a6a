package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlatConfig reads the flat-file limits from a file and the
// environment, and refuses limits that are not positive.
func TestFlatConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dockside.yaml")
	if err := os.WriteFile(path, []byte("flat:\n  max_rows: 10\n  max_shared_strings: 20\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DOCKSIDE_FLAT_MAX_CELL_BYTES": "30"}
	c, err := LoadConfig(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	l := c.Flat.limits(c.MaxFileSize)
	if l.MaxRows != 10 || l.Workbook.MaxSharedStrings != 20 || l.Workbook.MaxCellBytes != 30 ||
		l.MaxProblems != 1000 || l.Workbook.MaxFileBytes != c.MaxFileSize || l.Record.MaxRecordBytes != 1<<20 {
		t.Errorf("limits %+v", l)
	}
	env["DOCKSIDE_FLAT_MAX_PARTS"] = "0"
	if _, err := LoadConfig(path, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "flat.max_parts: 0 must be positive") {
		t.Errorf("max_parts 0 from the environment: %v", err)
	}
	for yaml, want := range map[string][]string{
		"flat:\n  max_rows: 0\n  max_part_bytes: -1\n": {"flat.max_rows: 0 must be positive", "flat.max_part_bytes: -1 must be positive"},
		"flat:\n  max_rows: 1000001\n":                 {"flat.max_rows: 1000001 is more than the ledger posts in one document (1000000)"},
	} {
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = LoadConfig(path, func(string) string { return "" })
		for _, w := range want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("LoadConfig of %q: %v, want %q", yaml, err, w)
			}
		}
	}
}
