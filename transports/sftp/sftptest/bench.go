package sftptest

import (
	"context"
	"fmt"
	"testing"

	"github.com/dockside-edi/dockside/transports/sftp"
)

// Bench measures an OutFolder the way the SFTP server uses it: puts of
// a small acknowledgement (files/s), and a large file put and then read
// whole in 32 KiB pieces, as a client downloads it (MB/s of the read).
func Bench(b *testing.B, open func(b *testing.B) sftp.OutFolder) {
	b.Run("Put2KiB", func(b *testing.B) {
		o := open(b)
		ack := body(1, 2<<10)
		b.SetBytes(int64(len(ack)))
		for i := 0; b.Loop(); i++ {
			if err := o.Put(context.Background(), "acme", fmt.Sprintf("997-%d.x12", i), ack); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
	})
	b.Run("Read8MiB", func(b *testing.B) {
		o := open(b)
		big := body(2, 8<<20)
		if err := o.Put(context.Background(), "acme", "big.x12", big); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(big)))
		for b.Loop() {
			r, f, err := o.Open(context.Background(), "acme", "big.x12")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := readAll(r, f.Size); err != nil {
				b.Fatal(err)
			}
			r.Close()
		}
	})
}
