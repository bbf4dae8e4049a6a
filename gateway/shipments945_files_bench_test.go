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
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// warehouseBenchProfile is one of the benchmark's eight 3PLs: wh<n>
// fulfils our location loc<n>, its items are our SKUs (W12 VN).
const warehouseBenchProfile = `id: wh%[1]d
name: Warehouse %[1]d
role: 3pl
identities:
  isa: [{qualifier: ZZ, id: WH%[1]d}]
acks: {send: "997"}
transports:
  inbound:
    - folder: {path: in%[1]d}
  outbound:
    - folder: {path: out%[1]d}
documents:
  - type: x12/945
    mapping:
      items: {order: [VN]}
fulfils:
  locations: {loc%[1]d: W%[1]d}
  items: {qualifier: VN}
`

// BenchmarkShipments945Files: 10,000 small 945s (3 W12 lines each) from
// 8 warehouses at once, each confirming in full an order sent to it,
// from inbox.Receive to posted (validated, 997 queued, settled against
// the order, shipments posted, the order closed), with the workers
// serve runs (Config.Workers). The orders (records and their allocations
// in the ledger) are set up outside the timer. Reports files/s (wall)
// and files per CPU-s.
func BenchmarkShipments945Files(b *testing.B) {
	const (
		files    = 10_000
		senders  = 8
		lines    = 3
		skuCount = 200
	)
	dir := b.TempDir()
	parts := filepath.Join(dir, "partners")
	os.MkdirAll(parts, 0o755)
	for w := range senders {
		os.WriteFile(filepath.Join(parts, fmt.Sprintf("wh%d.yaml", w)), fmt.Appendf(nil, warehouseBenchProfile, w), 0o644)
	}
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners = filepath.Join(dir, "data"), parts
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
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

	var cpu time.Duration
	var size int64
	for round := range b.N {
		b.StopTimer()
		bodies := setup945Round(b, g, round, files, senders, lines, skuCount)
		size = 0
		for _, body := range bodies {
			size += int64(len(body))
		}
		b.StartTimer()
		c0 := cputime.Now()
		var arrivals sync.WaitGroup
		for s := range senders {
			arrivals.Go(func() {
				for f := s; f < files; f += senders {
					a := inbox.Arrival{Partner: fmt.Sprintf("wh%d", s), Transport: "bench", Name: fmt.Sprintf("945-%d-%d.edi", round, f)}
					if _, err := g.Inbox.Receive(ctx, a, bytes.NewReader(bodies[f])); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		arrivals.Wait()
		for finished.Load() < int64(files*(round+1)) && !b.Failed() {
			<-progress
		}
		cpu += cputime.Now() - c0
		if v := failed.Load(); v != nil {
			b.Fatal(v)
		}
	}
	b.StopTimer()
	b.SetBytes(size / files)
	b.ReportMetric(float64(b.N*files)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(b.N*files)/cpu.Seconds(), "files/cpu-s")
	for w := range senders {
		for k := range 3 {
			sku := fmt.Sprintf("SKU-%03d", k)
			if bal, _ := g.Ledger.Balance(context.Background(), sku, fmt.Sprintf("loc%d", w)); bal.Allocated != 0 {
				b.Fatalf("%s at loc%d after the 945s: %+v", sku, w, bal)
			}
		}
	}
	last, err := g.orders.store.Get(context.Background(), mapping.KindOrder, "shop", fmt.Sprintf("R%d-%05d", b.N-1, files-1))
	if err != nil || last.Status() != orders.Closed {
		b.Fatalf("the last order after its 945: %v %v", last, err)
	}
}

// setup945Round stores the round's orders (order f of shop sent to
// warehouse f%senders for its location, lines of 2 each, allocated in
// the ledger) and returns the 945 confirming each in full.
func setup945Round(b *testing.B, g *Gateway, round, files, senders, lines, skuCount int) [][]byte {
	ctx := context.Background()
	recs := make([]*orders.Record, files)
	bodies := make([][]byte, files)
	ms := make([]ledger.Movement, 0, 2*files*lines)
	for f := range files {
		w := f % senders
		number, loc := fmt.Sprintf("R%d-%05d", round, f), fmt.Sprintf("loc%d", w)
		rec := orders.New("shop", number)
		rec.Open = true
		d := orders.Dispatch{Warehouse: fmt.Sprintf("wh%d", w), Location: loc, Code: fmt.Sprintf("W%d", w), Order: number,
			Sends: []orders.Send{{Revision: 1, Purpose: orders.PurposeNew, Outbox: 1, Queued: time.Now()}}}
		ctrl := round*files + f + 1
		var body bytes.Buffer
		fmt.Fprintf(&body, "ISA*00*          *00*          *ZZ*WH%-13d*ZZ*DOCKSIDE       *261126*0100*U*00401*%09d*0*P*>~\n", w, ctrl)
		fmt.Fprintf(&body, "GS*SW*WH%d*DOCKSIDE*20261126*0100*%d*X*004010~\nST*945*0001~\nW06*F*%s*20261126*BOL-%s~\nLX*1~\n", w, ctrl, number, number)
		for l := range lines {
			sku := fmt.Sprintf("SKU-%03d", (f+l*7)%skuCount)
			rec.Lines = append(rec.Lines, mapping.OrderLine{SKU: sku, Location: loc, Quantity: 2})
			d.Lines = append(d.Lines, orders.Line{SKU: sku, Item: sku, Quantity: 2})
			ms = append(ms, ledger.Movement{SourceKey: number + "|r|" + sku, SKU: sku, Location: loc, Kind: ledger.KindReceipt, Quantity: 2},
				ledger.Movement{SourceKey: number + "|a|" + sku, SKU: sku, Location: loc, Kind: ledger.KindAllocate, Quantity: 2,
					Reference: ledger.Reference{Partner: "shop", DocumentType: "940", Order: number}})
			fmt.Fprintf(&body, "W12*CC*2*2*0*EA**VN*%s~\nN9*LI*%d~\n", sku, l+1)
		}
		fmt.Fprintf(&body, "W03*%d~\nSE*%d*0001~\nGE*1*%d~\nIEA*1*%09d~\n", 2*lines, 2*lines+5, ctrl, ctrl)
		rec.Dispatches = []orders.Dispatch{d}
		recs[f], bodies[f] = rec, body.Bytes()
	}
	if _, err := g.Ledger.Post(ctx, ledger.Document{Key: fmt.Sprintf("bench|round|%d", round), Movements: ms}); err != nil {
		b.Fatal(err)
	}
	if err := g.orders.store.Seed(ctx, recs); err != nil { // one transaction
		b.Fatal(err)
	}
	return bodies
}
