package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/cputime"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
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
	var cpu, receive time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		body := gen846(200_000, 1000+i)
		b.StartTimer()
		c0 := cputime.Now()
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
		cpu += cputime.Now() - c0
		if m, _ = g.Inbox.Get(m.ID); m.State != inbox.Done || m.Result.Movements != 200_000 {
			b.Fatalf("%s, %d movements, %v", m.State, m.Result.Movements, m.Errors)
		}
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(receive.Seconds()/float64(b.N), "receive-s/op") // the body into the database
}

// BenchmarkClusterSmall846s runs 1,000 small 846s (10 items each) through
// one node, then three nodes, on one PostgreSQL: the files arrive at the
// nodes in turn from 8 goroutines (as through a load balancer), every
// node's workers claim from the shared inbox, and the clock stops when
// the last file is done. Reports files/s. The nodes share this process
// and this machine's cores; on separate machines only the database is
// shared.
func BenchmarkClusterSmall846s(b *testing.B) {
	for _, nodes := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) { benchCluster(b, nodes) })
	}
}

func benchCluster(b *testing.B, n int) {
	pool := pgstoretest.Migrated(b, &pg, Migrations()...)
	url := pool.Config().ConnString()
	ctx, cancel := context.WithCancel(context.Background())
	var finished atomic.Int64
	progress := make(chan struct{}, 1)
	var failed atomic.Value
	var workers sync.WaitGroup
	defer func() { cancel(); workers.Wait() }()
	nodes := make([]*Gateway, n)
	for k := range nodes {
		g := openBenchNode(b, url)
		g.OnFinish(func(m *inbox.Message, o inbox.Outcome) {
			if o.State != inbox.Done {
				failed.Store(fmt.Sprintf("%s: %s %v", m.Name, o.State, o.Errors))
			}
			finished.Add(1)
			select {
			case progress <- struct{}{}:
			default:
			}
		})
		workers.Go(func() { g.RunWorkers(ctx, g.Config.Workers) })
		nodes[k] = g
	}
	const files, senders = 1000, 8
	c0 := cputime.Now()
	for i := 0; b.Loop(); i++ {
		var arrivals sync.WaitGroup
		for s := range senders {
			arrivals.Go(func() {
				for f := s; f < files; f += senders {
					g := nodes[f%n]
					body := gen846(10, 100_000+i*files+f)
					if _, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: "benchco", Transport: "bench", Name: fmt.Sprintf("f%d-%d.edi", i, f)}, bytes.NewReader(body)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		arrivals.Wait()
		for finished.Load() < int64(files*(i+1)) && !b.Failed() {
			select {
			case <-progress:
			case <-time.After(time.Second): // another node's finish
			}
		}
		if v := failed.Load(); v != nil {
			b.Fatal(v)
		}
	}
	b.ReportMetric(float64(b.N*files)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(b.N*files)/(cputime.Now()-c0).Seconds(), "files/cpu-s")
}
