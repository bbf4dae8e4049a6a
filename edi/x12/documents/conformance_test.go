package documents

import (
	"path/filepath"
	"reflect"
	"testing"
)

// TestConformanceRoundTrip decodes every set of the sample and conformance
// files, encodes it again and checks that the segments are the same, and
// that decoding the output gives the same document.
func TestConformanceRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.edi")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			sets, delims := readFile(t, path)
			if len(sets) == 0 {
				t.Fatal("no transaction sets")
			}
			for _, tx := range sets {
				if len(tx.Errors) > 0 {
					t.Fatalf("set %s %s: envelope errors %v", tx.SetID, tx.Control, tx.Errors)
				}
				doc, err := Decode(tx)
				if err != nil {
					t.Fatalf("set %s %s: %v", tx.SetID, tx.Control, err)
				}
				out := encodeSets(t, delims, tx.Group.Version, doc)
				again, _ := readSets(t, out)
				if len(again) != 1 {
					t.Fatalf("re-encoded %d sets, want 1", len(again))
				}
				if len(again[0].Errors) > 0 {
					t.Fatalf("re-encoded set has envelope errors %v:\n%s", again[0].Errors, out)
				}
				if got, want := elements(again[0]), elements(tx); !reflect.DeepEqual(got, want) {
					t.Errorf("set %s %s: segments differ after a round trip\n got %q\nwant %q", tx.SetID, tx.Control, got, want)
				}
				doc2, err := Decode(again[0])
				if err != nil {
					t.Fatalf("decoding the re-encoded set: %v", err)
				}
				if !reflect.DeepEqual(doc, doc2) {
					t.Errorf("set %s %s: document differs after a round trip", tx.SetID, tx.Control)
				}
			}
		})
	}
}
