package x12

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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

func itoa(i int) string { return strconv.Itoa(i) }

// TestConformanceBytes checks that the copies under testdata/conformance are
// byte for byte the upstream files: their git blob ids must be the ones
// MANIFEST.md lists (as "git hash-object --no-filters" computes them).
func TestConformanceBytes(t *testing.T) {
	manifest, err := os.ReadFile(filepath.Join("testdata", "conformance", "MANIFEST.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| ([\w.-]+__[\w.-]+/[^ |]+) \|.*\| ([0-9a-f]{40}) \|$`)
	rows := row.FindAllStringSubmatch(string(manifest), -1)
	if len(rows) != 24 {
		t.Fatalf("MANIFEST lists %d blob ids, want 24", len(rows))
	}
	for _, m := range rows {
		data, err := os.ReadFile(filepath.Join("testdata", "conformance", filepath.FromSlash(m[1])))
		if err != nil {
			t.Error(err)
			continue
		}
		h := sha1.New()
		fmt.Fprintf(h, "blob %d\x00", len(data))
		h.Write(data)
		if got := hex.EncodeToString(h.Sum(nil)); got != m[2] {
			t.Errorf("%s: blob %s, MANIFEST says %s (line endings changed?)", m[1], got, m[2])
		}
	}
}

// conformanceCase is what MANIFEST.md says about one file, as assertions.
type conformanceCase struct {
	file         string
	syntax       error    // the error that stops reading, nil when none
	interchanges int      // interchanges listed
	sets         int      // sets read
	accepted     bool     // Report.Accepted()
	problems     []string // every envelope problem, as problems() lists them
	warn         string   // a warning that must be there (lenient)
	strict       error    // the syntax error in strict mode (nil: as lenient)
	strictOK     bool     // accepted in strict mode too
}

var conformanceCases = []conformanceCase{
	{file: "olmelabs__EdiEngine/856.Crossdock.OK.edi", interchanges: 1, sets: 1, accepted: true, strictOK: true},
	{file: "olmelabs__EdiEngine/940.OK.edi", interchanges: 1, sets: 1, accepted: true, strictOK: true},
	{file: "olmelabs__EdiEngine/940.2.OK.edi", interchanges: 1, sets: 1, accepted: true, strictOK: true},
	{file: "olmelabs__EdiEngine/940.W05.Only.edi", interchanges: 1, sets: 1, accepted: true, strictOK: true},
	{file: "olmelabs__EdiEngine/940_Failed_SE01.edi", interchanges: 1, sets: 1, problems: []string{"AK5 20066 SE1 4"}},
	{file: "olmelabs__EdiEngine/ControlNumbersMismatch.edi", interchanges: 1, sets: 1,
		problems: []string{"TA1 IEA2 001", "AK9 GE2 4", "AK5 0001 SE2 3"}},
	{file: "olmelabs__EdiEngine/WrongGroupsAndTranCount.edi", interchanges: 1, sets: 1,
		problems: []string{"TA1 IEA1 021", "AK9 GE1 5"}, warn: `IEA02 "3438" matches ISA13 "000003438" only without zero padding`},
	{file: "olmelabs__EdiEngine/MultipleInterchangesAndGroups.edi", interchanges: 2, sets: 6, accepted: true,
		warn: `IEA02 "3439" matches ISA13 "000003439" only without zero padding`},
	{file: "olmelabs__EdiEngine/AckTest.edi", interchanges: 1, sets: 3, accepted: true, strictOK: true},
	{file: "walmartlabs__gozer/asn856.txt", interchanges: 1, sets: 1, problems: []string{"TA1 IEA2 001"}},
	{file: "walmartlabs__gozer/x12.base.txt", interchanges: 1, sets: 4, problems: []string{"AK9 GE1 5",
		"AK5 0001 ST1 6", "AK5 0001 SE1 4", "AK5 0002 ST1 6", "AK5 0002 SE1 4", "AK5 0099 ST1 6", "AK5 0099 SE1 4", "AK5 0003 ST1 6", "AK5 0003 SE1 4"}},
	{file: "walmartlabs__gozer/x12.base.one.txt", interchanges: 1, sets: 1, problems: []string{"TA1 IEA1 021", "AK5 0001 ST1 6", "AK5 0001 SE1 4"}},
	{file: "walmartlabs__gozer/x12.base.no.line.breaks.odd.char.txt", interchanges: 1, sets: 4, problems: []string{"AK9 GE1 5",
		"AK5 0001 ST1 6", "AK5 0001 SE1 4", "AK5 0002 ST1 6", "AK5 0002 SE1 4", "AK5 0099 ST1 6", "AK5 0099 SE1 4", "AK5 0003 ST1 6", "AK5 0003 SE1 4"},
		warn: "non-ASCII segment terminator", strict: ErrStrict},
	{file: "walmartlabs__gozer/x12.no.line.break.no.delim.txt", syntax: ErrBadTerminator},
	{file: "walmartlabs__gozer/x12.missing.ISA.txt", syntax: ErrNoISA},
	{file: "walmartlabs__gozer/x12.wrong.GS.txt", interchanges: 1, sets: 1, problems: []string{
		"TA1 XX0 024", "TA1 ST0 024", "TA1 TEST0 024", "TA1 GE0 022", "TA1 IEA1 021", "AK5 0003 ST1 6", "AK5 0003 SE1 4"}},
	{file: "walmartlabs__gozer/x12.wrong.ISA.txt", syntax: ErrNoISA},
	{file: "xlate__staedi/simple997.edi", interchanges: 1, sets: 1, accepted: true, strictOK: true},
	{file: "xlate__staedi/simple999.edi", interchanges: 1, sets: 1, accepted: true, strictOK: true},
	{file: "xlate__staedi/simple997-multiple-interchanges.edi", interchanges: 3, sets: 3, accepted: true, strictOK: true},
	{file: "xlate__staedi/invalid997_min.edi", interchanges: 1, sets: 1, problems: []string{"AK9 GS4 ", "AK9 GS5 ", "AK9 GE2 6", "AK9 GE2 4"}},
	{file: "xlate__staedi/optionalInterchangeServices.edi", interchanges: 1, sets: 1, accepted: true, warn: "interchange service segment ISB"},
	{file: "xlate__staedi/ts214_ellipses_segterm.edi", interchanges: 1, sets: 1, accepted: true, warn: "non-ASCII segment terminator", strict: ErrStrict},
	{file: "xlate__staedi/ts210_80char.edi", interchanges: 1, sets: 1, accepted: true, warn: "wrapped", strict: ErrStrict},
}

func TestConformanceExpectations(t *testing.T) {
	if len(conformanceCases) != len(conformanceFiles(t)) {
		t.Fatalf("%d cases for %d files", len(conformanceCases), len(conformanceFiles(t)))
	}
	for _, c := range conformanceCases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			path := filepath.Join("testdata", "conformance", filepath.FromSlash(c.file))
			rep, _ := checkFile(t, path, nil)
			if !errors.Is(rep.Err, c.syntax) || (c.syntax == nil && rep.Err != nil) {
				t.Fatalf("syntax error %v, want %v", rep.Err, c.syntax)
			}
			if c.syntax != nil {
				var se *SyntaxError
				if !errors.As(rep.Err, &se) || se.Pos.Line < 1 {
					t.Errorf("error without a place: %v", rep.Err)
				}
			}
			sets := 0
			for _, icr := range rep.Interchanges {
				for _, g := range icr.Groups {
					sets += len(g.Sets)
				}
			}
			if len(rep.Interchanges) != c.interchanges || sets != c.sets {
				t.Errorf("%d interchanges, %d sets; want %d, %d", len(rep.Interchanges), sets, c.interchanges, c.sets)
			}
			if got := problems(rep); !slices.Equal(got, c.problems) {
				t.Errorf("problems %q\nwant     %q", got, c.problems)
			}
			if rep.Accepted() != c.accepted {
				t.Errorf("Accepted() = %v", rep.Accepted())
			}
			var warns []string
			for _, icr := range rep.Interchanges {
				for _, w := range icr.Interchange.Warnings {
					warns = append(warns, w.Msg)
				}
			}
			if c.warn != "" && !strings.Contains(strings.Join(warns, "\n"), c.warn) {
				t.Errorf("warnings %q, want %q", warns, c.warn)
			}

			strictRep, _ := checkFile(t, path, &DecoderOptions{Reader: ReaderOptions{Strict: true}})
			switch {
			case c.strict != nil:
				if !errors.Is(strictRep.Err, c.strict) {
					t.Errorf("strict: error %v, want %v", strictRep.Err, c.strict)
				}
			case c.strictOK:
				if !strictRep.Accepted() {
					t.Errorf("strict: not accepted: %v %q", strictRep.Err, problems(strictRep))
				}
			case c.accepted || c.warn != "":
				if strictRep.Accepted() {
					t.Errorf("strict: accepted a file that needs a leniency (%s)", c.warn)
				}
			}
		})
	}
}

// TestConformanceKeyExpectations spells out the MANIFEST's key findings one
// by one, as codes a TA1, an AK9 and an AK5 would carry.
func TestConformanceKeyExpectations(t *testing.T) {
	check := func(file string, opts *DecoderOptions) *Report {
		t.Helper()
		rep, _ := checkFile(t, filepath.Join("testdata", "conformance", filepath.FromSlash(file)), opts)
		return rep
	}
	rep := check("olmelabs__EdiEngine/ControlNumbersMismatch.edi", nil)
	g := rep.Interchanges[0].Groups[0]
	if TA1(rep.Interchanges[0].Interchange)[4] != NoteControlMismatch || !slices.Equal(g.GroupCodes(), []string{GroupControlMismatch}) ||
		!slices.Equal(g.Sets[0].Codes, []string{SetControlMismatch}) || g.Status() != StatusRejected {
		t.Errorf("ControlNumbersMismatch: TA1 %q AK9 %q AK5 %q", TA1(rep.Interchanges[0].Interchange), g.GroupCodes(), g.Sets[0].Codes)
	}
	rep = check("olmelabs__EdiEngine/WrongGroupsAndTranCount.edi", nil)
	g = rep.Interchanges[0].Groups[0]
	if TA1(rep.Interchanges[0].Interchange)[4] != NoteBadGroupCount || !slices.Equal(g.GroupCodes(), []string{GroupSetCountWrong}) {
		t.Errorf("WrongGroupsAndTranCount: TA1 %q AK9 %q", TA1(rep.Interchanges[0].Interchange), g.GroupCodes())
	}
	// Strictly, the unpadded IEA02 is a mismatch too.
	rep = check("olmelabs__EdiEngine/WrongGroupsAndTranCount.edi", &DecoderOptions{Reader: ReaderOptions{Strict: true}})
	if got := problems(rep); !slices.Contains(got, "TA1 IEA2 001") {
		t.Errorf("WrongGroupsAndTranCount strict: %q", got)
	}
	rep = check("walmartlabs__gozer/asn856.txt", nil)
	if TA1(rep.Interchanges[0].Interchange)[4] != NoteControlMismatch {
		t.Errorf("asn856: TA1 %q", TA1(rep.Interchanges[0].Interchange))
	}
	rep = check("walmartlabs__gozer/x12.base.txt", nil)
	n := 0
	for _, g := range rep.Interchanges[0].Groups {
		for _, s := range g.Sets {
			if slices.Contains(s.Codes, SetSegmentCountWrong) {
				n++
			}
		}
	}
	if n != 4 {
		t.Errorf("x12.base: %d sets with SE01 code 4, want 4", n)
	}
	rep = check("walmartlabs__gozer/x12.wrong.GS.txt", nil)
	var outside bool
	for _, e := range rep.Interchanges[0].Interchange.Errors {
		outside = outside || (e.Segment == "ST" && strings.Contains(e.Msg, "outside a functional group") && e.Pos.Line == 3)
	}
	if !outside {
		t.Errorf("x12.wrong.GS: no error for the STs outside a group: %+v", rep.Interchanges[0].Interchange.Errors)
	}
	rep = check("xlate__staedi/invalid997_min.edi", nil)
	g = rep.Interchanges[0].Groups[0]
	if codes := g.GroupCodes(); !slices.Contains(codes, GroupControlMismatch) || !slices.Contains(codes, GroupControlSyntax) {
		t.Errorf("invalid997_min: AK9 codes %q", codes)
	}
	var gs4, gs5 bool
	for _, e := range g.Group.Errors {
		gs4 = gs4 || (e.Segment == "GS" && e.Element == 4)
		gs5 = gs5 || (e.Segment == "GS" && e.Element == 5)
	}
	if !gs4 || !gs5 || g.Status() != StatusRejected {
		t.Errorf("invalid997_min: GS04 %v GS05 %v status %s", gs4, gs5, g.Status())
	}
	for file, want := range map[string]error{
		"walmartlabs__gozer/x12.missing.ISA.txt":            ErrNoISA,
		"walmartlabs__gozer/x12.wrong.ISA.txt":              ErrNoISA,
		"walmartlabs__gozer/x12.no.line.break.no.delim.txt": ErrBadTerminator,
	} {
		if rep := check(file, nil); !errors.Is(rep.Err, want) || len(rep.Interchanges) != 0 {
			t.Errorf("%s: %v, want %v", file, rep.Err, want)
		}
	}
}
