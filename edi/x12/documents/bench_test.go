package documents

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
)

const (
	benchItems  = 200_000
	benchPerSet = 10_000
)

// gen846 returns an 004010 interchange of items LIN items, one ST per
// perSet items: BIA, DTM, N1*WH, then per item LIN (SK, UP), PID, QTY*17
// and QTY*33, then CTT and SE; "~\n" after every segment.
func gen846(items, perSet int) []byte {
	var b bytes.Buffer
	seg := func(s string) { b.WriteString(s); b.WriteString("~\n") }
	seg("ISA*00*          *00*          *ZZ*SENDERID       *ZZ*RECEIVERID     *260101*1200*U*00401*000000001*0*P*>")
	seg("GS*IB*SENDERID*RECEIVERID*20260101*1200*1*X*004010")
	sets := 0
	for first := 1; first <= items; first += perSet {
		sets++
		ctl := fmt.Sprintf("%04d", sets)
		seg("ST*846*" + ctl)
		seg("BIA*00*DD*REF" + ctl + "*20260101")
		seg("DTM*405*20260101")
		seg("N1*WH*Main*92*WH1")
		n := 0
		for i := first; i < first+perSet && i <= items; i++ {
			sku := strconv.Itoa(100000 + i)
			seg("LIN**SK*SKU" + sku + "*UP*012345678905")
			seg("PID*F****Widget " + sku)
			seg("QTY*17*" + strconv.Itoa(i%500) + "*EA")
			seg("QTY*33*" + strconv.Itoa(i%480) + "*EA")
			n++
		}
		seg("CTT*" + strconv.Itoa(n))
		seg("SE*" + strconv.Itoa(4*n+6) + "*" + ctl)
	}
	seg("GE*" + strconv.Itoa(sets) + "*1")
	seg("IEA*1*000000001")
	return b.Bytes()
}

// BenchmarkDecode846 reads a 200,000-item 846 with the x12 Decoder and
// decodes every set with Decode846: the whole cost of turning bytes into
// typed items.
func BenchmarkDecode846(b *testing.B) {
	input := gen846(benchItems, benchPerSet)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		items := decodeAll846(b, input, true)
		if items != benchItems {
			b.Fatalf("decoded %d items, want %d", items, benchItems)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	perItem := float64(ms1.Mallocs-ms0.Mallocs) / float64(b.N) / benchItems
	b.ReportMetric(perItem, "allocs/item")
	reportPerItem(b, cpu0, len(input))
}

// reportPerItem reports wall and CPU time per item, and the throughput by
// CPU time (user + system, all threads: the decoder and the garbage
// collector), which a busy machine disturbs less than wall time.
func reportPerItem(b *testing.B, cpu0 time.Duration, size int) {
	cpu := cpuTime() - cpu0
	n := float64(b.N)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n/benchItems, "ns/item")
	b.ReportMetric(float64(cpu.Nanoseconds())/n/benchItems, "cpu-ns/item")
	b.ReportMetric(float64(size)*n/cpu.Seconds()/1e6, "cpu-MB/s")
}

// cpuTime returns the process's CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDecode846Envelope is BenchmarkDecode846 without Decode846: what
// the x12 Decoder alone costs on the same input, for comparison.
func BenchmarkDecode846Envelope(b *testing.B) {
	input := gen846(benchItems, benchPerSet)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		decodeAll846(b, input, false)
	}
	reportPerItem(b, cpu0, len(input))
}

// BenchmarkDecode846Typed is Decode846 alone: one 10,000-item set, read
// beforehand, decoded 20 times per op (200,000 items, the bytes of the
// whole input), so that only one set and one document are live at a time,
// as when decoding a stream.
func BenchmarkDecode846Typed(b *testing.B) {
	input := gen846(benchPerSet, benchPerSet)
	sets, _ := readSets(b, input)
	if len(sets) != 1 {
		b.Fatalf("%d sets", len(sets))
	}
	b.SetBytes(int64(len(input)) * benchItems / benchPerSet)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		n := 0
		for range benchItems / benchPerSet {
			doc, err := Decode846(sets[0])
			if err != nil {
				b.Fatal(err)
			}
			n += len(doc.Items)
		}
		if n != benchItems {
			b.Fatalf("decoded %d items, want %d", n, benchItems)
		}
	}
	reportPerItem(b, cpu0, len(input)*benchItems/benchPerSet)
}

// BenchmarkDecode846Pool is BenchmarkDecode846Typed through a Pool: each
// document is released once counted, so the next reuses its arrays.
func BenchmarkDecode846Pool(b *testing.B) {
	input := gen846(benchPerSet, benchPerSet)
	sets, _ := readSets(b, input)
	if len(sets) != 1 {
		b.Fatalf("%d sets", len(sets))
	}
	b.SetBytes(int64(len(input)) * benchItems / benchPerSet)
	b.ReportAllocs()
	var pool Pool
	cpu0 := cpuTime()
	for b.Loop() {
		n := 0
		for range benchItems / benchPerSet {
			doc, err := pool.Decode846(sets[0])
			if err != nil {
				b.Fatal(err)
			}
			n += len(doc.Items)
			pool.Release(doc)
		}
		if n != benchItems {
			b.Fatalf("decoded %d items, want %d", n, benchItems)
		}
	}
	reportPerItem(b, cpu0, len(input)*benchItems/benchPerSet)
}

// decodeAll846 reads input and, when typed, decodes every set; it returns
// the number of items.
func decodeAll846(b *testing.B, input []byte, typed bool) int {
	d := x12.NewDecoder(bytes.NewReader(input), nil)
	items := 0
	for {
		ev, err := d.Next()
		if errors.Is(err, io.EOF) {
			return items
		}
		if err != nil {
			b.Fatal(err)
		}
		if ev.Kind != x12.SetRead || !typed {
			continue
		}
		doc, err := Decode846(ev.Transaction)
		if err != nil {
			b.Fatal(err)
		}
		items += len(doc.Items)
	}
}
