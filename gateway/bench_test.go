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
)

const benchProfile = `id: benchco
name: Bench Co
role: 3pl
identities:
  isa: [{qualifier: ZZ, id: BENCHCO}]
acks: {send: "997"}
transports:
  inbound:
    - folder: {path: in}
  outbound:
    - folder: {path: out}
documents:
  - type: x12/846
    content: snapshot
    mapping:
      buckets: {"17": on_hand, "33": compare}
      location: {source: header_n1, qualifier: WH}
      items: {order: [SK]}
  - type: csv
    content: adjustments
    mapping:
      columns: {sku: sku, location: location, quantity: qty}
`

// gen846 writes an 004010 846 with n LIN items, one ST per 10,000.
func gen846(n int, control int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "ISA*00*          *00*          *ZZ*BENCHCO        *ZZ*DOCKSIDE       *261126*1200*U*00401*%09d*0*P*>~\n", control)
	fmt.Fprintf(&b, "GS*IB*BENCHCO*DOCKSIDE*20261126*1200*%d*X*004010~\n", control)
	sets := 0
	for start := 0; start < n; start += 10000 {
		sets++
		end := min(start+10000, n)
		fmt.Fprintf(&b, "ST*846*%04d~\nBIA*00*DD*REF%d*20261126*1200~\nDTM*405*20261126~\nN1*WH*Main*92*WH1~\n", sets, sets)
		for i := start; i < end; i++ {
			fmt.Fprintf(&b, "LIN**SK*SKU%07d*UP*012345678905~\nPID*F****Widget %d~\nQTY*17*%d*EA~\nQTY*33*%d*EA~\n", i, i, i%500+1, i%400)
		}
		fmt.Fprintf(&b, "CTT*%d~\nSE*%d*%04d~\n", end-start, 4+4*(end-start)+2, sets)
	}
	fmt.Fprintf(&b, "GE*%d*%d~\nIEA*1*%09d~\n", sets, control, control)
	return b.Bytes()
}

func openBench(b *testing.B) *Gateway {
	b.Helper()
	dir := b.TempDir()
	os.MkdirAll(filepath.Join(dir, "partners"), 0o755)
	os.WriteFile(filepath.Join(dir, "partners", "benchco.yaml"), []byte(benchProfile), 0o644)
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners = filepath.Join(dir, "data"), filepath.Join(dir, "partners")
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Close() })
	return g
}

// BenchmarkIngest846 runs a 200,000-item 846 from receipt to committed
// ledger (fsyncs included): store, validate, 997, map, post.
func BenchmarkIngest846(b *testing.B) {
	g := openBench(b)
	ctx := context.Background()
	b.ReportAllocs()
	var cpu time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		body := gen846(200_000, 1000+i)
		b.StartTimer()
		c0 := cputime.Now()
		b.SetBytes(int64(len(body)))
		m, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: "benchco", Transport: "bench", Name: "big.edi"}, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		if err := g.Drain(ctx, 1); err != nil {
			b.Fatal(err)
		}
		cpu += cputime.Now() - c0
		if m, _ = g.Inbox.Get(m.ID); m.State != inbox.Done || m.Result.Movements != 200_000 {
			b.Fatalf("%s, %d movements, %v", m.State, m.Result.Movements, m.Errors)
		}
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkIngestSmallFiles runs 1,000 CSV files of 10 rows each through
// the pipeline while the configured workers run, as `serve` does: the files
// arrive from `senders` goroutines at once (as from that many SFTP sessions
// or AS2 posts), and the clock stops when the last one is done (ledger
// committed, message finished). Reports files/s.
func BenchmarkIngestSmallFiles(b *testing.B) {
	for _, senders := range []int{1, 8} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) { benchSmallFiles(b, senders) })
	}
}

func benchSmallFiles(b *testing.B, senders int) {
	g := openBench(b)
	ctx, cancel := context.WithCancel(context.Background())
	var finished atomic.Int64
	progress := make(chan struct{}, 1)
	var failed atomic.Value
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
	var workers sync.WaitGroup
	workers.Go(func() { g.RunWorkers(ctx, g.Config.Workers) })
	defer func() { cancel(); workers.Wait() }()
	c0 := cputime.Now()
	const files = 1000
	for i := 0; b.Loop(); i++ {
		var arrivals sync.WaitGroup
		for s := range senders {
			arrivals.Go(func() {
				for f := s; f < files; f += senders {
					var body bytes.Buffer
					body.WriteString("sku,location,qty\n")
					for r := 0; r < 10; r++ {
						fmt.Fprintf(&body, "SKU%03d,WH%d,%d\n", (f+r)%300, r%2, i+f+r+1)
					}
					if _, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: "benchco", Transport: "bench", Name: fmt.Sprintf("f%d-%d.csv", i, f)}, &body); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		arrivals.Wait()
		for finished.Load() < int64(files*(i+1)) && !b.Failed() {
			<-progress
		}
		if v := failed.Load(); v != nil {
			b.Fatal(v)
		}
	}
	b.ReportMetric(float64(b.N*files)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(b.N*files)/(cputime.Now()-c0).Seconds(), "files/cpu-s")
}
