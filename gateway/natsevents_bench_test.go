package gateway

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockside-edi/dockside/internal/cputime"
)

// BenchmarkEventsNATS reads events from an embedded JetStream server into
// the ledger (fsync on): each op publishes 20,000 events (clock stopped),
// then runs the consumer until every one is acknowledged (its stop is not
// timed). Reports events/s, and events per CPU-second of the process
// while the clock runs (the embedded NATS server's share included).
func BenchmarkEventsNATS(b *testing.B) {
	const perOp = 20_000
	g := openBench(b)
	profile := filepath.Join(filepath.Dir(g.Config.Data), "partners", "benchco.yaml")
	os.WriteFile(profile, []byte(benchProfile+"events:\n  source: urn:benchco:wms\n  nats:\n    stream: EVENTS\n    subject: acme.events.>\n"), 0o644)
	if err := g.ReloadPartners(); err != nil {
		b.Fatal(err)
	}
	js := startNATS(b)
	ctx := context.Background()
	next := 0
	var size int64
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		var acks []jetstream.PubAckFuture
		size = 0
		for range perOp {
			body := fmt.Appendf(nil, `{"specversion":"1.0","id":"ev-%d","source":"urn:benchco:wms","type":"dockside.inventory.receipt","time":"2026-12-05T09:00:00Z","data":{"sku":"SKU%05d","location":"WH%d","quantity":%d}}`,
				next, next%5000, next%2+1, next%50+1)
			next++
			size += int64(len(body))
			f, err := js.PublishAsync("acme.events.wh", body)
			if err != nil {
				b.Fatal(err)
			}
			acks = append(acks, f)
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-time.After(time.Minute):
			b.Fatal("publishing timed out")
		}
		for _, f := range acks {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				b.Fatal(err)
			}
		}
		b.StartTimer()
		c0 := cputime.Now()
		stop := consume(b, g, js)
		c, _ := js.Consumer(ctx, "EVENTS", "dockside-benchco")
		for {
			if c != nil {
				if info, err := c.Info(ctx); err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Stream >= uint64(next) {
					break
				}
			} else {
				c, _ = js.Consumer(ctx, "EVENTS", "dockside-benchco")
			}
			time.Sleep(5 * time.Millisecond)
		}
		// Every event is acknowledged: the consumer's stop (which waits
		// out its last fetch, up to a second) is not ingest.
		b.StopTimer()
		cpu += cputime.Now() - c0
		stop()
		b.StartTimer() // b.Loop wants it running
	}
	b.SetBytes(size)
	b.ReportMetric(float64(next)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(next)/cpu.Seconds(), "events/cpu-s")
	if bal, err := g.Ledger.Balance(ctx, "SKU00000", "WH1"); err != nil || bal.OnHand == 0 {
		b.Fatalf("nothing posted: %v %+v", err, bal)
	}
}
