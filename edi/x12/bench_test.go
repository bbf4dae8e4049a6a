package x12

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// cpuSeconds is the CPU time the process has used (user + system). On a
// busy machine it tells the speed on one core better than the wall clock,
// which also counts the time spent waiting for a core.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// reportCPU reports bytes per CPU second since cpu0 as cpu-MB/s.
func reportCPU(b *testing.B, cpu0 float64, bytesPerOp int64) {
	if used := cpuSeconds() - cpu0; used > 0 {
		b.ReportMetric(float64(bytesPerOp)*float64(b.N)/used/1e6, "cpu-MB/s")
	}
}

var bench846 struct {
	once     sync.Once
	data     []byte
	segments int
	elements int
}

// data846 is the 200,000-item 846 the benchmarks read (about 17.8 MB, the
// shape of /work/shared/bench/x12-peers/gen846.py).
func data846() ([]byte, int, int) {
	bench846.once.Do(func() {
		bench846.data, bench846.segments, bench846.elements = generate846(200000)
	})
	return bench846.data, bench846.segments, bench846.elements
}

// BenchmarkReader846 tokenizes the 846 with Reader.Next: segments split
// into elements, with their places.
func BenchmarkReader846(b *testing.B) {
	data, segments, elements := data846()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		r := NewReader(bytes.NewReader(data), nil)
		n, e := 0, 0
		for {
			seg, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
			e += seg.Len()
		}
		if n != segments || e != elements {
			b.Fatalf("read %d segments %d elements, generated %d and %d", n, e, segments, elements)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0, int64(len(data)))
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N)/float64(segments), "allocs/segment")
	b.ReportMetric(float64(segments)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Msegments/s")
}

// BenchmarkDecoder846 decodes the 846 with the Decoder: envelopes checked,
// every transaction set copied whole.
func BenchmarkDecoder846(b *testing.B) {
	data, segments, _ := data846()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(data), nil)
		sets, segs := 0, 0
		for {
			ev, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if ev.Kind == SetRead {
				sets++
				segs += len(ev.Transaction.Segments)
				if len(ev.Transaction.Errors) > 0 {
					b.Fatal(ev.Transaction.Errors)
				}
			}
		}
		if sets != 20 || segs != segments-4 {
			b.Fatalf("%d sets, %d segments", sets, segs)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0, int64(len(data)))
	b.ReportMetric(float64(segments)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Msegments/s")
}

// BenchmarkCheck846 runs Check with EnvelopeOnly over the 846: the decoder
// plus the per-set results a validator would return.
func BenchmarkCheck846(b *testing.B) {
	data, _, _ := data846()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := cpuSeconds()
	for b.Loop() {
		rep, err := Check(bytes.NewReader(data), EnvelopeOnly, nil, nil)
		if err != nil || !rep.Accepted() {
			b.Fatal(err, rep.Err)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0, int64(len(data)))
}

// BenchmarkWriter writes the same 846 (200,000 items) with the Writer.
func BenchmarkWriter(b *testing.B) {
	const items = 200000
	skus := make([]string, items+1)
	upcs := make([]string, items+1)
	names := make([]string, items+1)
	qtys := make([][2]string, items+1)
	for n := 1; n <= items; n++ {
		skus[n] = string(appendPadded([]byte("SKU"), n, 7))
		upcs[n] = upc12(n)
		names[n] = "Widget " + strconv.Itoa(n)
		qtys[n] = [2]string{strconv.Itoa(n * 7919 % 1000), strconv.Itoa(n * 104729 % 500)}
	}
	var cw countingWriter
	b.ReportAllocs()
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		cw.n = 0
		w, err := NewWriter(&cw, Delimiters{Element: '*', Component: '>', Segment: "~", Suffix: "\n"})
		if err != nil {
			b.Fatal(err)
		}
		check := func(err error) {
			if err != nil {
				b.Fatal(err)
			}
		}
		check(w.BeginInterchange(InterchangeHeader{SenderID: "SENDERID", ReceiverID: "RECEIVERID", Control: 1, Time: writeTime}))
		check(w.BeginGroup(GroupHeader{FunctionalID: "IB", AppSender: "SENDERID", AppReceiver: "RECEIVERID", Control: 1, Version: "004010", Time: writeTime}))
		for n := 1; n <= items; n++ {
			if n%10000 == 1 {
				check(w.BeginTransaction("846", string(appendPadded(nil, n/10000+1, 4)), ""))
				check(w.WriteSegment("BIA", "00", "DD", "REF0001", "20260101"))
				check(w.WriteSegment("DTM", "405", "20260101"))
				check(w.WriteSegment("N1", "WH", "Main", "92", "WH1"))
			}
			check(w.WriteSegment("LIN", "", "SK", skus[n], "UP", upcs[n]))
			check(w.WriteSegment("PID", "F", "", "", "", names[n]))
			check(w.WriteSegment("QTY", "17", qtys[n][0], "EA"))
			check(w.WriteSegment("QTY", "33", qtys[n][1], "EA"))
			if n%10000 == 0 || n == items {
				check(w.WriteSegment("CTT", "10000"))
				check(w.EndTransaction())
			}
		}
		check(w.EndGroup())
		check(w.EndInterchange())
		check(w.Flush())
	}
	b.StopTimer()
	b.SetBytes(cw.n)
	reportCPU(b, cpu0, cw.n)
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// BenchmarkDecode1GB decodes a 1 GB 846 generated on the fly (never
// stored) and reports the peak Go heap, sampled every 5 ms: it must stay
// under 64 MB, as the Decoder holds one transaction set at a time. Run it
// alone with -benchtime=1x.
func BenchmarkDecode1GB(b *testing.B) {
	const size = 1 << 30
	items := size / 89 // a generated item is about 89 bytes
	runtime.GC()
	baseline := heapObjects()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if h := heapObjects(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	var total int64
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		g := newGen846(items)
		d := NewDecoder(g, nil)
		sets := 0
		for {
			ev, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if ev.Kind == SetRead {
				sets++
				if len(ev.Transaction.Errors) > 0 {
					b.Fatal(ev.Transaction.Errors)
				}
			}
			if ev.Kind == InterchangeEnd && !ev.Interchange.Accepted() {
				b.Fatal(ev.Interchange.Errors)
			}
		}
		total += g.bytes
		if sets != (items+9999)/10000 {
			b.Fatalf("%d sets", sets)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	b.SetBytes(total / int64(b.N))
	reportCPU(b, cpu0, total/int64(b.N))
	peakMB := float64(peak.Load()) / (1 << 20)
	b.ReportMetric(peakMB, "peak-heap-MB")
	b.ReportMetric(float64(baseline)/(1<<20), "baseline-heap-MB")
	if peakMB >= 64 {
		b.Errorf("peak heap %.1f MB, want under 64 MB", peakMB)
	}
}

// heapObjects is the memory taken by live and not yet swept heap objects.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
