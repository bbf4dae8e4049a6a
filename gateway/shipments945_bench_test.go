package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/cputime"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// BenchmarkShipment945: one 945 of 100,000 W12 lines (each with its
// N9*LI) per iteration, received, validated, mapped, settled against its
// order and posted (100,000 shipments out of on hand and the order's
// allocations). The order (a record sent to acme-3pl, its allocations in
// the ledger) is set up outside the timer. Reports lines per second and
// CPU seconds per 945 (the wall clock of the shared machine measures the
// neighbours too).
func BenchmarkShipment945(b *testing.B) {
	const lines = 100_000
	dir := b.TempDir()
	parts := filepath.Join(dir, "partners")
	copyTreeB(b, "../examples/partners", parts)
	f := filepath.Join(parts, "acme-3pl.yaml")
	y, _ := os.ReadFile(f)
	y = bytes.Replace(withoutDemoWarehouse(y), []byte("\ndocuments:\n"), []byte("\ndocuments:\n  - type: x12/945\n    mapping:\n      items: {order: [VN]}\n"), 1)
	y = append(y, "\nfulfils:\n  locations: {dallas: DAL1}\n  items: {qualifier: VN}\n"...)
	os.WriteFile(f, y, 0o644)
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners, cfg.Workers = filepath.Join(dir, "data"), parts, 2
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	ctx := context.Background()
	var size int64
	var cpu time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		order := fmt.Sprintf("BIG-%d", i)
		body := benchOrder945(b, g, order, 900+i, lines)
		size = int64(len(body))
		b.StartTimer()
		c0 := cputime.Now()
		if _, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: "acme-3pl", Transport: "bench", Name: order + ".edi"}, bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
		if err := g.Drain(ctx, 1); err != nil {
			b.Fatal(err)
		}
		cpu += cputime.Now() - c0
	}
	b.StopTimer()
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.SetBytes(size)
	b.ReportMetric(float64(b.N*lines)/b.Elapsed().Seconds(), "lines/s")
	if ms, _ := g.Inbox.List(inbox.Filter{State: inbox.Failed}); len(ms) > 0 {
		b.Fatalf("%d 945s failed: %v", len(ms), ms[0].Errors)
	}
	if bal, _ := g.Ledger.Balance(ctx, "SKU-000007", "dallas"); bal.Allocated != 0 || bal.OnHand != 0 {
		b.Fatalf("SKU-000007 at dallas after the 945s: %+v", bal)
	}
}

// benchOrder945 sets up order (lines SKU-000000... at dallas, 10 each,
// received, allocated, sent to acme-3pl as a 940) and returns the 945
// that ships it all.
func benchOrder945(b *testing.B, g *Gateway, order string, ctrl, lines int) []byte {
	ctx := context.Background()
	rec := orders.New("shopmart", order)
	rec.Open = true
	d := orders.Dispatch{Warehouse: "acme-3pl", Location: "dallas", Code: "DAL1", Order: order,
		Sends: []orders.Send{{Revision: 1, Purpose: orders.PurposeNew, Outbox: 1, Queued: time.Now()}}}
	ms := make([]ledger.Movement, 0, 2*lines)
	var w strings.Builder
	fmt.Fprintf(&w, "ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*DOCKSIDE       *261126*0100*U*00401*%09d*0*P*>~\n", ctrl)
	fmt.Fprintf(&w, "GS*SW*ACME3PL*DOCKSIDE*20261126*0100*%d*X*004010~\nST*945*0001~\nW06*F*%s*20261126*BOL-%s~\nN1*SF*ACME Dallas*92*DAL1~\nLX*1~\n", ctrl, order, order)
	for i := range lines {
		sku := fmt.Sprintf("SKU-%06d", i)
		rec.Lines = append(rec.Lines, mapping.OrderLine{SKU: sku, Location: "dallas", Quantity: 10})
		d.Lines = append(d.Lines, orders.Line{SKU: sku, Item: sku, Quantity: 10})
		ms = append(ms, ledger.Movement{SourceKey: order + "|r|" + sku, SKU: sku, Location: "dallas", Kind: ledger.KindReceipt, Quantity: 10},
			ledger.Movement{SourceKey: order + "|a|" + sku, SKU: sku, Location: "dallas", Kind: ledger.KindAllocate, Quantity: 10,
				Reference: ledger.Reference{Partner: "shopmart", DocumentType: "940", Order: order}})
		fmt.Fprintf(&w, "W12*CC*10*10*0*EA**VN*%s~\nN9*LI*%d~\n", sku, i+1)
	}
	fmt.Fprintf(&w, "W03*%d~\nSE*%d*0001~\nGE*1*%d~\nIEA*1*%09d~\n", 10*lines, 2*lines+6, ctrl, ctrl)
	rec.Dispatches = []orders.Dispatch{d}
	if _, err := g.Ledger.Post(ctx, ledger.Document{Key: "bench|" + order, Movements: ms}); err != nil {
		b.Fatal(err)
	}
	if err := g.orders.store.Put(ctx, rec); err != nil {
		b.Fatal(err)
	}
	return []byte(w.String())
}
