package gateway

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/cputime"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/jackc/pgx/v5/pgxpool"
)

// openBenchNode opens a gateway node on the PostgreSQL storage url, with
// its own data folder, as openBench does on bbolt.
func openBenchNode(b *testing.B, url string) *Gateway {
	b.Helper()
	dir := b.TempDir()
	os.MkdirAll(filepath.Join(dir, "partners"), 0o755)
	os.WriteFile(filepath.Join(dir, "partners", "benchco.yaml"), []byte(benchProfile), 0o644)
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners, cfg.Storage = filepath.Join(dir, "data"), filepath.Join(dir, "partners"), url
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Close() })
	return g
}

// BenchmarkIngest846Postgres is BenchmarkIngest846 on PostgreSQL: a
// 200,000-item 846 from receipt to committed ledger, the body stored in
// the database and the movements posted by ledger/postgres.
func BenchmarkIngest846Postgres(b *testing.B) {
	pool := pgstoretest.Migrated(b, &pg, Migrations()...)
	g := openBenchNode(b, pool.Config().ConnString())
	ctx := context.Background()
	postmaster := postmasterPID(b, pool)
	var cpu, pgCPU, receive time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		body := gen846(200_000, 1000+i)
		b.StartTimer()
		c0, p0 := cputime.Now(), treeCPU(postmaster)
		b.SetBytes(int64(len(body)))
		t0 := time.Now()
		m, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: "benchco", Transport: "bench", Name: "big.edi"}, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		receive += time.Since(t0)
		if err := g.Drain(ctx, 1); err != nil {
			b.Fatal(err)
		}
		cpu, pgCPU = cpu+cputime.Now()-c0, pgCPU+treeCPU(postmaster)-p0
		if m, _ = g.Inbox.Get(m.ID); m.State != inbox.Done || m.Result.Movements != 200_000 {
			b.Fatalf("%s, %d movements, %v", m.State, m.Result.Movements, m.Errors)
		}
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(pgCPU.Seconds()/float64(b.N), "pg-cpu-s/op")    // PostgreSQL's server processes
	b.ReportMetric(receive.Seconds()/float64(b.N), "receive-s/op") // the body into the database
}

// BenchmarkClusterSmall846s runs 1,000 small 846s (10 items each) a
// batch through one node, then three nodes, on one PostgreSQL. Each node
// is a process of its own (this test binary run as TestClusterBenchNode),
// as on separate machines: the files arrive at the nodes in turn (file f
// at node f mod n, from 8 goroutines in all, as through a load balancer),
// every node's workers claim from the shared inbox, and the clock stops
// when the last file is done. Reports files/s; the CPU time per file of
// the nodes and of PostgreSQL (its server processes, from /proc); the
// cores they kept busy (both CPU times over the wall time: near the
// machine's core count, the cores bound the figure, not the database's
// latency); and per file the nodes' round trips to the database, its
// transactions and its WAL flushes (pg_stat_database, pg_stat_wal).
func BenchmarkClusterSmall846s(b *testing.B) {
	for _, nodes := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) { benchCluster(b, nodes) })
	}
}

// The batch of BenchmarkClusterSmall846s.
const clusterFiles, clusterSenders = 1000, 8

// benchNodePrefix starts the lines a node process writes for the
// benchmark on its standard output.
const benchNodePrefix = "bench-node: "

func benchCluster(b *testing.B, n int) {
	pool := pgstoretest.Migrated(b, &pg, Migrations()...)
	url := pool.Config().ConnString()
	ctx := context.Background()
	postmaster := postmasterPID(b, pool)
	db := pool.Config().ConnConfig.Database
	stats := func() (xacts, walSyncs int64) {
		pool.QueryRow(ctx, `SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1),
			(SELECT wal_sync FROM pg_stat_wal)`, db).Scan(&xacts, &walSyncs)
		return
	}
	lines := make(chan string, 4096)
	nodes := make([]*exec.Cmd, n)
	stdins := make([]io.WriteCloser, n)
	stderr := make([]bytes.Buffer, n)
	var readers sync.WaitGroup
	for k := range nodes {
		cmd := exec.Command(os.Args[0], "-test.run=^TestClusterBenchNode$", "-test.count=1")
		cmd.Env = append(os.Environ(), "DOCKSIDE_BENCH_NODE="+url, fmt.Sprintf("DOCKSIDE_BENCH_NODE_K=%d/%d", k, n))
		cmd.Stderr = &stderr[k]
		stdin, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		if cores := nodeCores(b); cores > 0 {
			limitCPU(b, fmt.Sprintf("dockside-bench-%d-%d-%d", os.Getpid(), n, k), cmd.Process.Pid, cores)
		}
		nodes[k], stdins[k] = cmd, stdin
		readers.Go(func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if line, ok := strings.CutPrefix(sc.Text(), benchNodePrefix); ok {
					lines <- line
				}
			}
			lines <- fmt.Sprintf("exit %d", k)
		})
	}
	stopped := false
	stop := func() (trips int64, posting time.Duration) {
		if stopped {
			return 0, 0
		}
		stopped = true
		for _, in := range stdins {
			in.Close() // the node prints its round trips and exits
		}
		for k, cmd := range nodes {
			if err := cmd.Wait(); err != nil {
				b.Errorf("node %d: %v\n%s", k, err, stderr[k].Bytes())
			}
		}
		readers.Wait()
		close(lines)
		for line := range lines {
			var t int64
			if _, err := fmt.Sscanf(line, "trips %d", &t); err == nil {
				trips += t
			}
			if _, err := fmt.Sscanf(line, "posting %d", &t); err == nil {
				posting += time.Duration(t)
			}
		}
		return trips, posting
	}
	defer stop()
	next := func() string {
		select {
		case line := <-lines:
			if strings.HasPrefix(line, "exit ") || strings.HasPrefix(line, "failed ") {
				k, _ := strconv.Atoi(strings.TrimPrefix(line, "exit "))
				b.Fatalf("%s\n%s", line, stderr[min(k, n-1)].Bytes())
			}
			return line
		case <-time.After(5 * time.Minute):
			b.Fatal("no node finished a file in 5 minutes")
		}
		return ""
	}
	for ready := 0; ready < n; {
		if next() == "ready" {
			ready++
		}
	}
	x0, w0 := stats()
	if os.Getenv("DOCKSIDE_BENCH_WAITS") != "" {
		defer sampleWaits(b, pool, db)()
	}
	var nodeCPU, dbCPU time.Duration
	finished := 0
	for i := 0; b.Loop(); i++ {
		c0, p0 := processesCPU(nodes), treeCPU(postmaster)
		for _, in := range stdins {
			fmt.Fprintf(in, "go %d\n", i)
		}
		t0 := time.Now()
		for finished < clusterFiles*(i+1) {
			line := next()
			if line == "done" {
				finished++
			} else if strings.HasPrefix(line, "received") {
				b.Logf("batch %d: %s in %v", i, line, time.Since(t0))
			}
		}
		b.Logf("batch %d: done in %v", i, time.Since(t0))
		nodeCPU += processesCPU(nodes) - c0
		dbCPU += treeCPU(postmaster) - p0
	}
	elapsed := b.Elapsed().Seconds()
	trips, posting := stop() // the nodes' sessions end: their statistics reach the views
	time.Sleep(600 * time.Millisecond)
	x1, w1 := stats()
	files := float64(b.N * clusterFiles)
	b.ReportMetric(files/elapsed, "files/s")
	b.ReportMetric(nodeCPU.Seconds()*1000/files, "node-cpu-ms/file")
	b.ReportMetric(dbCPU.Seconds()*1000/files, "pg-cpu-ms/file")
	b.ReportMetric((nodeCPU+dbCPU).Seconds()/elapsed, "cores-busy")
	b.ReportMetric(float64(trips)/files, "round-trips/file")
	// The workers' wall time per file, and the part of it in ledger
	// postings (Ledger.Post, summed over the workers).
	workers := float64(n * DefaultConfig().Workers)
	b.ReportMetric(workers*elapsed*1000/files, "worker-ms/file")
	b.ReportMetric(posting.Seconds()*1000/files, "posting-ms/file")
	b.ReportMetric(float64(x1-x0)/files, "xacts/file")
	b.ReportMetric(float64(w1-w0)/files, "wal-flushes/file")
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		b.Logf("load average %s", bytes.TrimSpace(la))
	}
}

// TestClusterBenchNode is a node of BenchmarkClusterSmall846s: a gateway
// on the PostgreSQL database $DOCKSIDE_BENCH_NODE, node k of n
// ($DOCKSIDE_BENCH_NODE_K, "k/n"). It runs its workers; at each line "go
// i" on its standard input it receives its share of batch i; it writes
// "done" per message it finishes, and at the end of its input its round
// trips to the database.
func TestClusterBenchNode(t *testing.T) {
	url := os.Getenv("DOCKSIDE_BENCH_NODE")
	if url == "" {
		t.Skip("a node process of BenchmarkClusterSmall846s")
	}
	var k, n int
	if _, err := fmt.Sscanf(os.Getenv("DOCKSIDE_BENCH_NODE_K"), "%d/%d", &k, &n); err != nil || n < 1 {
		t.Fatalf("DOCKSIDE_BENCH_NODE_K: %v", err)
	}
	rt := &roundTrips{}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "partners"), 0o755)
	os.WriteFile(filepath.Join(dir, "partners", "benchco.yaml"), []byte(benchProfile), 0o644)
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners, cfg.Storage = filepath.Join(dir, "data"), filepath.Join(dir, "partners"), url
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), tunePool: rt.tune})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	posting := &timedPosts{Store: g.Ledger}
	g.Ledger = posting // the pipeline posts through it
	var out sync.Mutex
	say := func(format string, args ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Printf(benchNodePrefix+format+"\n", args...)
	}
	g.OnFinish(func(m *inbox.Message, o inbox.Outcome) {
		if o.State != inbox.Done {
			say("failed %s: %s %v", m.Name, o.State, o.Errors)
			return
		}
		say("done")
	})
	ctx, cancel := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	workers.Go(func() { g.RunWorkers(ctx, g.Config.Workers) })
	say("ready")
	// This node's share of the senders: 8 in all.
	senders := (clusterSenders + n - 1) / n
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var batch int
		if _, err := fmt.Sscanf(in.Text(), "go %d", &batch); err != nil {
			continue
		}
		var arrivals sync.WaitGroup
		for s := range senders {
			arrivals.Go(func() {
				for f := k + s*n; f < clusterFiles; f += senders * n {
					body := gen846(10, 100_000+batch*clusterFiles+f)
					if _, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: "benchco", Transport: "bench", Name: fmt.Sprintf("f%d-%d.edi", batch, f)}, bytes.NewReader(body)); err != nil {
						say("failed receiving: %v", err)
						return
					}
				}
			})
		}
		arrivals.Wait()
		say("received %d", batch)
	}
	cancel()
	workers.Wait()
	say("trips %d", rt.trips.Load())
	say("posting %d", posting.wall.Load())
}

// timedPosts is a ledger that adds up the wall time of its postings.
type timedPosts struct {
	ledger.Store
	wall atomic.Int64 // nanoseconds
}

func (l *timedPosts) Post(ctx context.Context, doc ledger.Document) (ledger.PostResult, error) {
	t0 := time.Now()
	defer func() { l.wall.Add(int64(time.Since(t0))) }()
	return l.Store.Post(ctx, doc)
}

// postmasterPID returns the process id of the PostgreSQL server of pool:
// the parent of a backend.
func postmasterPID(b *testing.B, pool *pgxpool.Pool) int {
	var backend int
	if err := pool.QueryRow(context.Background(), `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		b.Fatal(err)
	}
	st, err := procStat(backend)
	if err != nil {
		b.Fatal(err)
	}
	return st.ppid
}

// processesCPU returns the CPU time the processes have used.
func processesCPU(cmds []*exec.Cmd) time.Duration {
	var d time.Duration
	for _, c := range cmds {
		if st, err := procStat(c.Process.Pid); err == nil {
			d += st.cpu
		}
	}
	return d
}

// treeCPU returns the CPU time of process pid and its children: those
// running, and those ended that it waited for.
func treeCPU(pid int) time.Duration {
	st, err := procStat(pid)
	if err != nil {
		return 0
	}
	d := st.cpu + st.children
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := procStat(child); err == nil && st.ppid == pid {
			d += st.cpu + st.children
		}
	}
	return d
}

type procStatus struct {
	ppid          int
	cpu, children time.Duration // user + system; of waited-for children
}

// procStat reads /proc/<pid>/stat.
func procStat(pid int) (procStatus, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStatus{}, err
	}
	// After "pid (comm) ": state, ppid, … utime (14), stime, cutime, cstime.
	i := bytes.LastIndexByte(raw, ')')
	f := strings.Fields(string(raw[i+2:]))
	if len(f) < 15 {
		return procStatus{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	num := func(j int) int64 { v, _ := strconv.ParseInt(f[j], 10, 64); return v }
	const tick = 10 * time.Millisecond // USER_HZ 100 on Linux
	return procStatus{ppid: int(num(1)),
		cpu:      time.Duration(num(11)+num(12)) * tick,
		children: time.Duration(num(13)+num(14)) * tick}, nil
}
