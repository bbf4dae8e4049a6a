package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/events/stream/webhooks"
	"github.com/dockside-edi/dockside/internal/stdwebhooks"
	"github.com/dockside-edi/dockside/internal/whtest"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/transports/webhook"
)

const webhookChannel = `id: hookshop
name: Hook Shop
role: channel
transports:
  outbound:
    - webhook: {url: %s/advice, secret_file: hookshop.whsec, timeout: 5s}
advice:
  schedule: "0 0 1 1 *"
  mode: delta
  format: json
  items: {qualifier: VN}
`

// openWebhookGateway opens a gateway whose one channel takes JSON advice
// over a webhook to a Python receiver verifying its signatures.
func openWebhookGateway(t *testing.T, clock *fakeClock) (*Gateway, *whtest.Receiver, *bytes.Buffer) {
	t.Helper()
	secret := stdwebhooks.NewSecret()
	recv := whtest.Start(t, secret.Text())
	dir := t.TempDir()
	pdir := filepath.Join(dir, "partners")
	os.MkdirAll(pdir, 0o755)
	os.WriteFile(filepath.Join(pdir, "hookshop.whsec"), []byte(secret.Text()+"\n"), 0o600)
	os.WriteFile(filepath.Join(pdir, "hookshop.yaml"), []byte(fmt.Sprintf(webhookChannel, recv.URL)), 0o644)
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners = filepath.Join(dir, "data"), pdir
	var logs bytes.Buffer
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	if strings.Contains(logs.String(), strings.TrimPrefix(secret.Text(), "whsec_")) {
		t.Fatal("secret logged")
	}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), strings.TrimPrefix(secret.Text(), "whsec_")) {
			t.Error("secret logged")
		}
	})
	return g, recv, &logs
}

func receive(t *testing.T, g *Gateway, key string, moves ...ledger.Movement) {
	t.Helper()
	for i := range moves {
		moves[i].SourceKey = fmt.Sprintf("%s/%d", key, i)
	}
	if _, err := g.Ledger.Post(context.Background(), ledger.Document{Key: key, Movements: moves}); err != nil {
		t.Fatal(err)
	}
}

func receipt(sku string, n int64) ledger.Movement {
	return ledger.Movement{SKU: sku, Location: "L1", Kind: ledger.KindReceipt, Quantity: n}
}

// TestJSONAdviceOverWebhookFollowsBelief: the channel's belief changes
// only when its webhook answered 2xx: a failing receiver leaves it as it
// was, the outbox retries with backoff under the same webhook-id, and the
// retry that succeeds delivers the figures; a 410 disables the endpoint
// with a WARN, kills the message and changes no belief.
func TestJSONAdviceOverWebhookFollowsBelief(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)}
	g, recv, logs := openWebhookGateway(t, clock)
	ctx := context.Background()
	d := &outbox.Dispatcher{Store: g.Outbox, Senders: map[string]outbox.Sender{webhook.Transport: g.webhookSender()}}
	believes := func() map[string]int64 {
		t.Helper()
		if err := g.Advice.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		b, err := g.Advice.Store.Believes("hookshop")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	advise := func() *broadcast.Result {
		t.Helper()
		res, err := g.Advice.Broadcast(ctx, "hookshop", broadcast.Options{Send: true})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	receive(t, g, "r1", receipt("A", 10), receipt("B", 4))

	// The receiver is down (503): nothing is believed.
	recv.SetStatus(t, 503)
	first := advise()
	if first.JSON == nil || first.X12 != nil {
		t.Fatalf("format json built %d bytes of JSON, %d of X12", len(first.JSON), len(first.X12))
	}
	if _, err := d.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if b := believes(); len(b) != 0 {
		t.Fatalf("the channel believes %v after a failed delivery", b)
	}
	if bc, _ := g.Advice.Store.Get(first.Broadcast.ID); bc.Delivery != broadcast.DeliveryFailed {
		t.Fatalf("delivery %s, want failed", bc.Delivery)
	}
	if n, _ := d.SendDue(ctx); n != 0 {
		t.Fatalf("%d attempts before the backoff ended", n)
	}

	// Up again: the retry after the backoff delivers.
	recv.SetStatus(t, 204)
	clock.t = clock.t.Add(time.Hour)
	if n, _ := d.SendDue(ctx); n != 1 {
		t.Fatalf("%d attempts after the backoff, want 1", n)
	}
	if b := believes(); !maps.Equal(b, map[string]int64{"A": 10, "B": 4}) {
		t.Fatalf("believes %v after delivery", b)
	}
	reqs := recv.Requests(t)
	if len(reqs) != 2 || reqs[0].ID != reqs[1].ID || reqs[0].Status != 503 || reqs[1].Status != 204 {
		t.Fatalf("requests: %+v", reqs)
	}
	for _, r := range reqs {
		if !r.Verified || r.ContentType != "application/json" || r.Path != "/advice" {
			t.Fatalf("request not verified by the receiver: %+v", r)
		}
	}
	var doc mapping.AdviceDocument
	if err := json.Unmarshal([]byte(reqs[1].Body), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, it := range doc.Data.Items {
		if it.Qualifier != "VN" || it.Unit != "EA" {
			t.Fatalf("item %+v", it)
		}
		got[it.ID] = it.Available
	}
	if doc.Type != mapping.AdviceEventType || doc.Data.Mode != "full" || !maps.Equal(got, map[string]int64{"A": 10, "B": 4}) {
		t.Fatalf("advice %+v", doc)
	}

	// The receiver is gone (410): the endpoint is disabled, the channel
	// keeps what it was told.
	receive(t, g, "r2", receipt("A", 5))
	recv.SetStatus(t, 410)
	gone := advise()
	d.SendDue(ctx)
	if b := believes(); !maps.Equal(b, map[string]int64{"A": 10, "B": 4}) {
		t.Fatalf("believes %v after a 410", b)
	}
	m, _ := g.Outbox.Get(gone.Broadcast.Outbox[0])
	if m.State != outbox.Dead {
		t.Fatalf("message after 410: %s", m.State)
	}
	if _, off := g.Webhooks.Disabled(webhook.PartnerEndpoint("hookshop"), recv.URL+"/advice"); !off {
		t.Fatal("the endpoint is not disabled")
	}
	if !strings.Contains(logs.String(), "level=WARN msg=\"webhook endpoint disabled") {
		t.Fatalf("no operator alert:\n%s", logs.String())
	}
	// Disabled: the next advice is not even attempted.
	receive(t, g, "r3", receipt("B", 1))
	advise()
	d.SendDue(ctx)
	if n := len(recv.Requests(t)); n != 3 {
		t.Fatalf("%d requests, want 3: a disabled endpoint gets none", n)
	}
	// Enabled again: the next advice carries everything the channel may
	// not agree with.
	g.Webhooks.Enable(webhook.PartnerEndpoint("hookshop"))
	recv.SetStatus(t, 200)
	advise()
	d.SendDue(ctx)
	if b := believes(); !maps.Equal(b, map[string]int64{"A": 15, "B": 5}) {
		t.Fatalf("believes %v after re-enabling", b)
	}
}

// TestChangeStreamSubscriberFromConfiguration: a subscriber of the
// configuration gets the ledger's changes as signed webhooks (verified by
// the Python receiver), in order, with the CloudEvent as the body; the
// API's operations see it.
func TestChangeStreamSubscriberFromConfiguration(t *testing.T) {
	secret := stdwebhooks.NewSecret()
	recv := whtest.Start(t, secret.Text())
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "erp.whsec")
	os.WriteFile(secretFile, []byte(secret.Text()), 0o600)
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners = filepath.Join(dir, "data"), filepath.Join(dir, "partners")
	writeSupplier(t, cfg.Partners)
	cfg.Webhooks.Subscribers = []WebhookSubscriberConfig{
		{Name: "erp", URL: recv.URL + "/stock", SecretFile: secretFile, FromStart: true, Kinds: []string{"receipt"}}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.serveWebhooks(ctx) }()
	defer func() { cancel(); <-done }()
	receive(t, g, "r1", receipt("A", 3), receipt("B", 2))
	receive(t, g, "s1", ledger.Movement{SKU: "A", Location: "L1", Kind: ledger.KindShipment, Quantity: 1}) // filtered out
	receive(t, g, "r2", receipt("A", 4))
	var reqs []whtest.Request
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && len(reqs) < 3; time.Sleep(20 * time.Millisecond) {
		reqs = recv.Requests(t)
	}
	var ids []string
	for _, r := range reqs {
		if !r.Verified || r.Status != 200 || r.ContentType != "application/cloudevents+json" {
			t.Fatalf("request %+v", r)
		}
		ev, err := stream.Unmarshal([]byte(r.Body))
		if err != nil || ev.ID != r.ID {
			t.Fatalf("body: %v", err)
		}
		ids = append(ids, r.ID)
	}
	if want := []string{"1-0", "1-1", "3-0"}; !slices.Equal(ids, want) {
		t.Fatalf("ids %v, want %v", ids, want)
	}
	ops := webhooks.Operations{Manager: g.subscribers, Endpoints: g.Webhooks}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		st, err := ops.Subscribers(context.Background())
		if err != nil || len(st) != 1 {
			t.Fatalf("statuses %v %v", st, err)
		}
		if st[0].Confirmed == 3 && st[0].Behind == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %+v", st[0])
		}
	}
}

func TestWebhookSubscriberConfigRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		sub  WebhookSubscriberConfig
		want string
	}{
		{"bad name", WebhookSubscriberConfig{Name: "a b", URL: "https://x.example", SecretEnv: "X"}, "name"},
		{"bad url", WebhookSubscriberConfig{Name: "a", URL: "ftp://x", SecretEnv: "X"}, "url"},
		{"credentials in url", WebhookSubscriberConfig{Name: "a", URL: "https://u:p@x.example", SecretEnv: "X"}, "url"},
		{"no secret", WebhookSubscriberConfig{Name: "a", URL: "https://x.example"}, "secret_env and secret_file"},
		{"two secrets", WebhookSubscriberConfig{Name: "a", URL: "https://x.example", SecretEnv: "X", SecretFile: "f"}, "secret_env and secret_file"},
		{"timeout", WebhookSubscriberConfig{Name: "a", URL: "https://x.example", SecretEnv: "X", Timeout: time.Hour}, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Webhooks.Subscribers = []WebhookSubscriberConfig{tc.sub}
			if err := cfg.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check: %v, want %q", err, tc.want)
			}
		})
	}
	cfg := DefaultConfig()
	cfg.Data = t.TempDir()
	cfg.Partners = t.TempDir()
	writeSupplier(t, cfg.Partners)
	cfg.Webhooks.Subscribers = []WebhookSubscriberConfig{{Name: "a", URL: "https://x.example", SecretEnv: "DOCKSIDE_TEST_UNSET_SECRET"}}
	if _, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err == nil || !strings.Contains(err.Error(), "DOCKSIDE_TEST_UNSET_SECRET is not set") {
		t.Fatalf("Open with an unset secret: %v", err)
	}
}

// writeSupplier writes a minimal partner profile into dir.
func writeSupplier(t *testing.T, dir string) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "maker.yaml"), []byte("id: maker\nname: Maker\nrole: supplier\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
