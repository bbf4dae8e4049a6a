package postgres

import (
	"context"
	"testing"

	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
)

// BenchmarkCopyFrom copies a bbolt outbox of 2,000 messages (bodies of
// 3 B to 6 KiB, 3 KiB on average) into PostgreSQL and verifies
// it (`dockside migrate --from`); it reports messages/s for the whole
// copy and verification.
func BenchmarkCopyFrom(b *testing.B) {
	const n = 2000
	ctx := context.Background()
	src := boltOutbox(b, n)
	var size int64
	for id := uint64(1); id <= n; id++ {
		body, err := src.Body(id)
		if err != nil {
			b.Fatal(err)
		}
		size += int64(len(body))
	}
	b.SetBytes(size)
	for b.Loop() {
		b.StopTimer()
		dst := node(b, pgstoretest.Migrated(b, &pg, Migrations), false, Options{})
		b.StartTimer()
		r, err := CopyFrom(ctx, src, dst)
		if err != nil || r.Copied != n {
			b.Fatalf("%v %v", r, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "messages/s")
}
