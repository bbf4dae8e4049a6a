package partners

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

// TestLoadValidGolden loads the example profiles and compares the loaded
// profiles, defaults and resolved paths included, with a JSON golden file.
func TestLoadValidGolden(t *testing.T) {
	d, err := Load("testdata/valid")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got, err := json.MarshalIndent(d.Profiles(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const golden = "testdata/valid.golden.json"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./partners -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("loaded profiles differ from %s (run go test ./partners -update and review the diff):\n%s", golden, got)
	}
}
