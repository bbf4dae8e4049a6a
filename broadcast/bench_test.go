package broadcast

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/dockside-edi/dockside/internal/cputime"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

const benchChannel = `id: bigshop
name: Big Shop
role: channel
identities:
  isa: [{qualifier: ZZ, id: BIGSHOP}]
transports:
  outbound:
    - folder: {path: out}
advice:
  schedule: "0 * * * *"
  items: {qualifier: SK}
  policy: {share_percent: 50, safety_stock: 1, locations: [L1, L2, L3, L4]}
`

// BenchmarkAdvice100kSKUs builds a full 846 for 100,000 SKUs across 4
// locations (ledger listing, policy, X12 encoding).
func BenchmarkAdvice100kSKUs(b *testing.B) {
	f := newFixture(b)
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, "bigshop.yaml"), []byte(benchChannel), 0o644)
	d, err := partners.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	f.b.Partner = d.ByID
	ctx := context.Background()
	const skus = 100_000
	for start := 0; start < skus; start += 10_000 {
		doc := ledger.Document{Key: fmt.Sprint("load", start)}
		for i := start; i < start+10_000; i++ {
			for l := 1; l <= 4; l++ {
				doc.Movements = append(doc.Movements, ledger.Movement{SourceKey: fmt.Sprintf("%d/%d", i, l),
					SKU: fmt.Sprintf("SKU%07d", i), Location: fmt.Sprintf("L%d", l), Kind: ledger.KindReceipt, Quantity: int64(i%97 + l)})
			}
		}
		if _, err := f.l.Post(ctx, doc); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	c0 := cputime.Now()
	for b.Loop() {
		res, err := f.b.Broadcast(ctx, "bigshop", Options{Full: true})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Lines) != skus {
			b.Fatalf("%d lines", len(res.Lines))
		}
		b.SetBytes(int64(len(res.X12)))
	}
	b.ReportMetric((cputime.Now()-c0).Seconds()/float64(b.N), "cpu-s/op")
}
