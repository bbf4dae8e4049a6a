package specs

import (
	"bytes"
	"errors"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
)

// validateAll decodes src and validates every set, returning the number of
// sets and of sets with errors.
func validateAll(tb testing.TB, c *Catalog, src io.Reader) (sets, bad int) {
	dec := x12.NewDecoder(src, nil)
	for {
		ev, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return sets, bad
		}
		if err != nil {
			tb.Fatal(err)
		}
		if ev.Kind != x12.SetRead {
			continue
		}
		sets++
		if res := c.Validate(ev.Transaction); res.Status != x12.StatusAccepted {
			bad++
			if bad == 1 {
				tb.Logf("first rejected set: %+v", res)
			}
		}
	}
}

// BenchmarkValidate846 decodes and validates an 004010 846 with 200,000
// items (20 sets of 10,000), generated in memory.
func BenchmarkValidate846(b *testing.B) {
	c := mustLoad(b)
	g := newGen846(200_000, 10_000)
	data, err := io.ReadAll(g)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		if sets, bad := validateAll(b, c, bytes.NewReader(data)); sets != 20 || bad != 0 {
			b.Fatalf("%d sets, %d rejected", sets, bad)
		}
	}
	b.StopTimer()
	reportCPU(b, int64(len(data))*int64(b.N), cpuTime()-cpu0)
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N)/float64(g.Segments), "allocs/segment")
}

// BenchmarkValidate1GB decodes and validates a 1 GiB 846 stream generated
// on the fly (never stored: sets of 10,000 items) and reports the peak Go
// heap, sampled every millisecond from runtime/metrics. Sub-benchmarks:
// "decode+validate", and "decode-only" for the decoder's (and the
// generator's) share.
// DOCKSIDE_BENCH_BYTES overrides the size for a quick local run.
func BenchmarkValidate1GB(b *testing.B) {
	c := mustLoad(b)
	target := int64(1 << 30)
	if s := os.Getenv("DOCKSIDE_BENCH_BYTES"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			target = n
		}
	}
	probe := newGen846(1000, 1000)
	n, _ := io.Copy(io.Discard, probe)
	items := int(target / (n / 1000))
	run := func(b *testing.B, validate bool, limit int64) {
		if limit > 0 {
			old := debug.SetMemoryLimit(limit)
			defer debug.SetMemoryLimit(old)
		}
		for range b.N {
			cr := &countingReader{r: newGen846(items, 10_000)}
			var sets, bad int
			cpu0 := cpuTime()
			peak := peakHeap(func() {
				if validate {
					sets, bad = validateAll(b, c, cr)
				} else {
					sets = decodeAll(b, cr)
				}
			})
			if bad != 0 {
				b.Fatalf("%d of %d sets rejected", bad, sets)
			}
			reportCPU(b, cr.n, cpuTime()-cpu0)
			b.SetBytes(cr.n)
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(sets), "sets")
		}
	}
	b.Run("decode+validate", func(b *testing.B) { run(b, true, 0) })
	b.Run("decode-only", func(b *testing.B) { run(b, false, 0) })
}

// peakHeap runs f and returns the highest heap size (live and not yet
// swept objects) seen while it ran.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// decodeAll decodes src without validating and counts the sets.
func decodeAll(tb testing.TB, src io.Reader) int {
	sets := 0
	dec := x12.NewDecoder(src, nil)
	for {
		ev, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return sets
		}
		if err != nil {
			tb.Fatal(err)
		}
		if ev.Kind == x12.SetRead {
			sets++
		}
	}
}

// cpuTime returns the process's user plus system CPU time (GC included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports throughput per CPU second: on a shared machine it is
// steadier than wall-clock MB/s.
func reportCPU(b *testing.B, bytes int64, cpu time.Duration) {
	if cpu > 0 {
		b.ReportMetric(float64(bytes)/cpu.Seconds()/1e6, "MB/cpu-s")
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decodeSets decodes every set of data, cloned.
func decodeSets(tb testing.TB, data []byte) []*x12.Transaction {
	var sets []*x12.Transaction
	dec := x12.NewDecoder(bytes.NewReader(data), nil)
	for {
		ev, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return sets
		}
		if err != nil {
			tb.Fatal(err)
		}
		if ev.Kind == x12.SetRead {
			sets = append(sets, ev.Transaction.Clone())
		}
	}
}

// BenchmarkValidateOnly846 measures the validator alone on an already
// decoded 846 of 10,000 items (40,006 segments).
func BenchmarkValidateOnly846(b *testing.B) {
	c := mustLoad(b)
	g := newGen846(10_000, 10_000)
	data, _ := io.ReadAll(g)
	sets := decodeSets(b, data)
	segs := len(sets[0].Segments)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		if res := c.Validate(sets[0]); res.Status != x12.StatusAccepted {
			b.Fatalf("rejected: %+v", res)
		}
	}
	reportCPU(b, int64(len(data))*int64(b.N), cpuTime()-cpu0)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(segs), "ns/segment")
}

// BenchmarkDecodeOnly846 is the decoder's share, for comparison.
func BenchmarkDecodeOnly846(b *testing.B) {
	g := newGen846(200_000, 10_000)
	data, _ := io.ReadAll(g)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for range b.N {
		dec := x12.NewDecoder(bytes.NewReader(data), nil)
		for {
			_, err := dec.Next()
			if err != nil {
				break
			}
		}
	}
	reportCPU(b, int64(len(data))*int64(b.N), cpuTime()-cpu0)
}
