package broadcasttest

import (
	"context"
	"fmt"
	"testing"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/mapping"
)

// BenchFullAdvice measures one full advice of n figures through a
// store: recorded (queued), its outbox message set, delivered (the
// channel's held figures replaced), and the channel's beliefs read.
func BenchFullAdvice(b *testing.B, open func(b *testing.B) broadcast.Store, n int) {
	s := open(b)
	b.Cleanup(func() { s.Close() })
	ls := make([]mapping.AdviceLine, n)
	for i := range ls {
		ls[i] = mapping.AdviceLine{SKU: fmt.Sprintf("SKU%07d", i), Quantity: int64(i % 97)}
	}
	b.ResetTimer()
	for i := range b.N {
		bc := broadcast.Broadcast{Partner: "bigshop", Time: t0, Mode: broadcast.ModeFull, Seq: uint64(i + 1), Items: n, Delivery: broadcast.DeliveryQueued}
		if err := s.Record(context.Background(), &bc, ls); err != nil {
			b.Fatal(err)
		}
		if err := s.SetOutbox(bc.ID, []uint64{uint64(i + 1)}); err != nil {
			b.Fatal(err)
		}
		if err := s.Update(bc.ID, delivered("")); err != nil {
			b.Fatal(err)
		}
		bs, err := s.Beliefs("bigshop")
		if err != nil || len(bs.Held) != n {
			b.Fatalf("held %d, %v", len(bs.Held), err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "figures/s")
}
