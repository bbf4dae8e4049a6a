package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/stdwebhooks"
	"github.com/dockside-edi/dockside/ledger"
)

// BenchmarkClusterCommitToWebhook: two gateways on one PostgreSQL, the
// first the leader (it relays the change stream to a webhook subscriber
// on loopback); each op posts one receipt on the leader ("leader") or on
// the other node ("other") and waits until the receiver got its event.
// Reported: the latency from Post returning to the receiver's handler,
// p50 and p99 (an idle ledger: one posting at a time).
func BenchmarkClusterCommitToWebhook(b *testing.B) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(b, &pg, Migrations()...)
	url := pool.Config().ConnString()
	var mu sync.Mutex
	arrived := map[string]time.Time{}
	got := make(chan struct{}, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived[r.Header.Get("webhook-id")] = time.Now()
		mu.Unlock()
		select {
		case got <- struct{}{}:
		default:
		}
	}))
	b.Cleanup(recv.Close)
	dir := b.TempDir()
	pdir := filepath.Join(dir, "partners")
	os.MkdirAll(pdir, 0o755)
	if err := os.WriteFile(filepath.Join(pdir, "north.yaml"), []byte(fmt.Sprintf(partnerHookProfile, "north", "3pl", "N-DAL", "DAL", "")), 0o644); err != nil {
		b.Fatal(err)
	}
	secretFile := filepath.Join(dir, "erp.whsec")
	os.WriteFile(secretFile, []byte(stdwebhooks.NewSecret().Text()), 0o600)
	set := func(c *Config) {
		c.Webhooks.Subscribers = []WebhookSubscriberConfig{{Name: "erp", URL: recv.URL + "/erp", SecretFile: secretFile}}
	}
	start := func(name string) *streamNode {
		l, err := clusterpg.New(ctx, pool, leaderLease, name, LeaderLeaseTTL)
		if err != nil {
			b.Fatal(err)
		}
		return startStreamNode(b, name, url, pdir, set, l)
	}
	leader := start("leader")
	for !leader.g.subscribers.Running() {
		time.Sleep(10 * time.Millisecond)
	}
	other := start("other")
	n := 0
	for _, on := range []*streamNode{leader, other} {
		b.Run(on.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				n++
				res, err := on.g.Ledger.Post(ctx, ledger.Document{Key: fmt.Sprint("bench-", n), Movements: []ledger.Movement{{
					SourceKey: fmt.Sprint("bench-", n), SKU: "S1", Location: "DAL", Kind: ledger.KindReceipt, Quantity: 1}}})
				if err != nil {
					b.Fatal(err)
				}
				posted := time.Now()
				id := fmt.Sprintf("%d-0", res.Seq)
				for {
					mu.Lock()
					at, ok := arrived[id]
					mu.Unlock()
					if ok {
						lat = append(lat, at.Sub(posted))
						break
					}
					select {
					case <-got:
					case <-time.After(5 * time.Second):
						b.Fatalf("event %s not delivered", id)
					}
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}
