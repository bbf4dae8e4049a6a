package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/cputime"
	"github.com/dockside-edi/dockside/ledger"
)

// Sizes of the benchmark's generated data.
const (
	benchMessages = 5_000  // inbox messages, one in ten failed
	benchSKUs     = 50_000 // SKUs, each at two locations: 100,000 balances
)

// BenchmarkWeb measures the API's heavier reads over generated stores:
// searches that scan the whole inbox, the metrics scrape (recomputing the
// store scans, and within MetricsScanEvery), the overview and partner
// health, and the stock export.
func BenchmarkWeb(b *testing.B) {
	f := newFixture(b, fixtureOptions{noSeed: true, opts: Options{RateLimit: 1e9, RateBurst: 1 << 30, MaxExportRows: 200_000}})
	ctx := context.Background()
	start := time.Now()
	for d := 0; d < benchSKUs*2/10_000; d++ {
		doc := ledger.Document{Key: fmt.Sprintf("bench-%d", d)}
		for i := range 10_000 {
			n := d*10_000 + i
			doc.Movements = append(doc.Movements, receipt(fmt.Sprintf("bench|%d", n), fmt.Sprintf("SKU-%06d", n/2), []string{"dallas", "reno"}[n%2], int64(n%97)))
		}
		if _, err := f.ledger.Post(ctx, doc); err != nil {
			b.Fatal(err)
		}
	}
	for i := range benchMessages {
		o := inbox.Outcome{State: inbox.Done, Result: &inbox.Result{DocType: "csv", Movements: 10}}
		if i%10 == 0 {
			o = inbox.Outcome{State: inbox.Failed, Errors: failedErrors, Result: &inbox.Result{DocType: "x12"}}
		}
		f.receiveAs([]string{"acme-3pl", "northwind", "shopmart"}[i%3], fmt.Sprintf("f-%d.csv", i), []byte(fmt.Sprintf("sku,qty\nSKU-%06d,%d\n", i, i)), o)
	}
	b.Logf("setup: %d balances, %d messages in %v", benchSKUs*2, benchMessages, time.Since(start).Round(time.Second))

	scanning, err := New(f.srv.deps, Options{RateLimit: 1e9, RateBurst: 1 << 30, MetricsScanEvery: -1})
	if err != nil {
		b.Fatal(err)
	}
	run := func(name, target string, perOp float64, unit string) {
		b.Run(name, func(b *testing.B) {
			h := f.srv.Handler()
			if name == "metrics-scrape-scan" {
				h = scanning.Handler()
			}
			c0 := cputime.Now()
			var size int64
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, target, nil)
				req.Header.Set("Authorization", "Bearer "+roSecret)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
				}
				size, _ = io.Copy(io.Discard, rec.Body)
			}
			b.ReportMetric(float64(size), "resp-bytes")
			cpu := (cputime.Now() - c0).Seconds() / float64(b.N)
			b.ReportMetric(cpu, "cpu-s/op")
			if perOp > 0 && cpu > 0 {
				b.ReportMetric(perOp/cpu, unit+"/cpu-s")
			}
		})
	}
	run("messages-newest-100", "/api/v1/messages?limit=100", 0, "")
	run("messages-search-scan", "/api/v1/messages?partner=nobody", benchMessages, "messages")
	run("message-detail", fmt.Sprintf("/api/v1/messages/%d", benchMessages/2), 0, "")
	run("overview", "/api/v1/overview", benchMessages, "messages")
	run("partners-health", "/api/v1/partners", benchMessages, "messages")
	run("metrics-scrape-scan", "/metrics", benchMessages, "messages")
	run("metrics-scrape-cached", "/metrics", 0, "")
	run("stock-page-1000", "/api/v1/stock?limit=1000", 1000, "balances")
	run("availability", "/api/v1/availability/SKU-025000", 0, "")
	run("inventory-page-50", "/inventory?limit=50", 0, "")
	run("stock-xlsx", "/api/v1/stock.xlsx", benchSKUs*2, "rows")
}
