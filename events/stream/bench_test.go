package stream_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/ledger"
)

// ackClock is a Sink around the NATS sink that notes when each posting's
// events were acknowledged.
type ackClock struct {
	sink  stream.Sink
	mu    sync.Mutex
	acked map[uint64]time.Time
	n     int
}

func (a *ackClock) Deliver(ctx context.Context, evs []stream.Event) (int, error) {
	n, err := a.sink.Deliver(ctx, evs)
	now := time.Now()
	a.mu.Lock()
	for _, e := range evs[:n] {
		if _, ok := a.acked[e.Data.Change]; !ok {
			a.acked[e.Data.Change] = now
		}
	}
	a.n += n
	a.mu.Unlock()
	return n, err
}

func (a *ackClock) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

// BenchmarkCommitToNATSAck posts b.N single-movement documents at 1,000
// a second (each its own fsynced commit, from a pool of posters) while a
// relay publishes them to an embedded JetStream server (file storage),
// and reports the latency from the commit (Post returned) to the
// server's acknowledgement of the publish: p50, p99 and max in ms.
func BenchmarkCommitToNATSAck(b *testing.B) {
	const rate = 1000 // changes per second
	js := startNATS(b)
	l := openLedger(b)
	sink, err := stream.NewNATSSink(context.Background(), js, stream.NATSOptions{Stream: "BENCH", Prefix: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	clock := &ackClock{sink: sink, acked: map[uint64]time.Time{}}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := stream.NewRelay("bench", l, openCursors(b), clock, stream.Options{Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	stop := run(b, r)
	defer stop()
	waitFor(b, "the relay", func() bool { return r.Status().Running })

	var mu sync.Mutex
	committed := make(map[uint64]time.Time, b.N)
	jobs := make(chan int, 256)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := range jobs {
				res, err := l.Post(context.Background(), ledger.Document{Key: fmt.Sprint("d", i), Movements: []ledger.Movement{{
					SourceKey: fmt.Sprint("k", i), SKU: fmt.Sprintf("SKU-%d", i%500), Location: "DAL", Kind: ledger.KindReceipt, Quantity: 1}}})
				now := time.Now()
				if err != nil {
					b.Error(err)
					continue
				}
				mu.Lock()
				committed[res.Seq] = now
				mu.Unlock()
			}
		})
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / rate)); d > 0 {
			time.Sleep(d)
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	posted := time.Since(start)
	waitFor(b, "every acknowledgement", func() bool { return clock.count() >= b.N })
	b.StopTimer()

	lat := make([]float64, 0, b.N)
	clock.mu.Lock()
	for seq, c := range committed {
		a, ok := clock.acked[seq]
		if !ok {
			b.Fatalf("posting %d not acknowledged", seq)
		}
		lat = append(lat, max(0, a.Sub(c).Seconds()*1000))
	}
	clock.mu.Unlock()
	slices.Sort(lat)
	q := func(p float64) float64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(lat[len(lat)-1], "max-ms")
	b.ReportMetric(float64(b.N)/posted.Seconds(), "changes/s")
}

// BenchmarkRelayCatchUpNATS measures a relay that is behind: b.N postings
// of 10 movements are in the ledger, and the relay publishes all of them
// to JetStream from its cursor (balances read ahead, every publish
// acknowledged).
func BenchmarkRelayCatchUpNATS(b *testing.B) {
	js := startNATS(b)
	l := openLedger(b)
	for i := range b.N {
		ms := make([]ledger.Movement, 10)
		for j := range ms {
			ms[j] = ledger.Movement{SourceKey: fmt.Sprint("k", i, "-", j), SKU: fmt.Sprintf("SKU-%d", (i*10+j)%5000), Location: "DAL", Kind: ledger.KindReceipt, Quantity: 1}
		}
		if _, err := l.Post(context.Background(), ledger.Document{Key: fmt.Sprint("d", i), Movements: ms}); err != nil {
			b.Fatal(err)
		}
	}
	sink, err := stream.NewNATSSink(context.Background(), js, stream.NATSOptions{Stream: "BENCH", Prefix: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	clock := &ackClock{sink: sink, acked: map[uint64]time.Time{}}
	r, err := stream.NewRelay("bench", l, openCursors(b), clock, stream.Options{FromStart: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	stop := run(b, r)
	waitFor(b, "every acknowledgement", func() bool { return clock.count() >= 10*b.N })
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	stop()
	b.ReportMetric(float64(10*b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(10*b.N)/cpu.Seconds(), "events/cpu-s")
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
