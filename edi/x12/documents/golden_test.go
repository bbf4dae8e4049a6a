package documents

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenSet is one decoded set in a golden file.
type goldenSet struct {
	SetID    string   `json:"set_id"`
	Control  string   `json:"control"`
	Document Document `json:"document"`
}

// TestGolden decodes every testdata/*.edi file and compares the JSON of
// its documents with testdata/golden/<file>.json.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.edi")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			sets, _ := readFile(t, path)
			var out []goldenSet
			for _, tx := range sets {
				doc, err := Decode(tx)
				if err != nil {
					t.Fatalf("set %s %s: %v", tx.SetID, tx.Control, err)
				}
				out = append(out, goldenSet{SetID: tx.SetID, Control: tx.Control, Document: doc})
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", filepath.Base(path)+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./edi/x12/documents -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("decoded %s differs from %s (run with -update after checking the change):\n%s", path, golden, got)
			}
		})
	}
}

// TestGoldenJSONRoundTrip checks that each golden document reads back from
// its JSON into the same value, so that the JSON form loses nothing.
func TestGoldenJSONRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.edi")
	for _, path := range files {
		sets, _ := readFile(t, path)
		for _, tx := range sets {
			doc, err := Decode(tx)
			if err != nil {
				t.Fatalf("%s set %s: %v", path, tx.Control, err)
			}
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			back := newDocument(doc.SetID())
			if err := json.Unmarshal(b, back); err != nil {
				t.Fatalf("%s set %s: %v", path, tx.Control, err)
			}
			b2, _ := json.Marshal(back)
			if !bytes.Equal(b, b2) {
				t.Errorf("%s set %s: JSON does not read back the same:\n%s\n%s", path, tx.Control, b, b2)
			}
		}
	}
}

func newDocument(setID string) Document {
	switch setID {
	case "846":
		return &Inventory846{}
	case "856":
		return &ShipNotice856{}
	case "940":
		return &ShippingOrder940{}
	case "850":
		return &PurchaseOrder850{}
	case "943":
		return &TransferShipment943{}
	case "944":
		return &ReceiptAdvice944{}
	case "945":
		return &ShippingAdvice945{}
	case "947":
		return &AdjustmentAdvice947{}
	}
	return &Generic{}
}
