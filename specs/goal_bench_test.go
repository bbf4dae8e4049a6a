package specs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
)

// BenchmarkValidateDecode846 measures issue #2's goal "validation plus
// typed decoding: at least 100 MB/s": bytes in, every set validated
// against its spec and every accepted set decoded into an Inventory846.
// Input: an 004010 846 of 200,000 LIN items, one ST per 10,000, generated
// in memory. Sub-benchmarks are the ways to do it:
//
//   - check: x12.Check with the catalog, documents.Decode846 in the
//     callback (what the gateway did);
//   - check+pool: the same with a documents.Pool, each document released
//     once its items are counted, and an x12.BufferPool shared by the
//     runs' decoders (one goroutine);
//   - concurrent+pool: x12.CheckConcurrent (decoding on one goroutine,
//     validation of the previous set on another, the typed decoding of
//     the set before on the caller's) with both pools: the fast path.
//     Run it with -cpu 2 (or more); with -cpu 1 the goroutines share one
//     core.
func BenchmarkValidateDecode846(b *testing.B) {
	c := mustLoad(b)
	g := newGen846(200_000, 10_000)
	data, err := io.ReadAll(g)
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, once func(src io.Reader) (items int, err error)) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.ResetTimer()
		cpu0 := cpuTime()
		for range b.N {
			items, err := once(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			if items != 200_000 {
				b.Fatalf("%d items decoded, want 200000", items)
			}
		}
		b.StopTimer()
		reportCPU(b, int64(len(data))*int64(b.N), cpuTime()-cpu0)
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N)/float64(g.Segments), "allocs/segment")
	}
	// typed is the callback: every set must be accepted; it is decoded
	// and its items counted.
	typed := func(items *int, pool *documents.Pool) x12.SetFunc {
		return func(t *x12.Transaction, sr *x12.SetResult) error {
			if sr.Status != x12.StatusAccepted {
				return errRejected(sr)
			}
			if pool == nil {
				doc, err := documents.Decode846(t)
				if err != nil {
					return err
				}
				*items += len(doc.Items)
				return nil
			}
			doc, err := pool.Decode846(t)
			if err != nil {
				return err
			}
			*items += len(doc.Items)
			pool.Release(doc)
			return nil
		}
	}
	accepted := func(rep *x12.Report, err error) error {
		if err == nil && !rep.Accepted() {
			err = errNotAccepted
		}
		return err
	}
	b.Run("check", func(b *testing.B) {
		run(b, func(src io.Reader) (int, error) {
			items := 0
			return items, accepted(x12.Check(src, c, nil, typed(&items, nil)))
		})
	})
	b.Run("check+pool", func(b *testing.B) {
		var pool documents.Pool
		opts := &x12.DecoderOptions{Buffers: &x12.BufferPool{}}
		run(b, func(src io.Reader) (int, error) {
			items := 0
			return items, accepted(x12.Check(src, c, opts, typed(&items, &pool)))
		})
	})
	b.Run("concurrent+pool", func(b *testing.B) {
		var pool documents.Pool
		opts := &x12.DecoderOptions{Buffers: &x12.BufferPool{}}
		run(b, func(src io.Reader) (int, error) {
			items := 0
			return items, accepted(x12.CheckConcurrent(context.Background(), src, c, opts, typed(&items, &pool)))
		})
	})
}

var errNotAccepted = errors.New("report not accepted")

func errRejected(sr *x12.SetResult) error {
	return fmt.Errorf("set %s %s rejected: %+v", sr.SetID, sr.Control, sr.Segments)
}
