package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/events/stream/webhooks"
	"github.com/dockside-edi/dockside/internal/browsertest"
	"github.com/dockside-edi/dockside/internal/stdwebhooks"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/transports/webhook"
)

// hookReceiver is a loopback webhook receiver keeping the ids of the
// requests whose signature verifies.
type hookReceiver struct {
	mu  sync.Mutex
	ids []string
	bad int
}

func (h *hookReceiver) got() ([]string, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.ids), h.bad
}

// startSubscriber runs a webhook subscriber "erp" of the fixture's ledger
// (from its first posting) posting to a loopback receiver.
func startSubscriber(t *testing.T, l *ledger.Ledger) (webhooks.Operations, *hookReceiver) {
	t.Helper()
	secret := stdwebhooks.NewSecret()
	rec := &hookReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id, err := stdwebhooks.Verify(r.Header, body, []stdwebhooks.Secret{secret}, 0, time.Now())
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if err != nil {
			rec.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		rec.ids = append(rec.ids, id)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cursors, err := stream.OpenBoltCursors(filepath.Join(dir, "cursors.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cursors.Close() })
	eps, err := webhook.OpenEndpoints(filepath.Join(dir, "endpoints.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := webhooks.New(webhooks.Options{Ledger: l, Cursors: cursors, Endpoints: eps,
		Relay: stream.Options{Backoff: func(int) time.Duration { return 20 * time.Millisecond }}},
		[]webhooks.Subscriber{{Name: "erp", FromStart: true, Target: webhook.Target{URL: srv.URL + "/events", Secrets: []stdwebhooks.Secret{secret}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return webhooks.Operations{Manager: m, Endpoints: eps}, rec
}

// allEventIDs lists the ids of every change event of the ledger from
// change from on, in order.
func allEventIDs(t *testing.T, l *ledger.Ledger, from uint64) []string {
	t.Helper()
	changes, err := l.ChangesSince(context.Background(), from-1, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ch := range changes {
		for i := range ch.Movements {
			ids = append(ids, stream.EventID(ch.Seq, i))
		}
	}
	return ids
}

// TestBrowserRedeliverWebhook: an operator sees the subscriber caught up
// on the Webhooks page, asks for a redelivery from change 2 with its
// button, and the subscriber gets every event from there again, in
// order; the API tells the same state.
func TestBrowserRedeliverWebhook(t *testing.T) {
	b := browsertest.Start(t)
	var rec *hookReceiver
	var ops webhooks.Operations
	f := newFixture(t, fixtureOptions{noSeed: true, webhooks: func(l *ledger.Ledger) Webhooks {
		ops, rec = startSubscriber(t, l)
		return ops
	}})
	ctx := context.Background()
	for i, sku := range []string{"A", "B", "C", "A"} {
		_, err := f.ledger.Post(ctx, ledger.Document{Key: "doc" + sku + string(rune('0'+i)), Movements: []ledger.Movement{
			{SourceKey: "m" + string(rune('0'+i)), SKU: sku, Location: "DAL", Kind: ledger.KindReceipt, Quantity: int64(5 + i)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	all := allEventIDs(t, f.ledger, 1)
	waitFor(t, "the first delivery", func() bool { ids, _ := rec.got(); return len(ids) == len(all) })

	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	browserLogin(t, b, ts.URL)
	b.Navigate(ts.URL + "/webhooks")
	b.WaitFor(`!!document.querySelector("#subscriber-erp")`)
	row := b.Text(`document.querySelector("#subscriber-erp").innerText`)
	if !strings.Contains(row, "change 4 of 4") || !strings.Contains(row, "delivering") {
		t.Fatalf("the subscriber's row: %q", row)
	}
	b.Eval(`document.querySelector("#from-erp").value = "2"; document.querySelector("#redeliver-erp").click(); true`)
	b.WaitFor(`location.search.includes("flash=webhook-redelivered") && !!document.querySelector(".flash")`)
	want := append(slices.Clone(all), allEventIDs(t, f.ledger, 2)...)
	waitFor(t, "the redelivery", func() bool { ids, _ := rec.got(); return len(ids) == len(want) })
	if ids, bad := rec.got(); !slices.Equal(ids, want) || bad != 0 {
		t.Fatalf("received %v (%d unverified), want %v", ids, bad, want)
	}

	// A receiver's 410 (here: the list) shows on the overview's card and
	// the Webhooks page, whose Enable button clears it.
	if _, err := ops.Endpoints.Disable("partner/shopmart", "https://shop.example/hooks", "410 Gone", time.Now()); err != nil {
		t.Fatal(err)
	}
	b.Navigate(ts.URL + "/")
	b.WaitFor(`!!document.querySelector("#webhooks-card")`)
	if got := b.Text(`document.querySelector("#webhooks-card b").textContent`); got != "1" {
		t.Fatalf("the overview's webhooks card says %q disabled, want 1", got)
	}
	b.Eval(`document.querySelector("#webhooks-card").click(); true`)
	b.WaitFor(`location.pathname === "/webhooks" && !!document.querySelector("#disabled")`)
	b.Eval(`document.querySelector("button[id='enable-partner/shopmart']").click(); true`)
	b.WaitFor(`location.search.includes("flash=webhook-enabled") && !document.querySelector("#disabled")`)
	if len(ops.Disabled()) != 0 {
		t.Fatalf("still disabled: %v", ops.Disabled())
	}

	// The API shows the same subscriber; a read-only token cannot redeliver.
	rr := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/v1/webhooks", nil)
	req.Header.Set("Authorization", "Bearer "+roSecret)
	f.srv.Handler().ServeHTTP(rr, req)
	var v webhooksView
	if err := json.Unmarshal(rr.Body.Bytes(), &v); err != nil || rr.Code != 200 || len(v.Subscribers) != 1 || v.Subscribers[0].Confirmed != 4 {
		t.Fatalf("GET /api/v1/webhooks: %d %s", rr.Code, rr.Body)
	}
	for _, tc := range []struct {
		token, body string
		status      int
	}{
		{roSecret, `{"subscriber":"erp","from":"1"}`, 403},
		{opSecret, `{"subscriber":"erp","from":"9"}`, 400},
		{opSecret, `{"subscriber":"nobody","from":"1"}`, 404},
		{opSecret, `{"subscriber":"erp","from":"x"}`, 400},
		{opSecret, `{"subscriber":"erp","from":"4-0"}`, 202},
	} {
		rr := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/api/v1/webhooks/redeliver", strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+tc.token)
		f.srv.Handler().ServeHTTP(rr, req)
		if rr.Code != tc.status {
			t.Errorf("redeliver %s: %d %s, want %d", tc.body, rr.Code, rr.Body, tc.status)
		}
	}
}

// waitFor waits up to 30 s for cond.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
