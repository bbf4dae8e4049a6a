package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
)

const crashProfile = `id: crashco
name: Crash Test Co
role: supplier
transports:
  inbound:
    - folder:
        path: drop
documents:
  - type: csv
    content: adjustments
    mapping:
      columns: {sku: sku, location: location, quantity: qty}
`

// TestCrashChild is the child of TestCrashLosesNothingCountsNothingTwice:
// it receives every file of a folder and processes the inbox.
func TestCrashChild(t *testing.T) {
	if os.Getenv("DOCKSIDE_CRASH_CHILD") == "" {
		t.Skip("child process of the crash test")
	}
	cfg := crashConfig(os.Getenv("DOCKSIDE_CRASH_STORAGE"), os.Getenv("DOCKSIDE_CRASH_DATA"), os.Getenv("DOCKSIDE_CRASH_PARTNERS"))
	cfg.Workers = 4
	cfg.Limits.MaxAttempts = 100 // killed on purpose, often: the same message may be cut short many times
	g, err := Open(cfg, &Options{Logger: crashChildLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	files, _ := filepath.Glob(filepath.Join(os.Getenv("DOCKSIDE_CRASH_FILES"), "*.csv"))
	for _, f := range files {
		body, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = g.Inbox.Receive(context.Background(), inbox.Arrival{Partner: "crashco", Transport: "test", Name: filepath.Base(f)}, body)
		body.Close()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%sreceived %s\n", crashStep, filepath.Base(f))
	}
	if err := g.Drain(context.Background(), 4); err != nil {
		t.Fatal(err)
	}
}

// TestCrashLosesNothingCountsNothingTwice ingests 200 files in a child
// process killed with SIGKILL at random moments, many rounds; after the
// last round every file is done exactly once and the ledger holds exactly
// the expected totals; on bbolt and on PostgreSQL.
func TestCrashLosesNothingCountsNothingTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: many child processes")
	}
	crashStorages(t, testCrashLosesNothing)
}

func testCrashLosesNothing(t *testing.T, storage string) {
	dir := t.TempDir()
	partnersDir, filesDir, data := filepath.Join(dir, "partners"), filepath.Join(dir, "files"), filepath.Join(dir, "data")
	os.MkdirAll(partnersDir, 0o755)
	os.MkdirAll(filesDir, 0o755)
	os.WriteFile(filepath.Join(partnersDir, "crashco.yaml"), []byte(crashProfile), 0o644)
	want := writeCrashFiles(t, filesDir, 200)

	killRounds(t, rand.New(rand.NewPCG(7, 11)), 16, 400, func() *exec.Cmd { return crashChild(storage, data, partnersDir, filesDir) })
	checkCrashStorage(t, storage, data)

	g, err := Open(crashConfig(storage, data, partnersDir), &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := g.Ledger.Verify(context.Background()); err != nil {
		t.Fatalf("ledger inconsistent: %v", err)
	}
	msgs, _ := g.Inbox.List(inbox.Filter{Limit: 1 << 20})
	logCutShort(t, msgs)
	done := map[string]int{}
	for _, m := range msgs {
		switch m.State {
		case inbox.Done:
			done[m.Name]++
		case inbox.Duplicate:
		default:
			t.Errorf("message %d (%s) left %s: %v", m.ID, m.Name, m.State, m.Errors)
		}
	}
	if len(done) != 200 {
		t.Errorf("%d files done, want 200", len(done))
	}
	for name, n := range done {
		if n != 1 {
			t.Errorf("%s done %d times", name, n)
		}
	}
	for pos, qty := range want {
		sku, loc, _ := strings.Cut(pos, "@")
		b := balance(t, g, sku, loc)
		if b.OnHand != qty {
			t.Errorf("%s: on hand %d, want %d", pos, b.OnHand, qty)
		}
	}
}

func crashChild(storage, data, partnersDir, filesDir string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), "DOCKSIDE_CRASH_CHILD=1", "DOCKSIDE_CRASH_STORAGE="+storage, "DOCKSIDE_CRASH_DATA="+data,
		"DOCKSIDE_CRASH_PARTNERS="+partnersDir, "DOCKSIDE_CRASH_FILES="+filesDir)
	return cmd
}

// crashClaimLease is the claim lease of the crash tests on PostgreSQL:
// the claims of a killed child run out in a second, not a minute.
const crashClaimLease = time.Second

// crashStorages runs a crash test on each storage: bbolt files in the
// data folder (storage ""), and a new migrated PostgreSQL database
// (storage its URL).
func crashStorages(t *testing.T, run func(t *testing.T, storage string)) {
	t.Run("bbolt", func(t *testing.T) { run(t, "") })
	t.Run("postgres", func(t *testing.T) {
		run(t, pgstoretest.Migrated(t, &pg, Migrations()...).Config().ConnString())
	})
}

// logCutShort logs how many messages a kill cut short and a later
// round (or, on PostgreSQL, the same after the lease) took up again.
func logCutShort(t *testing.T, msgs []*inbox.Message) {
	n := 0
	for _, m := range msgs {
		if m.Attempts > 1 {
			n++
		}
	}
	t.Logf("%d of %d messages were cut short and taken up again", n, len(msgs))
}

// checkCrashStorage fails the test unless the children kept their state
// where storage says: the ledger file in the data folder on bbolt only.
func checkCrashStorage(t *testing.T, storage, data string) {
	t.Helper()
	_, err := os.Stat(filepath.Join(data, "ledger.db"))
	if bolt := err == nil; bolt != (storage == "") {
		t.Fatalf("storage %q: ledger.db in the data folder: %v", storage, bolt)
	}
}

// crashConfig is the configuration of a crash test's child and of its
// final checks, which read through the same storage.
func crashConfig(storage, data, partnersDir string) *Config {
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners, cfg.Storage, cfg.ClaimLease = data, partnersDir, storage, crashClaimLease
	return cfg
}

// writeCrashFiles writes n CSV adjustment files of 10 rows and returns the
// expected on-hand figure per "sku@location".
func writeCrashFiles(t *testing.T, dir string, n int) map[string]int64 {
	t.Helper()
	want := map[string]int64{}
	for i := 0; i < n; i++ {
		var b strings.Builder
		b.WriteString("sku,location,qty\n")
		for row := 0; row < 10; row++ {
			sku, loc, qty := fmt.Sprintf("SKU-%02d", (i+row)%20), fmt.Sprintf("L%d", row%3), int64(i+row+1)
			fmt.Fprintf(&b, "%s,%s,%d\n", sku, loc, qty)
			want[sku+"@"+loc] += qty
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("adj-%03d.csv", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return want
}

// killRounds runs child rounds times, each killed with SIGKILL once it
// has reported a random number of steps (1 to maxSteps lines starting with
// crashStep on its standard output), so the kills land mid-work on a fast
// machine as on a slow one; a round that ends before its number is reached
// is not killed. A last round then runs to the end, after the claim
// lease (crashClaimLease), so that on PostgreSQL it also takes up the
// messages killed children held. It returns how many rounds were killed.
func killRounds(t *testing.T, rng *rand.Rand, rounds, maxSteps int, child func() *exec.Cmd) int {
	t.Helper()
	kills := 0
	for round := 0; round < rounds; round++ {
		cmd := child()
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		target, steps, killed := 1+rng.IntN(maxSteps), 0, false
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if !strings.HasPrefix(sc.Text(), crashStep) {
				continue
			}
			if steps++; steps == target {
				// A little later than the step itself: inside the next one.
				time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
				break
			}
		}
		io.Copy(io.Discard, out)
		err = cmd.Wait()
		switch {
		case killed:
			kills++
		case err != nil:
			t.Fatalf("round %d: child failed after %d steps: %v", round, steps, err)
		case steps > 1:
			// A whole round is now this long: aim the next kills inside it.
			maxSteps = steps - 1
		}
	}
	// The last run goes to the end.
	time.Sleep(crashClaimLease)
	if out, err := child().CombinedOutput(); err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}
	t.Logf("%d of %d rounds killed", kills, rounds)
	if kills < rounds/2 {
		t.Errorf("only %d of %d rounds were killed mid-work: the test checks too little", kills, rounds)
	}
	return kills
}

// crashStep starts each line a crash child writes to its standard output
// when it has done a step (received a file, processed a message).
const crashStep = "crash-step "

// crashChildLogger logs each processed message as a crash step on
// standard output, so killRounds can time its kill on progress.
func crashChildLogger() *slog.Logger {
	return slog.New(stepHandler{})
}

// stepHandler writes one crashStep line per record logged at Info or
// above.
type stepHandler struct{}

func (stepHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (stepHandler) Handle(_ context.Context, r slog.Record) error {
	_, err := fmt.Fprintf(os.Stdout, "%s%s\n", crashStep, r.Message)
	return err
}
func (h stepHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h stepHandler) WithGroup(string) slog.Handler      { return h }
