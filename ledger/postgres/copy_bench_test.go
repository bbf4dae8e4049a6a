package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/ledger"
)

// benchLedger posts n movements to a new bbolt ledger in documents of
// 10,000 over 100,000 positions (25,000 SKUs × 4 locations): receipts,
// shipments, orders' allocations and releases, ship notices with due
// dates and their receipts, and counts.
func benchLedger(b *testing.B, n int) *ledger.Ledger {
	b.Helper()
	ctx := context.Background()
	src := boltLedger(b, b.TempDir(), nil)
	const perDoc = 10_000
	locs := []string{"dallas", "memphis", "reno", "newark"}
	for d := 0; d*perDoc < n; d++ {
		doc := ledger.Document{Key: fmt.Sprintf("doc-%05d", d)}
		for i := range min(perDoc, n-d*perDoc) {
			k := d*perDoc + i
			p := (k * 7919) % 100_000
			eff := at(float64(d) + float64(i)/perDoc)
			m := mv(fmt.Sprintf("acme/%05d/%05d", d, i), ledger.KindReceipt, fmt.Sprintf("SKU-%05d", p/4), locs[p%4], int64(1+k%9), eff)
			m.Reference.Line = i + 1
			switch k % 10 {
			case 4, 5:
				m.Kind = ledger.KindShipment
				m.Reference.Order = fmt.Sprint("PO-", p%500)
			case 6:
				m.Kind, m.Reference.Partner, m.Reference.Order = ledger.KindAllocate, "shopmart", fmt.Sprint("PO-", p%500)
			case 7:
				m.Kind, m.Reference.Partner, m.Reference.Order = ledger.KindRelease, "shopmart", fmt.Sprint("PO-", p%500)
			case 8:
				m.Kind, m.Expected = ledger.KindInTransit, eff.Add(72*time.Hour)
			case 9:
				if d%5 == 4 {
					m.Kind, m.Quantity = ledger.KindSnapshot, int64(k%50)
				} else {
					m.TakeInTransit = true
				}
			}
			doc.Movements = append(doc.Movements, m)
		}
		if _, err := src.Post(ctx, doc); err != nil {
			b.Fatal(err)
		}
	}
	return src
}

// BenchmarkCopyFrom copies a bbolt ledger into PostgreSQL and verifies
// it (`dockside migrate --from`); it reports movements/s for the whole,
// and for the copy and the verification apart.
func BenchmarkCopyFrom(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("movements=%d", n), func(b *testing.B) {
			ctx := context.Background()
			src := benchLedger(b, n)
			var copying, verifying time.Duration
			for b.Loop() {
				b.StopTimer()
				dst, err := Open(ctx, migrated(b), nil)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				r, err := copyFrom(ctx, src, dst, copyOptions{chunk: copyChunk, beforeVerify: func() {
					copying += time.Since(start)
					start = time.Now()
				}})
				verifying += time.Since(start)
				if err != nil || r.Copied != n || r.Verified != n {
					b.Fatalf("%v %v", r, err)
				}
				b.StopTimer()
				dst.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "movements/s")
			b.ReportMetric(float64(n*b.N)/copying.Seconds(), "copied/s")
			b.ReportMetric(float64(n*b.N)/verifying.Seconds(), "verified/s")
		})
	}
}
