package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/internal/stdwebhooks"
	"github.com/dockside-edi/dockside/internal/whtest"
)

// TestWebhookSubscriberSurvivesKill9: events stream in over HTTP while
// serve, with a change stream webhook subscriber (a Python receiver
// verifying every signature), is killed with SIGKILL and started again.
// Every change event reaches the subscriber at least once; deduplicating
// on webhook-id it applies each once, in per-SKU order, and ends with the
// ledger's figures.
func TestWebhookSubscriberSurvivesKill9(t *testing.T) {
	e := setup(t)
	secret := stdwebhooks.NewSecret()
	recv := whtest.Start(t, secret.Text())
	secretFile := filepath.Join(e.dir, "mirror.whsec")
	if err := os.WriteFile(secretFile, []byte(secret.Text()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const token = "acme-events-token-webhooks"
	sum := sha256.Sum256([]byte(token))
	p := filepath.Join(e.partners, "acme-3pl.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, fmt.Sprintf("\nevents:\n  source: urn:acme:wms\n  token_sha256: %s\n", hex.EncodeToString(sum[:]))...)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(e.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "webhooks:\n  subscribers:\n    - name: mirror\n      url: %s/changes\n      secret_file: %s\n      from_start: true\n      skus: [\"WH-*\"]\n",
		recv.URL, secretFile)
	f.Close()
	e.start()

	const batches, perBatch = 40, 20
	skus := []string{"WH-1", "WH-2", "WH.3"}
	want := map[string]int64{}
	wantEvents := 0 // those the subscriber's skus filter passes
	bodies := make([]string, batches)
	for i := range batches {
		var evs []string
		for j := range perBatch {
			n := i*perBatch + j
			sku := skus[n%len(skus)]
			qty := int64(1 + n%4)
			want[sku] += qty
			if strings.HasPrefix(sku, "WH-") {
				wantEvents++
			}
			evs = append(evs, fmt.Sprintf(`{"specversion":"1.0","id":"wh-%d","source":"urn:acme:wms","type":"dockside.inventory.receipt","data":{"sku":%q,"location":"dallas","quantity":%d}}`, n, sku, qty))
		}
		bodies[i] = "[" + strings.Join(evs, ",") + "]"
	}
	var next, accepted atomic.Int64
	post := func(body string) {
		for {
			req, _ := http.NewRequest("POST", fmt.Sprintf("http://127.0.0.1:%d/api/v1/events", e.httpPort), strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusAccepted {
					accepted.Add(1)
					return
				}
				if resp.StatusCode != http.StatusServiceUnavailable && resp.StatusCode != http.StatusConflict && resp.StatusCode < 500 {
					t.Errorf("POST /api/v1/events: %d", resp.StatusCode)
					return
				}
			}
			time.Sleep(100 * time.Millisecond) // down or busy: the same batch again
		}
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= batches {
					return
				}
				post(bodies[i])
				time.Sleep(150 * time.Millisecond)
			}
		})
	}
	delivered := func() []whtest.Request {
		var out []whtest.Request
		for _, r := range recv.Requests(t) {
			if r.Status/100 == 2 {
				out = append(out, r)
			}
		}
		return out
	}
	var kills []string
	for k := 1; k <= 2; k++ {
		e.waitFor("input and output", 60*time.Second, func() bool {
			return accepted.Load() >= int64(k*batches/3) && len(delivered()) > 0
		})
		e.kill()
		kills = append(kills, fmt.Sprintf("%d batches accepted and %d webhooks delivered", accepted.Load(), len(delivered())))
		e.start()
	}
	wg.Wait()
	total := batches * perBatch
	e.waitFor("every change event", 120*time.Second, func() bool {
		ids := map[string]bool{}
		for _, r := range delivered() {
			ids[r.ID] = true
		}
		return len(ids) >= wantEvents
	})
	e.stop()

	stock := e.stock()
	seen := map[string]bool{}
	last := map[string]uint64{}
	applied := map[string]stream.Figures{}
	dups := 0
	for _, r := range delivered() {
		if !r.Verified {
			t.Fatalf("webhook %s failed the receiver's signature check", r.ID)
		}
		if seen[r.ID] {
			dups++
			continue
		}
		seen[r.ID] = true
		ev, err := stream.Unmarshal([]byte(r.Body))
		if err != nil || ev.ID != r.ID {
			t.Fatalf("webhook %s: %v (event %q)", r.ID, err, ev.ID)
		}
		if !strings.HasPrefix(ev.Data.SKU, "WH-") {
			t.Errorf("event %s of %s passed the skus filter", ev.ID, ev.Data.SKU)
		}
		pos := ev.Data.SKU + "@" + ev.Data.Location
		if ev.Data.Sequence <= last[pos] {
			t.Errorf("event %s (sequence %d) after sequence %d of %s", ev.ID, ev.Data.Sequence, last[pos], pos)
			continue
		}
		last[pos] = ev.Data.Sequence
		if prev := applied[pos]; prev.OnHand+ev.Data.Delta.OnHand != ev.Data.Balance.OnHand {
			t.Errorf("event %s: balance %d is not %d + delta %d: an event of %s is missing", ev.ID, ev.Data.Balance.OnHand, prev.OnHand, ev.Data.Delta.OnHand, pos)
		}
		applied[pos] = ev.Data.Balance
	}
	for _, sku := range skus {
		if strings.HasPrefix(sku, "WH-") {
			pos := sku + "@dallas"
			if applied[pos].OnHand != want[sku] || stock[pos]["on_hand"] != want[sku] {
				t.Errorf("%s: the subscriber ends at %d, the ledger at %d, want %d", pos, applied[pos].OnHand, stock[pos]["on_hand"], want[sku])
			}
		}
	}
	if len(seen) != wantEvents {
		t.Errorf("%d distinct webhooks, want %d (the filter's share of %d input events)", len(seen), wantEvents, total)
	}
	t.Logf("%d input events; SIGKILL at %s; %d webhooks delivered, %d duplicates", total, strings.Join(kills, ", then at "), len(delivered()), dups)
}
