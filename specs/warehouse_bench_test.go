package specs

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
)

// gen945 returns an 005010 interchange with one 945 of n W12 lines (an LX
// loop per 100 lines, an N9*LI per line).
func gen945(n int) []byte {
	var b bytes.Buffer
	b.WriteString("ISA*00*          *00*          *ZZ*PARTNER        *ZZ*DOCKSIDE       *261125*0215*^*00501*000000042*0*P*:~\n")
	b.WriteString("GS*SW*PARTNER*DOCKSIDE*20261125*0215*42*X*005010~\nST*945*0001*005010~\n")
	segs := 0
	seg := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("~\n")
		segs++
	}
	seg("W06*F*ORDER-BIG*20261125*SHIP-1**PO-BIG")
	seg("N1*SF*DOCKSIDE DC EAST*92*DC-EAST")
	seg("N1*ST*JANE ROE*92*CUST-9")
	seg("G62*11*20261125")
	seg("W27*M*UPSN")
	for i := range n {
		if i%100 == 0 {
			seg("LX*%d", i/100+1)
		}
		seg("W12*CC*%d*%d**EA**VN*ITEM-%06d*LOT%d", 1+i%7, 1+i%7, i, i%13)
		seg("N9*LI*%d", i+1)
	}
	seg("W03*%d", n)
	fmt.Fprintf(&b, "SE*%d*0001~\nGE*1*42~\nIEA*1*000000042~\n", segs+2)
	return b.Bytes()
}

// BenchmarkValidateDecode945 validates and decodes a 945 of 100,000 W12
// lines (an interchange of about 5 MB): x12.Check with the catalog,
// documents.Decode945 in the callback. Sub-benchmarks: check (fresh
// decoder buffers per run) and check+buffers (an x12.BufferPool shared by
// the runs, as the gateway does). On a shared machine MB/cpu-s (user +
// system time of the process, GC included) is steadier than MB/s.
func BenchmarkValidateDecode945(b *testing.B) {
	c := mustLoad(b)
	const lines = 100_000
	data := gen945(lines)
	run := func(b *testing.B, opts *x12.DecoderOptions) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		cpu0 := cpuTime()
		for range b.N {
			got := 0
			rep, err := x12.Check(bytes.NewReader(data), c, opts, func(t *x12.Transaction, sr *x12.SetResult) error {
				if sr.Status != x12.StatusAccepted {
					return errRejected(sr)
				}
				doc, err := documents.Decode945(t)
				if err != nil {
					return err
				}
				got += len(doc.Lines)
				return nil
			})
			if err == nil && !rep.Accepted() {
				err = errNotAccepted
			}
			if err != nil {
				b.Fatal(err)
			}
			if got != lines {
				b.Fatalf("%d lines decoded, want %d", got, lines)
			}
		}
		reportCPU(b, int64(len(data))*int64(b.N), cpuTime()-cpu0)
		b.ReportMetric(float64(lines), "lines/op")
	}
	b.Run("check", func(b *testing.B) {
		run(b, &x12.DecoderOptions{MaxTransactionSize: 64 << 20})
	})
	b.Run("check+buffers", func(b *testing.B) {
		run(b, &x12.DecoderOptions{MaxTransactionSize: 64 << 20, Buffers: &x12.BufferPool{}})
	})
}

// TestGen945IsValid keeps the benchmark's input honest: a small one is
// accepted and decodes to its lines.
func TestGen945IsValid(t *testing.T) {
	sets := readAllSets(gen945(250))
	if len(sets) != 1 {
		t.Fatalf("%d sets", len(sets))
	}
	c := mustLoad(t)
	if o := c.Check(sets[0]); o.Result.Status != x12.StatusAccepted {
		t.Fatalf("status %s: %+v", o.Result.Status, o.Result.Segments)
	}
	doc, err := documents.Decode945(sets[0])
	if err != nil || len(doc.Lines) != 250 || doc.Lines[249].LX != "3" || doc.Lines[249].LineNumber() != "250" {
		t.Fatalf("%v %d lines", err, len(doc.Lines))
	}
}
