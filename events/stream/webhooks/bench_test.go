package webhooks

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/internal/stdwebhooks"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/transports/webhook"
)

// BenchmarkCommitToWebhook measures commit → webhook delivered on
// loopback: postings of one movement each are committed to a ledger
// (fsync on) at 1,000 a second, and a subscriber relays each change event
// as one signed POST to a receiver that verifies the signature. One op
// is one change; the latency is from the return of the posting's Post to
// the receiver's handler verifying its event. Run it with a count of
// changes, e.g. -benchtime 3000x (3 seconds at 1,000/s).
func BenchmarkCommitToWebhook(b *testing.B) {
	const rate = 1000 // changes a second
	dir := b.TempDir()
	l, err := ledger.Open(filepath.Join(dir, "ledger.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	cursors, err := stream.OpenBoltCursors(filepath.Join(dir, "cursors.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer cursors.Close()
	eps, err := webhook.OpenEndpoints(filepath.Join(dir, "endpoints.json"))
	if err != nil {
		b.Fatal(err)
	}
	secret := stdwebhooks.NewSecret()
	var mu sync.Mutex
	received := map[uint64]time.Time{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id, err := stdwebhooks.Verify(r.Header, body, []stdwebhooks.Secret{secret}, 0, time.Now())
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		at := time.Now()
		seq, _, _ := stream.ParseEventID(id)
		mu.Lock()
		if _, dup := received[seq]; !dup {
			received[seq] = at
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	m, err := New(Options{Ledger: l, Cursors: cursors, Endpoints: eps, Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		[]Subscriber{{Name: "bench", Target: webhook.Target{URL: srv.URL, Secrets: []stdwebhooks.Secret{secret}}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		st, _ := m.Statuses(ctx)
		if st[0].Running {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the relay did not start")
		}
	}

	committed := make(map[uint64]time.Time, b.N)
	var cmu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64) // postings in flight: the ledger groups their commits
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / rate)))
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, err := l.Post(ctx, ledger.Document{Key: fmt.Sprint("d", i), Movements: []ledger.Movement{{
				SourceKey: fmt.Sprint("m", i), SKU: fmt.Sprintf("SKU-%04d", i%500), Location: "DAL", Kind: ledger.KindReceipt, Quantity: 1}}})
			at := time.Now()
			if err != nil {
				b.Error(err)
				return
			}
			cmu.Lock()
			committed[res.Seq] = at
			cmu.Unlock()
		}()
	}
	wg.Wait()
	postedIn := time.Since(start)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(received)
		mu.Unlock()
		if n >= b.N {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d events delivered", n, b.N)
		}
	}
	b.StopTimer()
	lat := make([]time.Duration, 0, b.N)
	for seq, c := range committed {
		lat = append(lat, max(0, received[seq].Sub(c)))
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / 1e6 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-ms")
	b.ReportMetric(float64(b.N)/postedIn.Seconds(), "changes/s")
}
