package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
)

// The robustness budget of one hostile flat file: generous bounds that a
// gateway whose memory follows the input instead of its limits misses by
// far (the issue measured 3.8 to 13.8 GB and up to 390 s). They guard
// correctness, not speed.
const (
	flatRobustMaxRSS  = 256 << 20
	flatRobustMaxTime = 60 * time.Second
)

// flatRobustProfile is the partner that sends the hostile files: a CSV and
// an xlsx snapshot through a watched folder.
const flatRobustProfile = `id: hostile
name: Hostile Sender
role: supplier
transports:
  inbound:
    - folder:
        path: %s
        done_suffix: .done
tables:
  items:
    map: {A1: SKU-A}
    on_miss: pass
documents:
  - type: csv
    match: "*.csv"
    content: snapshot
    mapping:
      items: {lookup: items}
      csv: {delimiter: ",", header: true}
      columns: {sku: item, quantity: qty}
      location: {source: fixed, id: W1}
  - type: xlsx
    match: "*.xlsx"
    content: snapshot
    mapping:
      items: {lookup: items}
      xlsx: {header_row: 1}
      columns: {sku: item, quantity: qty}
      location: {source: fixed, id: W1}
`

// flatRobustCase is one hostile input: how to write it, and what its
// failure must say.
type flatRobustCase struct {
	name  string
	file  string // file name (its extension picks the document)
	large bool   // takes seconds to generate: skipped with -short
	gen   func(w io.Writer) error
	want  []string // in the failed message's errors
}

// flatRobustCases are the hostile inputs of issue 16 §3, and a few more.
func flatRobustCases() []flatRobustCase {
	header := `<row r="1"><c r="A1" t="inlineStr"><is><t>item</t></is></c><c r="B1" t="inlineStr"><is><t>qty</t></is></c></row>`
	return []flatRobustCase{
		{
			name: "shared strings expanding to 1 GB", file: "sst-1gb.xlsx", large: true,
			gen:  xlsxGen(strRows(header), repeatXML(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`, `<si><t>x</t></si>`, 60_000_000, `</sst>`)),
			want: []string{"xl/sharedStrings.xml: file too large: unzips to", "limit max_part_bytes = 536870912"},
		},
		{
			name: "a single 1 GB shared string", file: "string-1gb.xlsx", large: true,
			gen:  xlsxGen(strRows(header), repeatXML(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>`, `xxxxxxxxxxxxxxxx`, 1<<26, `</t></si></sst>`)),
			want: []string{"xl/sharedStrings.xml: file too large: unzips to", "limit max_part_bytes = 536870912"},
		},
		{
			name: "a single 256 MB shared string", file: "string-256mb.xlsx", large: true,
			gen:  xlsxGen(strRows(header), repeatXML(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>`, `xxxxxxxxxxxxxxxx`, 1<<24, `</t></si></sst>`)),
			want: []string{"xl/sharedStrings.xml: record too long: shared string 0 is longer", "limit max_cell_bytes = 131072"},
		},
		{
			name: "77 M tiny shared strings", file: "sst-77m.xlsx", large: true,
			gen:  xlsxGen(strRows(header), repeatXML(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`, `<si/>`, 77_000_000, `</sst>`)),
			want: []string{"xl/sharedStrings.xml: file too large: more shared strings", "limit max_shared_strings = 1000000"},
		},
		{
			name: "2 M tiny shared strings", file: "sst-2m.xlsx",
			gen:  xlsxGen(strRows(header+`<row r="2"><c r="A2" t="s"><v>0</v></c></row>`), repeatXML(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`, `<si><t>a</t></si>`, 2_000_000, `</sst>`)),
			want: []string{"xl/sharedStrings.xml: file too large: more shared strings", "limit max_shared_strings = 1000000"},
		},
		{
			name: "a row of 66 M cells", file: "row-66m.xlsx", large: true,
			gen:  xlsxGen(repeatXML(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+header+`<row r="2">`, `<c/>`, 66_000_000, `</row></sheetData></worksheet>`), nil),
			want: []string{"Sheet1 row 2: xl/worksheets/sheet1.xml: unreadable workbook: the row has more than 16384 cells"},
		},
		{
			name: "a row of 1 M valued cells", file: "row-1m.xlsx",
			gen:  xlsxGen(repeatXML(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+header+`<row r="2">`, `<c><v>1</v></c>`, 1_000_000, `</row></sheetData></worksheet>`), nil),
			want: []string{"Sheet1!AMK2: too many columns: a value in column 1025", "limit max_columns = 1024"},
		},
		{
			name: "1 M rows with a cell in the last column", file: "far-cells.xlsx",
			gen: xlsxGen(countedRows(header, 1_000_000, func(n int) string {
				return `<row r="` + strconv.Itoa(n) + `"><c r="XFD` + strconv.Itoa(n) + `"><v>1</v></c></row>`
			}), nil),
			want: []string{"Sheet1!XFD2: too many columns: a value in column 16384", "limit max_columns = 1024"},
		},
		{
			name: "1 M good rows", file: "rows-1m.xlsx",
			gen: xlsxGen(countedRows(header, 1_000_000, func(n int) string {
				return `<row r="` + strconv.Itoa(n) + `"><c t="inlineStr"><is><t>A1</t></is></c><c><v>` + strconv.Itoa(n%100) + `</v></c></row>`
			}), nil),
			want: []string{"too many rows: more than 100000", "limit max_rows = 100000", "nothing of the file is posted"},
		},
		{
			name: "a sheet of 500 MB of empty elements", file: "elements.xlsx", large: true,
			gen:  xlsxGen(repeatXML(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`, `<x a="1"/>`, 50_000_000, `</sheetData></worksheet>`), nil),
			want: []string{"Sheet1 row 1: no header: the sheet ends at row 0"},
		},
		{
			name: "a corrupted byte under the zip checksum", file: "corrupt.xlsx",
			gen:  corruptedXLSX(header),
			want: []string{"xl/worksheets/sheet1.xml: unreadable workbook: zip: checksum error"},
		},
		{
			name: "a sheet whose declared size is wrong", file: "size.xlsx",
			gen:  wrongSizeXLSX(header),
			want: []string{"xl/worksheets/sheet1.xml: unreadable workbook: unexpected EOF"},
		},
		{
			name: "8.7 M CSV rows in 200 MB", file: "rows-8m.csv", large: true,
			gen:  csvGen(8_700_000, "A1,%d,padding-padding\n"),
			want: []string{"too many rows: more than 100000", "limit max_rows = 100000"},
		},
		{
			name: "1 M CSV rows", file: "rows-1m.csv",
			gen:  csvGen(1_000_000, "A1,%d\n"),
			want: []string{"too many rows: more than 100000", "limit max_rows = 100000"},
		},
		{
			name: "30 M CSV rows without an item", file: "empty-items.csv", large: true,
			gen:  csvGen(30_000_000, ",%d\n"),
			want: []string{"more than 1000 problems", "limit max_problems = 1000"},
		},
		{
			name: "250 CSV rows of 1 MB quantities", file: "big-values.csv", large: true,
			gen:  csvGen(250, "A1,%d"+strings.Repeat("9", 999_000)+"\n"),
			want: []string{`quantity "`, `…": longer than 1024 bytes`},
		},
		{
			name: "one 200 MB CSV line", file: "line.csv", large: true,
			gen: func(w io.Writer) error {
				if _, err := io.WriteString(w, "item,qty\nA1,"); err != nil {
					return err
				}
				return repeatTo(w, "9999999999999999", 200<<20/16)
			},
			want: []string{"record too long: the record starting on line 2 has more bytes", "limit max_record_bytes = 1048576"},
		},
	}
}

// TestFlatRobustnessIngest runs each hostile input through `dockside
// ingest` in a child process and checks: exit 1, the message failed with
// a clear error naming the limit, nothing posted, the original bytes kept
// in the inbox, within the time and memory budget (the child's peak RSS
// from wait4's rusage).
func TestFlatRobustnessIngest(t *testing.T) {
	bin := flatRobustBinary(t)
	inputs := t.TempDir()
	if dir := os.Getenv("DOCKSIDE_FLAT_ROBUST_KEEP"); dir != "" {
		inputs = dir // keep the generated inputs, to measure another build
	}
	for _, tc := range flatRobustCases() {
		t.Run(tc.name, func(t *testing.T) {
			if tc.large && testing.Short() {
				t.Skip("large input; skipped with -short")
			}
			dir := t.TempDir()
			partners := writeFlatRobustProfile(t, dir)
			path := filepath.Join(inputs, tc.file)
			sum := writeFlatRobustInput(t, path, tc.gen)
			ctx, cancel := context.WithTimeout(context.Background(), 2*flatRobustMaxTime)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "ingest", "--partner", "hostile", "--partners", partners, "--data", filepath.Join(dir, "data"), path)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			err := cmd.Run()
			took := time.Since(start)
			rss := maxRSS(cmd)
			t.Logf("%s: %d MB, peak RSS %.0f MB, %.1f s", tc.file, fileSize(t, path)>>20, float64(rss)/(1<<20), took.Seconds())
			if code := cmd.ProcessState.ExitCode(); code != exitFail {
				t.Fatalf("exit %d (%v), want %d:\n%s", code, err, exitFail, limitOutput(out.String()))
			}
			if took > flatRobustMaxTime {
				t.Errorf("took %v, budget %v", took, flatRobustMaxTime)
			}
			if rss > flatRobustMaxRSS {
				t.Errorf("peak RSS %d MB, budget %d MB", rss>>20, flatRobustMaxRSS>>20)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, limitOutput(out.String()))
				}
			}
			checkFlatRobustInbox(t, filepath.Join(dir, "data"), tc, sum)
		})
	}
}

// TestFlatRobustnessServe drops hostile inputs into the watched folder of
// a running `dockside serve`: each ends failed with its error and its
// bytes kept, the server stays up (/healthz answers) within the memory
// budget (VmHWM), and a good file dropped last is posted.
func TestFlatRobustnessServe(t *testing.T) {
	bin := flatRobustBinary(t)
	dir := t.TempDir()
	partners := writeFlatRobustProfile(t, dir)
	drop := filepath.Join(dir, "drop")
	data := filepath.Join(dir, "data")
	port := flatRobustPort(t)
	config := filepath.Join(dir, "dockside.yaml")
	const token = "robustness-test-token"
	tokenSum := sha256.Sum256([]byte(token))
	cfg := fmt.Sprintf("data: %s\npartners: %s\nhttp:\n  listen: 127.0.0.1:%d\n  tokens: [{name: test, sha256: %x, role: read-only}]\nsftp:\n  listen: \"\"\nfolders:\n  rescan: 1s\n",
		data, partners, port, tokenSum)
	if err := os.WriteFile(config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	srv := exec.Command(bin, "serve", "--config", config)
	srv.Stdout, srv.Stderr = &log, &log
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = srv.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = srv.Process.Kill()
			<-done
		}
	}
	defer stop()
	health := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
	waitFor(t, 30*time.Second, func() bool { return healthy(health) }, "the server to answer /healthz")

	var kept []flatRobustCase
	for _, tc := range flatRobustCases() {
		if tc.large && testing.Short() {
			continue
		}
		kept = append(kept, tc)
		name := tc.file
		t.Run(tc.name, func(t *testing.T) {
			tmp := filepath.Join(dir, name)
			writeFlatRobustInput(t, tmp, tc.gen)
			if err := os.Rename(tmp, filepath.Join(drop, name)); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(drop, name+".done"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			waitFor(t, flatRobustMaxTime, func() bool { return flatRobustState(port, token, name) == inbox.Failed || !srvAlive(srv) },
				name+" to fail")
			if !settled(drop, "failed", name) {
				waitFor(t, 10*time.Second, func() bool { return settled(drop, "failed", name) }, name+" to move to failed/")
			}
			// The dashboard's detail of the failed message previews the
			// file: it must cost no more than processing did.
			m := flatRobustMessage(port, token, name)
			if m == nil {
				t.Fatalf("%s: not listed by the API", name)
			}
			var detail struct {
				Parsed *struct {
					Problem string `json:"problem"`
				} `json:"parsed"`
			}
			if err := flatRobustGet(port, token, fmt.Sprintf("/api/v1/messages/%d", m.ID), &detail); err != nil {
				t.Errorf("the failed message's detail: %v", err)
			} else if detail.Parsed != nil && detail.Parsed.Problem != "" {
				t.Logf("%s: preview: %.200s", name, detail.Parsed.Problem)
			}
			hwm := vmHWM(srv.Process.Pid)
			t.Logf("%s: settled in %.1f s, server peak RSS so far %.0f MB", name, time.Since(start).Seconds(), float64(hwm)/(1<<20))
			if !healthy(health) {
				t.Fatalf("the server stopped answering after %s:\n%s", name, limitOutput(log.String()))
			}
			if hwm > flatRobustMaxRSS {
				t.Errorf("server peak RSS %d MB, budget %d MB", hwm>>20, flatRobustMaxRSS>>20)
			}
			_ = os.Remove(filepath.Join(dir, name))
		})
	}
	good := "item,qty\nA1,7\n"
	if err := os.WriteFile(filepath.Join(drop, "good.csv"), []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(drop, "good.csv.done"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, flatRobustMaxTime, func() bool { return flatRobustState(port, token, "good.csv") == inbox.Done }, "the good file to be posted")
	stop()
	in, err := inbox.Open(filepath.Join(data, "inbox"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	msgs, err := in.List(inbox.Filter{Partner: "hostile", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*inbox.Message{}
	for _, m := range msgs {
		byName[m.Name] = m
	}
	for _, tc := range kept {
		m := byName[tc.file]
		if m == nil {
			t.Errorf("%s: not in the inbox", tc.file)
			continue
		}
		checkFlatRobustMessage(t, in, m, tc, "")
	}
	if m := byName["good.csv"]; m == nil || m.State != inbox.Done || m.Result == nil || m.Result.Movements != 1 {
		t.Errorf("the good file after the hostile ones: %+v", m)
	}
}

// flatRobustBinary builds dockside into the test's temporary folder (the
// build cache makes the second build a link).
func flatRobustBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dockside")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building dockside: %v\n%s", err, out)
	}
	return bin
}

// writeFlatRobustProfile writes the hostile partner's profile under dir
// (its drop folder is dir/drop) and returns the profiles' folder.
func writeFlatRobustProfile(t *testing.T, dir string) string {
	t.Helper()
	partners := filepath.Join(dir, "partners")
	drop := filepath.Join(dir, "drop")
	for _, d := range []string{partners, drop} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(partners, "hostile.yaml"), fmt.Appendf(nil, flatRobustProfile, drop), 0o600); err != nil {
		t.Fatal(err)
	}
	return partners
}

// writeFlatRobustInput writes an input and returns its SHA-256.
func writeFlatRobustInput(t *testing.T, path string, gen func(io.Writer) error) [32]byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	if err := gen(bw); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

// checkFlatRobustInbox checks the message ingest left in the inbox.
func checkFlatRobustInbox(t *testing.T, data string, tc flatRobustCase, sum [32]byte) {
	t.Helper()
	in, err := inbox.Open(filepath.Join(data, "inbox"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	msgs, err := in.List(inbox.Filter{Limit: 10})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%d messages, %v; want 1", len(msgs), err)
	}
	checkFlatRobustMessage(t, in, msgs[0], tc, fmt.Sprintf("%x", sum))
}

// checkFlatRobustMessage checks a hostile file's message: failed, nothing
// posted, its errors saying why, its original bytes kept (and, when sum is
// given, their hash is the input's).
func checkFlatRobustMessage(t *testing.T, in *inbox.Store, m *inbox.Message, tc flatRobustCase, sum string) {
	t.Helper()
	if m.State != inbox.Failed {
		t.Errorf("%s: state %s, want failed", tc.file, m.State)
	}
	if m.Result != nil && m.Result.Movements != 0 {
		t.Errorf("%s: %d movements posted, want none", tc.file, m.Result.Movements)
	}
	var msgs []string
	for _, p := range m.Errors {
		msgs = append(msgs, p.Place+": "+p.Msg)
	}
	all := strings.Join(msgs, "\n")
	for _, w := range tc.want {
		if !strings.Contains(all, w) {
			t.Errorf("%s: errors lack %q:\n%s", tc.file, w, limitOutput(all))
		}
	}
	body, err := in.Body(m.ID)
	if err != nil {
		t.Fatalf("%s: the original bytes are gone: %v", tc.file, err)
	}
	defer body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, body); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%x", h.Sum(nil))
	if got != m.SHA256 || sum != "" && got != sum {
		t.Errorf("%s: kept bytes hash %s, message says %s, input %s", tc.file, got, m.SHA256, sum)
	}
}

// flatRobustState returns the state of the hostile partner's newest
// message of that name, asking the server's API ("" when none).
func flatRobustState(port int, token, name string) inbox.State {
	if m := flatRobustMessage(port, token, name); m != nil {
		return m.State
	}
	return ""
}

// flatRobustMessage returns the hostile partner's newest message of that
// name, from the server's API (nil when none).
func flatRobustMessage(port int, token, name string) *inbox.Message {
	var page struct {
		Messages []inbox.Message `json:"messages"`
	}
	if flatRobustGet(port, token, "/api/v1/messages?partner=hostile&limit=100", &page) != nil {
		return nil
	}
	for _, m := range page.Messages {
		if m.Name == name {
			return &m
		}
	}
	return nil
}

// flatRobustGet GETs an API path with the token and decodes its JSON.
func flatRobustGet(port int, token, path string, v any) error {
	req, err := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d%s", port, path), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	c := http.Client{Timeout: flatRobustMaxTime}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// settled reports whether the folder's sub (archive or failed) holds name.
func settled(drop, sub, name string) bool {
	entries, _ := os.ReadDir(filepath.Join(drop, sub))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), "-"+name) {
			return true
		}
	}
	return false
}

func srvAlive(cmd *exec.Cmd) bool { return cmd.ProcessState == nil }

func healthy(url string) bool {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func waitFor(t *testing.T, d time.Duration, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func flatRobustPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// maxRSS returns a finished child's peak resident set, in bytes.
func maxRSS(cmd *exec.Cmd) int64 {
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10 // kilobytes on Linux
	}
	return 0
}

// vmHWM returns a running process's peak resident set, in bytes.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func fileSize(t *testing.T, path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// limitOutput shortens output for a failure message.
func limitOutput(s string) string {
	if len(s) > 4000 {
		return s[:4000] + "…"
	}
	return s
}

// Generators. Each writes its input as a stream: nothing large is held in
// the test's memory.

// xlsxGen writes a one-sheet workbook; sheet and sst write those parts
// (sst nil: none).
func xlsxGen(sheet, sst func(io.Writer) error) func(io.Writer) error {
	return func(w io.Writer) error {
		zw := zip.NewWriter(w)
		zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
		rels := `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`
		if sst != nil {
			rels += `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`
		}
		parts := []struct {
			name string
			gen  func(io.Writer) error
		}{
			{"[Content_Types].xml", text(flatContentTypes)},
			{"_rels/.rels", text(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
			{"xl/workbook.xml", text(`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)},
			{"xl/_rels/workbook.xml.rels", text(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels + `</Relationships>`)},
			{"xl/worksheets/sheet1.xml", sheet},
		}
		if sst != nil {
			parts = append(parts, struct {
				name string
				gen  func(io.Writer) error
			}{"xl/sharedStrings.xml", sst})
		}
		for _, p := range parts {
			pw, err := zw.Create(p.name)
			if err != nil {
				return err
			}
			if err := p.gen(pw); err != nil {
				return err
			}
		}
		return zw.Close()
	}
}

// flatContentTypes is the [Content_Types].xml of the generated workbooks.
const flatContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`

func text(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// strRows is a sheet of the given rows.
func strRows(rows string) func(io.Writer) error {
	return text(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rows + `</sheetData></worksheet>`)
}

// repeatXML writes head, unit n times, tail.
func repeatXML(head, unit string, n int, tail string) func(io.Writer) error {
	return func(w io.Writer) error {
		if _, err := io.WriteString(w, head); err != nil {
			return err
		}
		if err := repeatTo(w, unit, n); err != nil {
			return err
		}
		_, err := io.WriteString(w, tail)
		return err
	}
}

// repeatTo writes unit n times, in large writes.
func repeatTo(w io.Writer, unit string, n int) error {
	per := max(1, (1<<20)/len(unit))
	block := []byte(strings.Repeat(unit, per))
	for n > 0 {
		k := min(n, per)
		if _, err := w.Write(block[:k*len(unit)]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// countedRows is a sheet of the header and rows 2..n+1 from row(n).
func countedRows(header string, n int, row func(int) string) func(io.Writer) error {
	return func(w io.Writer) error {
		if _, err := io.WriteString(w, `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+header); err != nil {
			return err
		}
		for i := 2; i <= n+1; i++ {
			if _, err := io.WriteString(w, row(i)); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, `</sheetData></worksheet>`)
		return err
	}
}

// csvGen writes a header and n rows from a format taking the row number.
func csvGen(n int, format string) func(io.Writer) error {
	return func(w io.Writer) error {
		if _, err := io.WriteString(w, "item,qty\n"); err != nil {
			return err
		}
		for i := range n {
			if _, err := fmt.Fprintf(w, format, i%1000); err != nil {
				return err
			}
		}
		return nil
	}
}

// storedXLSX returns a small workbook with its parts stored (not
// compressed), so that its bytes can be altered in place, and the offset
// of the sheet's quantity 8 in it.
func storedXLSX(header string) ([]byte, error) {
	var buf bytes.Buffer
	sheet := strRows(header + `<row r="2"><c r="A2" t="inlineStr"><is><t>A1</t></is></c><c r="B2"><v>8</v></c></row>`)
	zw := zip.NewWriter(&buf)
	for _, p := range []struct {
		name string
		gen  func(io.Writer) error
	}{
		{"[Content_Types].xml", text(flatContentTypes)},
		{"_rels/.rels", text(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		{"xl/workbook.xml", text(`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)},
		{"xl/_rels/workbook.xml.rels", text(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)},
		{"xl/worksheets/sheet1.xml", sheet},
	} {
		pw, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Store})
		if err != nil {
			return nil, err
		}
		if err := p.gen(pw); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// corruptedXLSX is a workbook whose figure 8 was changed to 9 after its
// CRC-32 was computed.
func corruptedXLSX(header string) func(io.Writer) error {
	return func(w io.Writer) error {
		b, err := storedXLSX(header)
		if err != nil {
			return err
		}
		b = bytes.Replace(b, []byte("<v>8</v>"), []byte("<v>9</v>"), 1)
		_, err = w.Write(b)
		return err
	}
}

// wrongSizeXLSX is a workbook whose sheet declares 100 bytes more than it
// holds.
func wrongSizeXLSX(header string) func(io.Writer) error {
	return func(w io.Writer) error {
		b, err := storedXLSX(header)
		if err != nil {
			return err
		}
		const part = "xl/worksheets/sheet1.xml"
		for i := 0; i+46 <= len(b); i++ {
			if string(b[i:i+4]) != "PK\x01\x02" {
				continue
			}
			n := int(binary.LittleEndian.Uint16(b[i+28:]))
			if string(b[i+46:i+46+n]) == part {
				binary.LittleEndian.PutUint32(b[i+24:], binary.LittleEndian.Uint32(b[i+24:])+100)
			}
		}
		_, err = w.Write(b)
		return err
	}
}
