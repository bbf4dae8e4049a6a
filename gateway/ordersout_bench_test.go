package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/outbox"
)

// BenchmarkChannelOrder: one channel 940 (two lines at Dallas) per
// iteration, received and processed, with Dallas fulfilled by our own
// stock (local) or by the example 3PL (to3pl: the order also goes out as
// a 940 through the outbox). Reports orders per second.
func BenchmarkChannelOrder(b *testing.B) {
	sample, err := os.ReadFile(samples + "/shopmart/order-940.edi")
	if err != nil {
		b.Fatal(err)
	}
	for _, to3PL := range []bool{false, true} {
		name := "local"
		if to3PL {
			name = "to3pl"
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			parts := filepath.Join(dir, "partners")
			copyTreeB(b, "../examples/partners", parts)
			f := filepath.Join(parts, "acme-3pl.yaml")
			y, _ := os.ReadFile(f)
			y = withoutDemoWarehouse(y)
			if to3PL {
				y = append(y, "\nfulfils:\n  locations: {dallas: DAL1}\n  items: {qualifier: VN}\n"...)
			}
			os.WriteFile(f, y, 0o644)
			cfg := DefaultConfig()
			cfg.Data, cfg.Partners, cfg.Workers = filepath.Join(dir, "data"), parts, 2
			g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			defer g.Close()
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				n := 100000 + i
				body := strings.NewReplacer("000002001", fmt.Sprintf("%09d", n), "*2001*", fmt.Sprintf("*%d*", n), "GE*1*2001", fmt.Sprintf("GE*1*%d", n),
					"SO-9001", fmt.Sprintf("SO-B%d", i)).Replace(string(sample))
				if _, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: "shopmart", Transport: "bench", Name: fmt.Sprintf("o%d.edi", i)}, bytes.NewReader([]byte(body))); err != nil {
					b.Fatal(err)
				}
				if err := g.Drain(ctx, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
			ms, _ := g.Inbox.List(inbox.Filter{State: inbox.Failed})
			if len(ms) > 0 {
				b.Fatalf("%d orders failed: %v", len(ms), ms[0].Errors)
			}
			sent, _ := g.Outbox.List(outbox.Filter{Partner: "acme-3pl", Kind: "940", Limit: b.N + 1})
			if want := map[bool]int{false: 0, true: b.N}[to3PL]; len(sent) != want {
				b.Fatalf("%d 940s queued to acme-3pl, want %d", len(sent), want)
			}
		})
	}
}

func copyTreeB(b *testing.B, from, to string) {
	b.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		c, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), c, 0o644)
	})
	if err != nil {
		b.Fatal(err)
	}
}
