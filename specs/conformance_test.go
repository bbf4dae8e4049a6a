package specs

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current results")

// conformanceDir holds byte-exact copies of the public conformance corpus
// (see testdata/conformance/MANIFEST.md), so the tests work from a clean
// clone.
const conformanceDir = "testdata/conformance"

// conformanceBlobs are the upstream git blob ids from the manifest: the
// copies must hash to them (git hash-object --no-filters).
var conformanceBlobs = map[string]string{
	"olmelabs__EdiEngine/856.Crossdock.OK.edi":                "6ec50fbd0d50c0efe7bf772357da5454a26ba59a",
	"olmelabs__EdiEngine/940.OK.edi":                          "30e6ce5fdd7b41a11435329f46adbe55af333c8d",
	"olmelabs__EdiEngine/940.2.OK.edi":                        "00d0dd59520fe247303f044e5bc6560e6c3b87f2",
	"olmelabs__EdiEngine/940.W05.Only.edi":                    "e44c31690d9cd08949f533cb851f214691d1d156",
	"olmelabs__EdiEngine/940_Failed_SE01.edi":                 "52e4cec1267cf19a2b9836d99d3b72624fb6bc78",
	"olmelabs__EdiEngine/ControlNumbersMismatch.edi":          "03958d884dd3dc13f5611bce558f822f1088367e",
	"olmelabs__EdiEngine/WrongGroupsAndTranCount.edi":         "4b6a91e33936b406ef401cf69eff1c9e27b4674d",
	"olmelabs__EdiEngine/MultipleInterchangesAndGroups.edi":   "88f4eb9abf0d9a6f9765e20a74ccdd90a59fbfb3",
	"olmelabs__EdiEngine/AckTest.edi":                         "e2153529a886b5251052190e3ab06169ca5b5a69",
	"walmartlabs__gozer/asn856.txt":                           "f679ede2547bb453b97cdaac4d66278808dda9c5",
	"walmartlabs__gozer/x12.base.txt":                         "f77b9f6cf9eaaa725a683966dc7c961872bd5f2e",
	"walmartlabs__gozer/x12.base.one.txt":                     "e983ee99fef740147a3a6f2cfefcc99bf338b76c",
	"walmartlabs__gozer/x12.base.no.line.breaks.odd.char.txt": "c28ec963442d9db9bb8dd96b0a795740ccd1531d",
	"walmartlabs__gozer/x12.no.line.break.no.delim.txt":       "e39e73b781f351e57238c297e26db9a3a4a538eb",
	"walmartlabs__gozer/x12.missing.ISA.txt":                  "e8695295e57cf4fb3affdce9d7cd538540a6108c",
	"walmartlabs__gozer/x12.wrong.GS.txt":                     "e0de5eadbf4bb5086eda0f8282d7a60df71e83e1",
	"walmartlabs__gozer/x12.wrong.ISA.txt":                    "88c94e6992220f0e0d1adc13f0599d6d6c5f5c0a",
	"xlate__staedi/simple997.edi":                             "6246d9165179f46fb895246f16832dcfcdb40ce1",
	"xlate__staedi/simple999.edi":                             "be1450ead6bb380eed59629ea68bae3ca12751c6",
	"xlate__staedi/simple997-multiple-interchanges.edi":       "934d5c1d9943b37183f2c3d64e15d1f9471c996d",
	"xlate__staedi/invalid997_min.edi":                        "8071a288c293b4a6d41698c7617ffab79b6fb5ba",
	"xlate__staedi/optionalInterchangeServices.edi":           "d98d42eebdae70f5fa65fc1a8f6444f7a1b4601c",
	"xlate__staedi/ts214_ellipses_segterm.edi":                "670f3f4075af4ea0eb44d3916deab5a53fd5f20d",
	"xlate__staedi/ts210_80char.edi":                          "0f319c45df5769500f518e3e48206df32322da5d",
}

func gitBlobID(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func conformanceFiles(t testing.TB) []string {
	names := make([]string, 0, len(conformanceBlobs))
	for name := range conformanceBlobs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func TestConformanceCopiesAreExact(t *testing.T) {
	for _, name := range conformanceFiles(t) {
		b, err := os.ReadFile(filepath.Join(conformanceDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := gitBlobID(b), conformanceBlobs[name]; got != want {
			t.Errorf("%s: blob %s, manifest says %s: the copy's bytes changed", name, got, want)
		}
	}
}

// TestConformanceCopiesMatchShared compares the copies with the shared
// corpus next to the repository, when it is there.
func TestConformanceCopiesMatchShared(t *testing.T) {
	shared := filepath.Join("..", "..", "shared", "conformance", "x12")
	if _, err := os.Stat(shared); err != nil {
		t.Skip("shared conformance corpus not found:", err)
	}
	for _, name := range conformanceFiles(t) {
		want, err := os.ReadFile(filepath.Join(shared, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got, _ := os.ReadFile(filepath.Join(conformanceDir, name))
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the shared corpus", name)
		}
	}
}

// goldenFile is what the golden test records for one input file.
type goldenFile struct {
	File  string      `json:"file"`
	Error string      `json:"error,omitempty"`
	Sets  []goldenSet `json:"sets"`
}

// goldenSet records a set's verdict: status, AK5 codes and the segment
// errors. The envelope errors' texts belong to the x12 package and are
// left out (their codes are in Codes).
type goldenSet struct {
	Group    string             `json:"group"`
	SetID    string             `json:"set"`
	Control  string             `json:"control"`
	Release  string             `json:"release"`
	Version  string             `json:"version,omitempty"`
	Support  string             `json:"support"`
	Status   string             `json:"status"`
	Codes    []string           `json:"codes"`
	Segments []x12.SegmentError `json:"segments"`
}

// syntaxSentinels name a decoder stop by its sentinel, not its text.
var syntaxSentinels = []error{x12.ErrNoISA, x12.ErrBadISA, x12.ErrBadTerminator, x12.ErrTruncated,
	x12.ErrSegmentTooLong, x12.ErrGarbageAfterIEA, x12.ErrTransactionTooLarge}

func syntaxKind(err error) string {
	for _, s := range syntaxSentinels {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "other: " + err.Error()
}

// validateStream decodes src and validates every set with c.
func validateStream(c *Catalog, name string, src io.Reader) goldenFile {
	g := goldenFile{File: name, Sets: []goldenSet{}}
	dec := x12.NewDecoder(src, nil)
	for {
		ev, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return g
		}
		if err != nil {
			g.Error = syntaxKind(err)
			return g
		}
		if ev.Kind != x12.SetRead {
			continue
		}
		o := c.Check(ev.Transaction)
		r := o.Result
		g.Sets = append(g.Sets, goldenSet{Group: ev.Group.Control, SetID: r.SetID, Control: r.Control, Release: o.Release,
			Version: o.Version, Support: o.Support.String(), Status: r.Status, Codes: r.Codes, Segments: r.Segments})
	}
}

func TestGoldenConformance(t *testing.T) {
	c := mustLoad(t)
	for _, name := range conformanceFiles(t) {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(conformanceDir, name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got := validateStream(c, name, f)
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			golden := filepath.Join("testdata", "golden", filepath.Base(name)+".json")
			if *update {
				if err := os.WriteFile(golden, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./specs -update)", err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("result differs from %s (run go test ./specs -update and review the diff):\n%s", golden, b)
			}
		})
	}
}

func mustLoad(t testing.TB) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
