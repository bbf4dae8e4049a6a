package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/cputime"
	"github.com/dockside-edi/dockside/web"
)

const benchEventsToken = "bench-events-token-0123456789"

// eventsBatch is a batch of n receipts with ids from first on, over 5,000
// SKUs at two locations.
func eventsBatch(first, n int) []byte {
	var b strings.Builder
	b.Grow(n * 230)
	b.WriteByte('[')
	for i := first; i < first+n; i++ {
		if i > first {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"specversion":"1.0","id":"ev-%d","source":"urn:benchco:wms","type":"dockside.inventory.receipt","time":"2026-12-05T09:00:00Z","data":{"sku":"SKU%05d","location":"WH%d","quantity":%d}}`,
			i, i%5000, i%2+1, i%50+1)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// BenchmarkEventsHTTP posts batches of 1,000 events to POST
// /api/v1/events over loopback HTTP from `clients` goroutines; each
// request returns once its events are committed to the ledger (fsync on)
// and its message finished. Reports events/s, and events per CPU-second
// of the process (client, server, workers and ledger, GC included; the
// steadier figure on a shared machine).
func BenchmarkEventsHTTP(b *testing.B) {
	for _, clients := range []int{1, 4, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchEventsHTTP(b, clients) })
	}
}

func benchEventsHTTP(b *testing.B, clients int) {
	const batch = 1000
	g := openBench(b)
	profile := filepath.Join(filepath.Dir(g.Config.Data), "partners", "benchco.yaml")
	os.WriteFile(profile, []byte(benchProfile+"events:\n  source: urn:benchco:wms\n  token_sha256: "+web.HashToken(benchEventsToken)+"\n"), 0o644)
	if err := g.ReloadPartners(); err != nil {
		b.Fatal(err)
	}
	srv, err := web.New(web.Deps{Ledger: g.Ledger, Inbox: g.Inbox, Outbox: g.Outbox, Partners: g.Partners, PostEvents: g.PostEvents},
		web.Options{ReplayWait: 20 * time.Second, Timeout: time.Minute, EventsRateLimit: 1e6, EventsRateBurst: 1e6})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	workers.Go(func() { g.RunWorkers(ctx, g.Config.Workers) })
	defer func() { cancel(); workers.Wait() }()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}

	// Bodies are made before the clock starts: b.N × clients batches.
	var next atomic.Int64
	var bytesSent atomic.Int64
	var cpu time.Duration
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		bodies := make([][]byte, clients)
		for c := range bodies {
			bodies[c] = eventsBatch(int(next.Add(batch))-batch, batch)
		}
		b.StartTimer()
		c0 := cputime.Now()
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				req, _ := http.NewRequest("POST", hs.URL+"/api/v1/events", strings.NewReader(string(bodies[c])))
				req.Header.Set("Authorization", "Bearer "+benchEventsToken)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
				}
				bytesSent.Add(int64(len(bodies[c])))
			})
		}
		wg.Wait()
		cpu += cputime.Now() - c0
	}
	b.SetBytes(bytesSent.Load() / int64(b.N))
	b.ReportMetric(float64(next.Load())/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(next.Load())/cpu.Seconds(), "events/cpu-s")
}
