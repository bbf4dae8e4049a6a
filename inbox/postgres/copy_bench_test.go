package postgres

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
)

// BenchmarkCopyFrom copies a bbolt inbox of 2,000 messages of 2 KiB
// into PostgreSQL and verifies it (`dockside migrate --from`); it
// reports messages/s for the whole copy and verification.
func BenchmarkCopyFrom(b *testing.B) {
	const n = 2000
	ctx := context.Background()
	src, err := inbox.Open(filepath.Join(b.TempDir(), "inbox"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	pad := strings.Repeat("x", 2048)
	for i := range n {
		if _, err := src.Receive(ctx, inbox.Arrival{Partner: "acme", Transport: "sftp", Name: fmt.Sprintf("f%d.edi", i)},
			strings.NewReader(fmt.Sprintf("%d %s", i, pad))); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(n * 2048)
	for b.Loop() {
		b.StopTimer()
		dst := node(b, migrated(b), false, nil)
		b.StartTimer()
		r, err := CopyFrom(ctx, src, dst)
		if err != nil || r.Copied != n {
			b.Fatalf("%v %v", r, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "messages/s")
}
