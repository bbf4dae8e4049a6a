package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/internal/cputime"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/partners"
	"github.com/dockside-edi/dockside/transports/folder"
)

const adviceBenchChannel = `id: %s
name: Channel %s
role: channel
identities:
  isa: [{qualifier: ZZ, id: %s}]
transports:
  outbound:
    - folder: {path: %s}
advice:
  schedule: "0 0 1 1 *"
  mode: delta
  debounce: %s
  items: {qualifier: SK}
  policy: {share_percent: %d, locations: [L1, L2]}
`

// openAdviceBench opens a gateway with n channels whose advice goes to
// folders, and a ledger of skus SKUs at two locations.
func openAdviceBench(b *testing.B, channels, skus int, debounce time.Duration) (*Gateway, []string) {
	b.Helper()
	dir := b.TempDir()
	pdir := filepath.Join(dir, "partners")
	os.MkdirAll(pdir, 0o755)
	var ids []string
	for i := range channels {
		id := fmt.Sprintf("chan%d", i)
		ids = append(ids, id)
		out := filepath.Join(dir, "out", id)
		os.MkdirAll(out, 0o755)
		os.WriteFile(filepath.Join(pdir, id+".yaml"), []byte(fmt.Sprintf(adviceBenchChannel, id, id, id, out, debounce, 100-10*i)), 0o644)
	}
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners = filepath.Join(dir, "data"), pdir
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Close() })
	ctx := context.Background()
	for start := 0; start < skus; start += 10_000 {
		doc := ledger.Document{Key: fmt.Sprint("load", start)}
		for i := start; i < min(start+10_000, skus); i++ {
			for l := 1; l <= 2; l++ {
				doc.Movements = append(doc.Movements, ledger.Movement{SourceKey: fmt.Sprintf("%d/%d", i, l),
					SKU: fmt.Sprintf("SKU%07d", i), Location: fmt.Sprintf("L%d", l), Kind: ledger.KindReceipt, Quantity: int64(i%97 + 100)})
			}
		}
		if _, err := g.Ledger.Post(ctx, doc); err != nil {
			b.Fatal(err)
		}
	}
	return g, ids
}

// BenchmarkFullAdvice100kToFolder builds a full 846 of 100,000 SKUs for
// a channel, queues it, delivers it to the channel's drop folder (temp
// file, fsync, rename) and records that the channel believes it: the
// whole way from the ledger to a delivered advice.
func BenchmarkFullAdvice100kToFolder(b *testing.B) {
	g, ids := openAdviceBench(b, 1, 100_000, 0)
	d := &outbox.Dispatcher{Store: g.Outbox, Senders: map[string]outbox.Sender{folder.Transport: folder.NewDropper(g.dropTarget)}}
	ctx := context.Background()
	// The first advice finds the split point of the listing (see the
	// broadcast package); the benchmark measures the scheduled ones.
	if _, err := g.Advice.Broadcast(ctx, ids[0], broadcast.Options{Full: true}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	c0 := cputime.Now()
	for b.Loop() {
		res, err := g.Advice.Broadcast(ctx, ids[0], broadcast.Options{Full: true, Send: true})
		if err != nil {
			b.Fatal(err)
		}
		if n, err := d.SendDue(ctx); err != nil || n != 1 {
			b.Fatalf("sent %d: %v", n, err)
		}
		if err := g.Advice.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		if bc, _ := g.Advice.Store.Get(res.Broadcast.ID); bc.Delivery != broadcast.DeliveryDelivered || bc.Items != 100_000 {
			b.Fatalf("broadcast %+v", bc)
		}
		b.SetBytes(int64(len(res.X12)))
	}
	b.ReportMetric((cputime.Now()-c0).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkAdviceStaleness measures how long a committed ledger change
// takes to reach the channels: 10,000 SKUs, 5 channels with a 1 s
// debounce, changes committed at 1,000 per second for 5 s, advice
// delivered to folders. For each change and channel, the staleness is
// from the change's commit to the delivery of the first advice that
// reflects it (whose ledger sequence is at least the change's); p50 and
// p99 over all of them.
func BenchmarkAdviceStaleness(b *testing.B) {
	const (
		skus, channels = 10_000, 5
		rate, period   = 1000, 5 * time.Second
		debounce       = time.Second
	)
	g, ids := openAdviceBench(b, channels, skus, debounce)
	var all []time.Duration
	for b.Loop() {
		all = append(all, stalenessRun(b, g, ids, skus, rate, period)...)
	}
	b.ReportMetric(float64(len(all))/float64(channels)/period.Seconds()/float64(b.N), "changes/s")
	slices.Sort(all)
	b.ReportMetric(all[len(all)/2].Seconds(), "p50-s")
	b.ReportMetric(all[len(all)*99/100].Seconds(), "p99-s")
	b.ReportMetric(all[len(all)-1].Seconds(), "max-s")
	b.ReportMetric(float64(len(all)), "changes×channels")
}

func stalenessRun(b *testing.B, g *Gateway, ids []string, skus, rate int, period time.Duration) []time.Duration {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := &outbox.Dispatcher{Store: g.Outbox, Senders: map[string]outbox.Sender{folder.Transport: folder.NewDropper(g.dropTarget)}, Poll: 100 * time.Millisecond}
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{d.Run, g.Advice.RunSync, func(ctx context.Context) error {
		return g.Advice.RunNearRealTime(ctx, broadcast.RealClock{}, func() []*partners.Profile { return g.Partners().Profiles() })
	}} {
		wg.Add(1)
		go func() { defer wg.Done(); run(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()

	// Changes at the rate, each its own posting, up to 64 in flight.
	var mu sync.Mutex
	committed := map[uint64]time.Time{}
	sem := make(chan struct{}, 64)
	var posts sync.WaitGroup
	rng := rand.New(rand.NewPCG(1, 2))
	tick := time.NewTicker(time.Second / time.Duration(rate))
	start := time.Now()
	for n := 0; time.Since(start) < period; n++ {
		<-tick.C
		sem <- struct{}{}
		posts.Add(1)
		key := fmt.Sprintf("chg-%d-%d", start.UnixNano(), n)
		sku, loc, q := fmt.Sprintf("SKU%07d", rng.IntN(skus)), fmt.Sprintf("L%d", 1+rng.IntN(2)), int64(1+rng.IntN(3))
		go func() {
			defer func() { <-sem; posts.Done() }()
			res, err := g.Ledger.Post(ctx, ledger.Document{Key: key, Movements: []ledger.Movement{{SourceKey: key, SKU: sku, Location: loc,
				Kind: ledger.KindReceipt, Quantity: q}}})
			now := time.Now()
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			committed[res.Seq] = now
			mu.Unlock()
		}()
	}
	tick.Stop()
	posts.Wait()
	last, _ := g.Ledger.LastSeq(ctx)

	// Wait until every channel has a delivered advice of the last change.
	deadline := time.Now().Add(60 * time.Second)
	delivered := map[string][]broadcast.Broadcast{}
	for _, id := range ids {
		for {
			list, err := g.Advice.Store.List(id, 100_000)
			if err != nil {
				b.Fatal(err)
			}
			done := false
			for _, bc := range list {
				if bc.Delivery == broadcast.DeliveryDelivered && bc.Seq >= last {
					done = true
				}
			}
			if done {
				delivered[id] = list
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%s: no delivered advice of change %d after 60 s", id, last)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	var out []time.Duration
	for _, id := range ids {
		var bcs []broadcast.Broadcast
		for _, bc := range delivered[id] {
			if bc.Delivery == broadcast.DeliveryDelivered {
				bcs = append(bcs, bc)
			}
		}
		sort.Slice(bcs, func(i, j int) bool { return bcs[i].Seq < bcs[j].Seq })
		// firstAt[i]: the earliest delivery among advice i.. (sequence order).
		firstAt := make([]time.Time, len(bcs))
		for i := len(bcs) - 1; i >= 0; i-- {
			firstAt[i] = bcs[i].DeliveredAt
			if i+1 < len(bcs) && firstAt[i+1].Before(firstAt[i]) {
				firstAt[i] = firstAt[i+1]
			}
		}
		for seq, at := range committed {
			i := sort.Search(len(bcs), func(i int) bool { return bcs[i].Seq >= seq })
			if i == len(bcs) {
				b.Fatalf("%s: change %d never delivered", id, seq)
			}
			out = append(out, max(0, firstAt[i].Sub(at)))
		}
	}
	return out
}
