package x12

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// conformanceFiles lists the public X12 test files copied byte for byte
// under testdata/conformance (see testdata/conformance/MANIFEST.md).
func conformanceFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "conformance", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, ".edi") || strings.HasSuffix(f, ".txt") {
			out = append(out, f)
		}
	}
	if len(out) != 24 {
		t.Fatalf("found %d conformance files, want 24", len(out))
	}
	return out
}

// goldenName is the golden file name for a conformance file:
// "<dir>__<file>.json" flattened to one folder.
func goldenName(path string) string {
	dir := filepath.Base(filepath.Dir(path))
	return filepath.Join("testdata", "golden", dir+"__"+filepath.Base(path)+".json")
}

// Summary types: what the golden files record of a Check report.
type (
	errSummary struct {
		Code    string `json:"code,omitempty"`
		Segment string `json:"segment,omitempty"`
		Element int    `json:"element,omitempty"`
		Line    int    `json:"line"`
		Msg     string `json:"msg"`
	}
	setSummary struct {
		ID       string       `json:"id"`
		Control  string       `json:"control"`
		Segments int          `json:"segments"`
		Status   string       `json:"status"`
		Codes    []string     `json:"codes,omitempty"`
		Errors   []errSummary `json:"errors,omitempty"`
	}
	groupSummary struct {
		FunctionalID string       `json:"functional_id"`
		Control      string       `json:"control"`
		Version      string       `json:"version"`
		Status       string       `json:"status"`
		Codes        []string     `json:"codes,omitempty"`
		Errors       []errSummary `json:"errors,omitempty"`
		Sets         []setSummary `json:"sets"`
	}
	interchangeSummary struct {
		Control    string         `json:"control"`
		Version    string         `json:"version"`
		Usage      string         `json:"usage"`
		Delimiters string         `json:"delimiters"`
		TA1        []string       `json:"ta1"`
		Errors     []errSummary   `json:"errors,omitempty"`
		Warnings   []string       `json:"warnings,omitempty"`
		Groups     []groupSummary `json:"groups"`
	}
	reportSummary struct {
		Interchanges []interchangeSummary `json:"interchanges"`
		SyntaxError  string               `json:"syntax_error,omitempty"`
		Accepted     bool                 `json:"accepted"`
	}
)

func summarizeErrors(errs []EnvelopeError) []errSummary {
	var out []errSummary
	for _, e := range errs {
		out = append(out, errSummary{Code: e.Code, Segment: e.Segment, Element: e.Element, Line: e.Pos.Line, Msg: e.Msg})
	}
	return out
}

func summarize(rep *Report, segCounts map[*SetResult]int) reportSummary {
	s := reportSummary{Accepted: rep.Accepted(), Interchanges: []interchangeSummary{}}
	if rep.Err != nil {
		s.SyntaxError = rep.Err.Error()
	}
	for _, icr := range rep.Interchanges {
		ic := icr.Interchange
		d := ic.Delimiters
		is := interchangeSummary{
			Control: ic.Control, Version: ic.Version, Usage: ic.Usage,
			Delimiters: delimString(d), TA1: TA1(ic),
			Errors: summarizeErrors(ic.Errors), Groups: []groupSummary{},
		}
		for _, w := range ic.Warnings {
			is.Warnings = append(is.Warnings, w.String())
		}
		for i := range icr.Groups {
			g := &icr.Groups[i]
			gs := groupSummary{FunctionalID: g.Group.FunctionalID, Control: g.Group.Control, Version: g.Group.Version,
				Status: g.Status(), Codes: g.GroupCodes(), Errors: summarizeErrors(g.Group.Errors), Sets: []setSummary{}}
			for j := range g.Sets {
				r := &g.Sets[j]
				gs.Sets = append(gs.Sets, setSummary{ID: r.SetID, Control: r.Control, Segments: segCounts[r],
					Status: r.Status, Codes: r.Codes, Errors: summarizeErrors(r.Envelope)})
			}
			is.Groups = append(is.Groups, gs)
		}
		s.Interchanges = append(s.Interchanges, is)
	}
	return s
}

func delimString(d Delimiters) string {
	rep := "none"
	if d.Repetition != 0 {
		rep = string(d.Repetition)
	}
	return strings.Join([]string{"elem " + string(d.Element), "comp " + string(d.Component), "rep " + rep, "term " + strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(d.Segment)}, ", ")
}

// checkFile runs Check(EnvelopeOnly) over a file and summarizes the report.
func checkFile(t *testing.T, path string, opts *DecoderOptions) (*Report, reportSummary) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[int]int{}
	n := 0
	rep, err := Check(f, EnvelopeOnly, opts, func(tx *Transaction, res *SetResult) error {
		counts[n] = len(tx.Segments)
		n++
		return nil
	})
	if err != nil {
		t.Fatalf("Check(%s): %v", path, err)
	}
	// Map set results (in report order) to their segment counts.
	segCounts := map[*SetResult]int{}
	k := 0
	for i := range rep.Interchanges {
		for j := range rep.Interchanges[i].Groups {
			g := &rep.Interchanges[i].Groups[j]
			for s := range g.Sets {
				segCounts[&g.Sets[s]] = counts[k]
				k++
			}
		}
	}
	return rep, summarize(rep, segCounts)
}

func TestConformanceGolden(t *testing.T) {
	for _, path := range conformanceFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, sum := checkFile(t, path, nil)
			got, err := json.MarshalIndent(sum, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := goldenName(path)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./edi/x12 -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from golden %s:\n%s", path, golden, diffLines(string(want), string(got)))
			}
		})
	}
}

// diffLines shows the first lines where want and got differ.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 3; i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			shown++
			b.WriteString("line " + itoa(i+1) + ":\n  want " + a + "\n  got  " + c + "\n")
		}
	}
	return b.String()
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

var _ = errors.Is
