package ledger

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Benchmarks run with fsync on (bbolt's default). Figures for this machine
// are in docs/performance.md, with the command that produced them.

// BenchmarkFsync measures the disk's write+fdatasync rate in the temp
// folder (the same call bbolt commits with): the physical limit on commits.
func BenchmarkFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		page[0] = byte(i)
		if _, err := f.WriteAt(page, 0); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fsyncs/s")
}

// cpuTime returns the CPU time (user + system, all threads) the process
// has used. Benchmarks report movements per CPU second beside movements per
// second: on a shared machine the wall-clock figure moves with other load,
// the CPU figure much less.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchMovement is movement i of a generated document: receipts,
// shipments, allocations and in-transit stock spread over skus SKUs at four
// locations.
func benchMovement(doc string, i, skus int) Movement {
	m := Movement{
		SourceKey: fmt.Sprintf("%s/%d", doc, i),
		SKU:       fmt.Sprintf("SKU-%07d", (i*7919)%skus),
		Location:  fmt.Sprintf("WH%d", i%4),
		Effective: t0.Add(time.Duration(i) * time.Second),
		Reference: Reference{Partner: "ACME", DocumentType: "944", Interchange: "000012345", Group: "1", Transaction: "0001", Line: i},
	}
	switch i % 10 {
	case 0, 1, 2, 3:
		m.Kind, m.Quantity = KindReceipt, 12
	case 4, 5:
		m.Kind, m.Quantity = KindShipment, 3
	case 6, 7:
		m.Kind, m.Quantity, m.Reference.Order = KindAllocate, 2, fmt.Sprintf("SO-%d", i/10)
	case 8:
		m.Kind, m.Quantity, m.Expected = KindInTransit, 6, t0.Add(72*time.Hour)
	case 9:
		m.Kind, m.Quantity, m.Reason = KindAdjust, -1, "cycle count"
	}
	return m
}

func benchDocument(key string, n, skus int) Document {
	doc := Document{Key: key, Movements: make([]Movement, n)}
	for i := range doc.Movements {
		doc.Movements[i] = benchMovement(key, i, skus)
	}
	return doc
}

// openBench opens a fresh ledger; the caller closes it.
func openBench(b *testing.B) *Ledger {
	b.Helper()
	l, err := Open(filepath.Join(b.TempDir(), "ledger.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// BenchmarkPostLargeDocument posts one document of 100,000 movements into
// a fresh ledger. Goal: at least 200,000 movements/s.
func BenchmarkPostLargeDocument(b *testing.B) {
	const n = 100_000
	doc := benchDocument("big", n, 50_000)
	ctx := context.Background()
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		l := openBench(b)
		c0 := cpuTime(b)
		b.StartTimer()
		res, err := l.Post(ctx, doc)
		if err != nil || res.Posted != n {
			b.Fatalf("%+v %v", res, err)
		}
		b.StopTimer()
		cpu += cpuTime(b) - c0
		l.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "movements/s")
	b.ReportMetric(float64(n*b.N)/cpu.Seconds(), "movements/cpu-s")
}

// BenchmarkPostConcurrent posts 10,000 documents of 10 movements from 16
// goroutines into a fresh ledger. Goal: at least 20,000 movements/s.
func BenchmarkPostConcurrent(b *testing.B) {
	const docs, per, workers = 10_000, 10, 16
	all := make([]Document, docs)
	for d := range all {
		all[d] = Document{Key: fmt.Sprintf("doc-%d", d), Movements: make([]Movement, per)}
		for i := range per {
			all[d].Movements[i] = benchMovement(all[d].Key, d*per+i, 20_000)
		}
	}
	ctx := context.Background()
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		l := openBench(b)
		work := make(chan Document, docs)
		for _, d := range all {
			work <- d
		}
		close(work)
		c0 := cpuTime(b)
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
		b.StopTimer()
		cpu += cpuTime(b) - c0
		l.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(docs*per*b.N)/b.Elapsed().Seconds(), "movements/s")
	b.ReportMetric(float64(docs*per*b.N)/cpu.Seconds(), "movements/cpu-s")
}

// BenchmarkListBalances lists 100,000 balances. Goal: under 200 ms.
func BenchmarkListBalances(b *testing.B) {
	const n = 100_000
	l := openBench(b)
	defer l.Close()
	ctx := context.Background()
	doc := Document{Key: "stock", Movements: make([]Movement, n)}
	for i := range doc.Movements {
		doc.Movements[i] = Movement{SourceKey: fmt.Sprintf("s/%d", i), SKU: fmt.Sprintf("SKU-%07d", i/4), Location: fmt.Sprintf("WH%d", i%4), Kind: KindReceipt, Quantity: 5, Effective: t0}
	}
	if _, err := l.Post(ctx, doc); err != nil {
		b.Fatal(err)
	}
	c0 := cpuTime(b)
	b.ResetTimer()
	for b.Loop() {
		bs, err := l.Balances(ctx, Filter{})
		if err != nil || len(bs) != n {
			b.Fatalf("%d balances, %v", len(bs), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/list")
	b.ReportMetric(float64((cpuTime(b)-c0).Milliseconds())/float64(b.N), "cpu-ms/list")
}

// BenchmarkFileSize posts 1,000,000 movements (100 documents of 10,000,
// over 100,000 SKU × location positions) and reports the file size.
func BenchmarkFileSize(b *testing.B) {
	const docs, per = 100, 10_000
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		l := openBench(b)
		b.StartTimer()
		for d := range docs {
			doc := Document{Key: fmt.Sprintf("doc-%d", d), Movements: make([]Movement, per)}
			for i := range per {
				doc.Movements[i] = benchMovement(doc.Key, d*per+i, 25_000)
			}
			if _, err := l.Post(ctx, doc); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		l.Close()
		st, err := os.Stat(l.Path())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Size())/(1<<20), "MiB")
		b.ReportMetric(float64(st.Size())/(docs*per), "bytes/movement")
		b.StartTimer()
	}
	b.ReportMetric(float64(docs*per*b.N)/b.Elapsed().Seconds(), "movements/s")
}

// BenchmarkPostCounts posts what a daily 846 of 200,000 items becomes:
// 20 documents of 10,000 on-hand snapshots, posted at once from 20
// goroutines, into positions that already hold 20 earlier days of counts
// (so their timelines have spilled). One op is one day's file.
func BenchmarkPostCounts(b *testing.B) {
	const docs, per, days = 20, 10_000, 20
	l := openBench(b)
	defer l.Close()
	ctx := context.Background()
	day := func(d int) []Document {
		out := make([]Document, docs)
		for i := range out {
			key := fmt.Sprintf("benchco|%09d|%d|%04d", d, d, i+1)
			out[i] = Document{Key: key, Movements: make([]Movement, per)}
			for j := range per {
				out[i].Movements[j] = Movement{SourceKey: fmt.Sprintf("%s|%d|17|WH1", key, 5+4*j), SKU: fmt.Sprintf("SKU%07d", i*per+j),
					Location: "WH1", Kind: KindSnapshot, Bucket: BucketOnHand, Quantity: int64((j + d) % 500), Effective: t0.Add(time.Duration(d) * 24 * time.Hour)}
			}
		}
		return out
	}
	post := func(ds []Document) {
		var wg sync.WaitGroup
		for _, doc := range ds {
			wg.Go(func() {
				if _, err := l.Post(ctx, doc); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	for d := range days {
		post(day(d))
	}
	var cpu time.Duration
	for d := days; b.Loop(); d++ {
		b.StopTimer()
		ds := day(d)
		c0 := cpuTime(b)
		b.StartTimer()
		post(ds)
		b.StopTimer()
		cpu += cpuTime(b) - c0
		b.StartTimer()
	}
	b.ReportMetric(float64(docs*per*b.N)/b.Elapsed().Seconds(), "movements/s")
	b.ReportMetric(float64(docs*per*b.N)/cpu.Seconds(), "movements/cpu-s")
}
