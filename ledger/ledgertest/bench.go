package ledgertest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/ledger"
)

// benchMovement is movement i of a generated document: receipts,
// shipments, allocations and in-transit stock spread over skus SKUs at four
// locations (the same documents as package ledger's benchmarks).
func benchMovement(doc string, i, skus int) ledger.Movement {
	m := ledger.Movement{
		SourceKey: fmt.Sprintf("%s/%d", doc, i),
		SKU:       fmt.Sprintf("SKU-%07d", (i*7919)%skus),
		Location:  fmt.Sprintf("WH%d", i%4),
		Effective: t0.Add(time.Duration(i) * time.Second),
		Reference: ledger.Reference{Partner: "ACME", DocumentType: "944", Interchange: "000012345", Group: "1", Transaction: "0001", Line: i},
	}
	switch i % 10 {
	case 0, 1, 2, 3:
		m.Kind, m.Quantity = ledger.KindReceipt, 12
	case 4, 5:
		m.Kind, m.Quantity = ledger.KindShipment, 3
	case 6, 7:
		m.Kind, m.Quantity, m.Reference.Order = ledger.KindAllocate, 2, fmt.Sprintf("SO-%d", i/10)
	case 8:
		m.Kind, m.Quantity, m.Expected = ledger.KindInTransit, 6, t0.Add(72*time.Hour)
	case 9:
		m.Kind, m.Quantity, m.Reason = ledger.KindAdjust, -1, "cycle count"
	}
	return m
}

// BenchPostLargeDocument posts one document of 100,000 movements over
// 50,000 SKUs × 4 locations into an empty store, once per iteration.
// Goal (issue 19): at least 100,000 movements/s on PostgreSQL.
func BenchPostLargeDocument(b *testing.B, open Open) {
	const n = 100_000
	doc := ledger.Document{Key: "big", Movements: make([]ledger.Movement, n)}
	for i := range doc.Movements {
		doc.Movements[i] = benchMovement("big", i, 50_000)
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		l := open(b, time.Now)
		b.StartTimer()
		res, err := l.Post(ctx, doc)
		if err != nil || res.Posted != n {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "movements/s")
}

// BenchPostConcurrent posts 10,000 documents of 10 movements from 16
// goroutines into an empty store, once per iteration. Goal: at least
// 20,000 movements/s.
func BenchPostConcurrent(b *testing.B, open Open) {
	const docs, per, workers = 10_000, 10, 16
	all := make([]ledger.Document, docs)
	for d := range all {
		all[d] = ledger.Document{Key: fmt.Sprintf("doc-%d", d), Movements: make([]ledger.Movement, per)}
		for i := range per {
			all[d].Movements[i] = benchMovement(all[d].Key, d*per+i, 20_000)
		}
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		l := open(b, time.Now)
		work := make(chan ledger.Document, docs)
		for _, d := range all {
			work <- d
		}
		close(work)
		b.StartTimer()
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for d := range work {
					if _, err := l.Post(ctx, d); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(docs*per*b.N)/b.Elapsed().Seconds(), "movements/s")
}
