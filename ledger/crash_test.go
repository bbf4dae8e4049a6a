package ledger

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Environment of the crash child (TestCrashHelperProcess).
const (
	envCrashDir   = "LEDGER_CRASH_DIR"
	envCrashRound = "LEDGER_CRASH_ROUND"
)

// TestCrash runs a child process that posts in a loop and kills it with
// SIGKILL at a random moment, many rounds on the same file. After every
// kill the file must open, pass bbolt's check and every invariant (each
// balance equals the sum of its movements, no source key twice), and hold
// every posting the child saw acknowledged.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	rounds := 20
	if v, err := strconv.Atoi(os.Getenv("LEDGER_CRASH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	acked := make(map[uint64]string) // seq → document key, across rounds
	for round := range rounds {
		got := crashRound(t, dir, round, time.Duration(20+rng.IntN(300))*time.Millisecond)
		for seq, key := range got {
			acked[seq] = key
		}
		l, err := Open(path, nil)
		if err != nil {
			t.Fatalf("round %d: reopening after SIGKILL: %v", round, err)
		}
		if err := l.Verify(context.Background()); err != nil {
			l.Close()
			t.Fatalf("round %d: %v", round, err)
		}
		changes, err := l.ChangesSince(context.Background(), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		stored := make(map[uint64]string, len(changes))
		for _, c := range changes {
			stored[c.Seq] = c.Document
		}
		for seq, key := range acked {
			if stored[seq] != key {
				t.Fatalf("round %d: acknowledged posting %d (%s) lost: have %q", round, seq, key, stored[seq])
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	checkFile(t, path)
	t.Logf("%d rounds, %d acknowledged postings survived", rounds, len(acked))
}

// crashRound starts the child, lets it post for d after it is ready, kills
// it and returns the postings it acknowledged (seq → document key).
func crashRound(t *testing.T, dir string, round int, d time.Duration) map[uint64]string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashRound+"="+strconv.Itoa(round))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := make(map[uint64]string)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		sc := bufio.NewScanner(stdout)
		once := sync.OnceFunc(func() { close(ready) })
		defer once()
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 1 && f[0] == "ready":
				once()
			case len(f) == 3 && f[0] == "ok":
				seq, err := strconv.ParseUint(f[1], 10, 64)
				if err == nil && seq > 0 {
					acked[seq] = f[2]
				}
			}
		}
	})
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Log("child not ready after 30s")
	}
	time.Sleep(d)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("round %d: child was not killed (%v); stderr:\n%s", round, err, stderr.String())
	}
	return acked
}

// TestCrashHelperProcess is the crash child: it posts random documents
// from four goroutines until killed, printing "ok SEQ KEY" after each
// acknowledged posting. It does nothing unless run by TestCrash.
func TestCrashHelperProcess(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		t.Skip("only run as TestCrash's child")
	}
	round, _ := strconv.Atoi(os.Getenv(envCrashRound))
	l, err := Open(filepath.Join(dir, "ledger.db"), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var out sync.Mutex
	say := func(format string, args ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Fprintf(os.Stdout, format, args...)
	}
	say("ready\n")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(round), uint64(g)))
			for n := 0; ; n++ {
				doc := crashDocument(rng, round, g, n)
				res, err := l.Post(context.Background(), doc)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(4)
				}
				say("ok %d %s\n", res.Seq, doc.Key)
			}
		})
	}
	wg.Wait()
}

// crashDocument generates document n of goroutine g in a round: a few to a
// few thousand movements of every kind over a small set of positions, with
// source keys that repeat earlier rounds' now and then (duplicates).
func crashDocument(rng *rand.Rand, round, g, n int) Document {
	key := fmt.Sprintf("r%d-g%d-d%d", round, g, n)
	size := 1 + rng.IntN(20)
	if rng.IntN(20) == 0 {
		size = 500 + rng.IntN(3000) // now and then a large one
	}
	doc := Document{Key: key, Movements: make([]Movement, size)}
	for i := range doc.Movements {
		src := fmt.Sprintf("%s/%d", key, i)
		if round > 0 && rng.IntN(10) == 0 {
			// A source key an earlier round may have posted.
			src = fmt.Sprintf("r%d-g%d-d%d/%d", rng.IntN(round), rng.IntN(4), rng.IntN(50), rng.IntN(20))
		}
		doc.Movements[i] = randomMovement(rng, src, 8, 3)
	}
	return doc
}

// randomMovement makes a valid movement of any kind over skus × locs
// positions, effective within a 100-hour window.
func randomMovement(rng *rand.Rand, src string, skus, locs int) Movement {
	m := Movement{
		SourceKey: src,
		SKU:       fmt.Sprintf("SKU%d", rng.IntN(skus)),
		Location:  fmt.Sprintf("L%d", rng.IntN(locs)),
		Kind:      Kind(1 + rng.IntN(int(kindEnd)-1)),
		Quantity:  int64(rng.IntN(50)),
		Effective: t0.Add(time.Duration(rng.IntN(100*60)) * time.Minute),
	}
	if m.Kind.signed() && rng.IntN(2) == 0 {
		m.Quantity = -m.Quantity
	}
	switch m.Kind {
	case KindReceipt:
		if rng.IntN(2) == 0 {
			m.TakeInTransit = true
			if rng.IntN(2) == 0 {
				m.Expected = t0.Add(time.Duration(rng.IntN(5)) * 24 * time.Hour)
			}
		}
	case KindShipment:
		if rng.IntN(3) > 0 {
			m.Reference.Order = fmt.Sprintf("SO%d", rng.IntN(5))
		}
	case KindAllocate, KindRelease:
		m.Reference.Order = fmt.Sprintf("SO%d", rng.IntN(5))
	case KindInTransit:
		if rng.IntN(4) > 0 {
			m.Expected = t0.Add(time.Duration(rng.IntN(5)) * 24 * time.Hour)
		}
	case KindAdjust:
		m.Reason = "count"
	case KindSnapshot:
		m.Bucket = Bucket(rng.IntN(int(bucketEnd)))
		if m.Bucket == BucketInTransit && rng.IntN(2) == 0 {
			m.Expected = t0.Add(time.Duration(rng.IntN(5)) * 24 * time.Hour)
		}
	}
	return m
}
