package e2e

// The X12 robustness table (issue 16 §3): hostile inputs, generated here
// and never committed, go through `dockside x12 validate`, `dockside
// ingest` and `dockside serve` (SFTP and watched folder) as child
// processes, each within a time and memory budget checked by the test
// (peak RSS from the child's rusage, or /proc/PID/status VmHWM polled
// while serve runs). Every run must end in a clear error, every stored
// file in a failed message whose original bytes are kept, and serve must
// go on serving.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// Sizes of the hostile inputs. The zeros are sparse files: 2 GB on disk
// cost no blocks, and the readers must stop long before their end.
const (
	deepLevels   = 100_000 // nested HL levels: 4.5 MB
	hugeZeros    = 2 << 30 // over any file size limit
	maxFileSize  = 64 << 20
	smallZeros   = 32 << 20 // under the limit: stored, then refused as not X12
	mib          = 1 << 20
	serveRSSBudg = 768 * mib
)

// budget bounds one child process.
type budget struct {
	wall time.Duration
	rss  int64 // peak resident set, bytes
}

// run is how a child process ended.
type run struct {
	stdout, stderr string
	exit           int
	wall           time.Duration
	peakRSS        int64
}

// runBudget runs the dockside binary with args and checks it against b:
// killed when over its time, peak RSS (VmHWM) polled while it runs.
func (e *env) runBudget(t *testing.T, b budget, args ...string) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), b.wall)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Start()
	var polled int64
	if err == nil {
		stop := make(chan struct{})
		peak := pollRSS(cmd.Process.Pid, 2*time.Millisecond, stop)
		err = cmd.Wait()
		close(stop)
		polled = <-peak
	}
	r := run{stdout: out.String(), stderr: errb.String(), wall: time.Since(start)}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("dockside %s: over its time budget of %s", strings.Join(args, " "), b.wall)
	case errors.As(err, &exitErr):
		r.exit = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("dockside %s: %v", strings.Join(args, " "), err)
	}
	// The child's own peak (VmHWM, polled while it runs). Its rusage is
	// the fallback only: Linux records at exec the high-water mark of the
	// memory the child was started from, and Go starts children with
	// vfork, so ru_maxrss counts this test process's own peak.
	r.peakRSS = polled
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && polled == 0 {
		r.peakRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	if r.peakRSS > b.rss {
		t.Errorf("dockside %s: peak RSS %d MiB, over its budget of %d MiB", strings.Join(args, " "), r.peakRSS/mib, b.rss/mib)
	}
	t.Logf("dockside %s: exit %d in %s, peak RSS %d MiB", strings.Join(args, " "), r.exit, r.wall.Round(time.Millisecond), r.peakRSS/mib)
	return r
}

// writeDeep856 writes an ACME 856 whose items nest levels deep, each
// under the one before, with interchange control number control.
func writeDeep856(t *testing.T, path string, levels, control int) {
	t.Helper()
	writeDeep856s(t, path, levels, control, 1)
}

// writeDeep856s writes count interchanges one after the other, each one
// deep notice of the levels, with control numbers from control on.
func writeDeep856s(t *testing.T, path string, levels, control, count int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for c := control; c < control+count; c++ {
		fmt.Fprintf(w, "ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*DOCKSIDE       *261125*2330*U*00401*%09d*0*P*>~\n", c)
		fmt.Fprintf(w, "GS*SH*ACME3PL*DOCKSIDE*20261125*2330*%d*X*004010~\nST*856*0001~\nBSN*00*SHP-DEEP-%d*20261125*1200*0001~\n", c, c)
		w.WriteString("HL*1**S~\nN1*ST*Dockside Dallas*92*DAL1~\nHL*2*1*O~\nPRF*PO-5001~\n")
		for i := 3; i < levels+3; i++ {
			fmt.Fprintf(w, "HL*%d*%d*I~\nLIN**VN*AC-1001~\nSN1**1*EA~\n", i, i-1)
		}
		fmt.Fprintf(w, "CTT*%d~\nSE*%d*0001~\nGE*1*%d~\nIEA*1*%09d~\n", levels+2, 3*levels+8, c, c)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeZeros makes a sparse file of size zero bytes.
func writeZeros(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// problems joins a message's errors, places included.
func problems(m *inbox.Message) string {
	var b strings.Builder
	for _, p := range m.Errors {
		fmt.Fprintf(&b, "%s: %s\n", p.Place, p.Msg)
	}
	return b.String()
}

// hostile are the generated inputs of the table.
type hostile struct {
	deep, zeros2G, zerosSmall string
}

func makeHostile(t *testing.T, dir string) hostile {
	h := hostile{deep: filepath.Join(dir, "deep-856.edi"), zeros2G: filepath.Join(dir, "zeros-2g.edi"), zerosSmall: filepath.Join(dir, "zeros-32m.edi")}
	writeDeep856(t, h.deep, deepLevels, 9001)
	writeZeros(t, h.zeros2G, hugeZeros)
	writeZeros(t, h.zerosSmall, smallZeros)
	return h
}

// robustEnv is an e2e setup whose configuration sets a file size limit
// and whose ACME profile also has a watched folder.
func robustEnv(t *testing.T, extraConfig string) *env {
	e := setup(t)
	f, err := os.OpenFile(e.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "max_file_size: %d\n%s", maxFileSize, extraConfig)
	f.Close()
	p := filepath.Join(e.partners, "acme-3pl.yaml")
	b, _ := os.ReadFile(p)
	s := strings.Replace(string(b), "  inbound:\n", "  inbound:\n    - folder:\n        path: ../drop/acme\n        min_age: 1s\n", 1)
	if s == string(b) {
		t.Fatal("cannot add a watched folder to the ACME profile")
	}
	os.WriteFile(p, []byte(s), 0o644)
	os.MkdirAll(filepath.Join(e.dir, "drop", "acme"), 0o755)
	return e
}

// TestRobustnessX12Validate: x12 validate reads the deep notice (valid
// X12: the standard sets no depth) and refuses 2 GB of zeros at byte 0.
func TestRobustnessX12Validate(t *testing.T) {
	e := setup(t)
	h := makeHostile(t, t.TempDir())
	// An ISA, then 2 GB of zeros (sparse).
	isaZeros := filepath.Join(t.TempDir(), "isa-zeros.edi")
	isa := "ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*DOCKSIDE       *261125*2330*U*00401*000009004*0*P*>~\n"
	if err := os.WriteFile(isaZeros, []byte(isa), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(isaZeros, hugeZeros); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		file   string
		exit   int
		want   []string
		budget budget
	}{
		{"deep 856", h.deep, 0, []string{"set 856 0001: accepted (A)"}, budget{60 * time.Second, 512 * mib}},
		{"2 GB of zeros", h.zeros2G, 1, []string{"not an X12 interchange", `byte 0: "\x00`, "cannot start an interchange"}, budget{20 * time.Second, 128 * mib}},
		{"ISA then 2 GB of zeros", isaZeros, 1, []string{"segment too long", "over 65536 bytes of white space or NUL bytes from byte 107 before a segment"}, budget{20 * time.Second, 128 * mib}},
		{"32 MiB of zeros", h.zerosSmall, 1, []string{"not an X12 interchange", "byte 0"}, budget{20 * time.Second, 128 * mib}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.runBudget(t, tt.budget, "x12", "validate", tt.file)
			if r.exit != tt.exit {
				t.Errorf("exit %d, want %d\n%s%s", r.exit, tt.exit, r.stdout, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, tail([]byte(r.stdout), 2000))
				}
			}
		})
	}
}

// TestRobustnessX12Ingest: one ingest batch with every hostile input and a
// good file: the 2 GB file fails alone (over max_file_size), the deep
// notice and the zeros fail with clear errors and their bytes kept, and
// the good file is done.
func TestRobustnessX12Ingest(t *testing.T) {
	e := robustEnv(t, "")
	h := makeHostile(t, t.TempDir())
	good := filepath.Join(e.repo, "examples/samples/acme-3pl/ship-notice-856.edi")
	files := []string{h.zeros2G, h.deep, h.zerosSmall, good}
	r := e.runBudget(t, budget{120 * time.Second, 768 * mib}, "ingest", "--partner", "acme-3pl", "--config", e.config, files[0], files[1], files[2], files[3])
	if r.exit != 1 {
		t.Errorf("exit %d, want 1:\n%s%s", r.exit, r.stdout, r.stderr)
	}
	tests := []struct {
		file  string
		state string   // "" : not received
		want  []string // in the file's line and the message's errors
	}{
		{h.zeros2G, "", []string{"failed (not received): file too large: over max_file_size (67108864 bytes)"}},
		{h.deep, "failed", []string{"HL nesting too deep", "HL 101 is at level 101, over the limit of 100 levels", "limits.max_hl_depth", "segment 301 of the set"}},
		{h.zerosSmall, "failed", []string{"not X12"}},
		{good, "done", nil},
	}
	lines := strings.Split(r.stdout, "\n")
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			var line string
			for _, l := range lines {
				if strings.HasPrefix(l, tt.file+": ") {
					line = l
				}
			}
			if line == "" {
				t.Fatalf("no line for %s in:\n%s", tt.file, r.stdout)
			}
			if tt.state == "" {
				for _, w := range tt.want {
					if !strings.Contains(line, w) {
						t.Errorf("line %q lacks %q", line, w)
					}
				}
				return
			}
			if !strings.HasPrefix(line, tt.file+": "+tt.state+" (message ") {
				t.Fatalf("line %q, want %s", line, tt.state)
			}
			id := strings.TrimSuffix(strings.Fields(strings.SplitN(line, "(message ", 2)[1])[0], "):")
			show := e.runBudget(t, budget{30 * time.Second, 256 * mib}, "messages", "show", id, "--config", e.config)
			var m inbox.Message
			if err := json.Unmarshal([]byte(show.stdout), &m); err != nil {
				t.Fatalf("messages show %s: %v\n%s", id, err, show.stdout)
			}
			text := problems(&m)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("message %s errors lack %q:\n%s", id, w, text)
				}
			}
			// The original bytes are kept (a blob file, or inside the inbox's
			// database for a small file): read back through the inbox.
			if sum := fileSHA256(t, tt.file); m.SHA256 != sum || keptSHA256(t, filepath.Join(e.data, "inbox"), m.ID) != sum {
				t.Errorf("message %s: bytes not kept (record %s, file %s)", id, m.SHA256, sum)
			}
		})
	}
}

// serverRSS polls the server's peak RSS (VmHWM) until stop is closed and
// returns the highest seen.
func serverRSS(pid int, stop <-chan struct{}) <-chan int64 {
	return pollRSS(pid, 100*time.Millisecond, stop)
}

// pollRSS reads a process's peak RSS (VmHWM) every interval until stop
// is closed and returns the highest seen (0 when never read).
func pollRSS(pid int, interval time.Duration, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
				for _, l := range strings.Split(string(b), "\n") {
					if f := strings.Fields(l); len(f) == 3 && f[0] == "VmHWM:" {
						kb, _ := strconv.ParseInt(f[1], 10, 64)
						peak = max(peak, kb*1024)
					}
				}
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// sftpTry runs OpenSSH sftp as the 3PL like env.sftp, but returns its
// error instead of failing the test.
func (e *env) sftpTry(commands ...string) (string, error) {
	key := filepath.Join(e.dir, "acme_key")
	if _, err := os.Stat(key); err != nil {
		b, _ := os.ReadFile(filepath.Join(e.repo, "examples/keys/acme-demo_ed25519"))
		os.WriteFile(key, b, 0o600)
	}
	hosts := filepath.Join(e.dir, "known_hosts")
	pub, err := exec.Command("ssh-keygen", "-y", "-f", filepath.Join(e.data, "keys", "ssh_host_ed25519_key")).Output()
	if err != nil {
		return "", err
	}
	os.WriteFile(hosts, []byte(fmt.Sprintf("[127.0.0.1]:%d %s", e.sftpPort, pub)), 0o644)
	batch := filepath.Join(e.dir, "batch-try")
	os.WriteFile(batch, []byte(strings.Join(commands, "\n")+"\n"), 0o644)
	out, err := exec.Command("sftp", "-b", batch, "-i", key, "-P", fmt.Sprint(e.sftpPort),
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+hosts, "-o", "BatchMode=yes", "acme@127.0.0.1").CombinedOutput()
	return string(out), err
}

// messages lists the server's messages through the API.
func (e *env) messages() []*inbox.Message {
	var page struct {
		Messages []*inbox.Message `json:"messages"`
	}
	json.Unmarshal([]byte(e.get("/api/v1/messages?limit=100")), &page)
	return page.Messages
}

// rawSHA256 hashes a message's bytes as the API serves them.
func (e *env) rawSHA256(id uint64) string {
	tok, _ := os.ReadFile(filepath.Join(e.data, "operator-token"))
	req, _ := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/api/v1/messages/%d/raw", e.httpPort, id), nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	h := sha256.New()
	io.Copy(h, resp.Body)
	return hex.EncodeToString(h.Sum(nil))
}

func (e *env) healthy() bool {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", e.httpPort))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stopWithin sends SIGTERM and fails the test when serve has not stopped
// within limit.
func (e *env) stopWithin(limit time.Duration) time.Duration {
	start := time.Now()
	e.server.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- e.server.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			e.t.Errorf("server exited with %v", err)
		}
	case <-time.After(limit):
		e.server.Process.Kill()
		<-done
		e.t.Fatalf("server did not stop within %s of SIGTERM", limit)
	}
	return time.Since(start)
}

// TestRobustnessX12Serve: the hostile inputs reach serve over OpenSSH sftp
// and through the watched folder. The 2 GB files are refused (the SFTP
// upload fails; the folder's file moves to failed/, kept whole); the
// others end as failed messages with clear errors and their bytes kept;
// a good file sent after them is done; serve keeps answering /healthz
// within its memory budget, and stops promptly on SIGTERM.
func TestRobustnessX12Serve(t *testing.T) {
	e := robustEnv(t, "")
	e.start() // first start generates the host keys
	e.stop()
	h := makeHostile(t, t.TempDir())
	// Other bytes for each path: the same bytes from the same partner
	// would be a duplicate.
	deepFolder, zerosFolder := filepath.Join(e.dir, "deep-folder.edi"), filepath.Join(e.dir, "zeros-folder.edi")
	hugeFolder := filepath.Join(e.dir, "zeros-2g-folder.edi")
	writeDeep856(t, deepFolder, deepLevels, 9002)
	writeZeros(t, zerosFolder, smallZeros+1)
	writeZeros(t, hugeFolder, hugeZeros)

	e.start()
	stopRSS := make(chan struct{})
	peak := serverRSS(e.server.Process.Pid, stopRSS)

	drop := filepath.Join(e.dir, "drop", "acme")
	for _, f := range []string{deepFolder, zerosFolder, hugeFolder} {
		// As a partner does: write elsewhere, rename in.
		if err := os.Rename(f, filepath.Join(drop, filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	e.sftp("put "+h.deep+" in/deep-sftp.edi", "put "+h.zerosSmall+" in/zeros-sftp.edi")
	if out, err := e.sftpTry("put " + h.zeros2G + " in/zeros-2g-sftp.edi"); err == nil {
		t.Errorf("the 2 GB upload succeeded:\n%s", out)
	} else {
		t.Logf("the 2 GB upload is refused: %s", strings.TrimSpace(string(tail([]byte(out), 300))))
	}
	if !e.healthy() {
		t.Error("/healthz does not answer after the hostile uploads")
	}
	// A good file after them is processed.
	e.sftp("put " + filepath.Join(e.repo, "examples/samples/acme-3pl/ship-notice-856.edi") + " in/good-856.edi")

	want := map[string]struct {
		state inbox.State
		errs  []string
		file  string
	}{
		"deep-sftp.edi":    {inbox.Failed, []string{"HL 101 is at level 101, over the limit of 100 levels", "limits.max_hl_depth"}, h.deep},
		"deep-folder.edi":  {inbox.Failed, []string{"HL 101 is at level 101, over the limit of 100 levels", "limits.max_hl_depth"}, ""},
		"zeros-sftp.edi":   {inbox.Failed, []string{"not X12"}, h.zerosSmall},
		"zeros-folder.edi": {inbox.Failed, []string{"not X12"}, ""},
		"good-856.edi":     {inbox.Done, nil, ""},
	}
	var msgs []*inbox.Message
	e.waitFor("every message processed", 90*time.Second, func() bool {
		msgs = e.messages()
		n := 0
		for _, m := range msgs {
			if w, ok := want[m.Name]; ok && m.State == w.state {
				n++
			}
		}
		return n == len(want)
	})
	for _, m := range msgs {
		w, ok := want[m.Name]
		if !ok {
			t.Errorf("unexpected message %d %s (%s): %v", m.ID, m.Name, m.State, m.Errors)
			continue
		}
		text := problems(m)
		for _, s := range w.errs {
			if !strings.Contains(text, s) {
				t.Errorf("%s: errors lack %q:\n%s", m.Name, s, text)
			}
		}
		if got := e.rawSHA256(m.ID); got != m.SHA256 {
			t.Errorf("%s: bytes not kept: the API serves %s, the record says %s", m.Name, got, m.SHA256)
		}
		if w.file != "" && m.SHA256 != fileSHA256(t, w.file) {
			t.Errorf("%s: kept bytes are not the ones sent", m.Name)
		}
	}
	// The folder's 2 GB file and its failed twins are in failed/, whole.
	e.waitFor("the folder's files in failed/", 30*time.Second, func() bool {
		entries, _ := os.ReadDir(filepath.Join(drop, "failed"))
		return len(entries) == 3
	})
	entries, _ := os.ReadDir(filepath.Join(drop, "failed"))
	var names []string
	whole := false
	for _, d := range entries {
		names = append(names, d.Name())
		if fi, err := d.Info(); err == nil && strings.Contains(d.Name(), "zeros-2g") && fi.Size() == hugeZeros {
			whole = true
		}
	}
	if !whole {
		t.Errorf("the 2 GB file is not whole in failed/: %v", names)
	}
	if !e.healthy() {
		t.Error("/healthz does not answer after processing")
	}
	close(stopRSS)
	if p := <-peak; p > serveRSSBudg {
		t.Errorf("serve's peak RSS %d MiB, over its budget of %d MiB", p/mib, serveRSSBudg/mib)
	} else {
		t.Logf("serve's peak RSS %d MiB", p/mib)
	}
	t.Logf("serve stopped %s after SIGTERM", e.stopWithin(30*time.Second).Round(time.Millisecond))
}

// TestRobustnessX12ServeInterrupted: with the depth limit raised, the
// deep notice is processed in full; serve stopped with SIGTERM while at
// it stops promptly, and after max_attempts interrupted starts the
// message fails with the reason instead of being taken up forever.
func TestRobustnessX12ServeInterrupted(t *testing.T) {
	// Twelve interchanges of one notice each (54 MB, under max_file_size),
	// every set under the 64 MiB a set may take: the work lasts seconds on
	// an idle machine, so SIGTERM finds it under way (one set of 200,000
	// levels went over that bound and failed at once, before serve could
	// be stopped).
	const levels, notices = 100_000, 12
	e := robustEnv(t, fmt.Sprintf("limits:\n  max_hl_depth: %d\n  max_attempts: 2\n", levels+10))
	e.start()
	e.stop()
	deep := filepath.Join(e.dir, "deep.edi")
	writeDeep856s(t, deep, levels, 9003, notices)
	e.start()
	e.sftp("put " + deep + " in/deep.edi")
	state := func() (inbox.State, *inbox.Message) {
		for _, m := range e.messages() {
			if m.Name == "deep.edi" {
				return m.State, m
			}
		}
		return "", nil
	}
	for round := 1; round <= 2; round++ {
		e.waitFor("the deep notice being processed", 60*time.Second, func() bool {
			s, m := state()
			if s == inbox.Done || s == inbox.Failed {
				t.Fatalf("round %d: the notice ended %s before serve could be stopped: %v", round, s, m.Errors)
			}
			return s == inbox.Processing
		})
		t.Logf("round %d: serve stopped %s after SIGTERM mid-processing", round, e.stopWithin(30*time.Second).Round(time.Millisecond))
		e.start()
	}
	var m *inbox.Message
	e.waitFor("the notice failed for its interruptions", 30*time.Second, func() bool {
		var s inbox.State
		s, m = state()
		return s == inbox.Failed
	})
	if text := problems(m); !strings.Contains(text, "started 2 times without finishing") || !strings.Contains(text, "limits.max_attempts = 2") {
		t.Errorf("errors:\n%s", text)
	}
	if got := e.rawSHA256(m.ID); got != fileSHA256(t, deep) {
		t.Error("bytes not kept")
	}
	if !e.healthy() {
		t.Error("/healthz does not answer")
	}
	e.stopWithin(30 * time.Second)
}

// keptSHA256 returns the SHA-256 of the bytes the inbox in dir keeps for
// message id (no process holds the inbox then).
func keptSHA256(t *testing.T, dir string, id uint64) string {
	t.Helper()
	st, err := inbox.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	body, err := st.Body(id)
	if err != nil {
		t.Fatalf("message %d: %v", id, err)
	}
	defer body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, body); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
