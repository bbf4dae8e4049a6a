package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
)

// BenchmarkBody64MiB: a 64 MiB file received on one node and read back
// whole on another (its own pool): the bytes a node processes need not
// be on its disk. Reports each direction's MB/s.
func BenchmarkBody64MiB(b *testing.B) {
	const size = 64 << 20
	pool := migrated(b)
	a, c := node(b, pool, false, nil), node(b, pool, true, nil)
	body := make([]byte, size)
	rand.Read(body) // incompressible, as encrypted or zipped payloads are
	b.SetBytes(size)
	var in, out time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		m, err := a.Receive(context.Background(), inbox.Arrival{Partner: "acme", Name: "big.bin"}, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		rc, err := c.Body(m.ID)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil || n != size {
			b.Fatalf("read %d bytes: %v", n, err)
		}
		in, out = in+t1.Sub(t0), out+time.Since(t1)
		body[0]++ // other bytes: not a duplicate
	}
	b.ReportMetric(float64(size*b.N)/1e6/in.Seconds(), "MB/s-receive")
	b.ReportMetric(float64(size*b.N)/1e6/out.Seconds(), "MB/s-read")
}
