package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/internal/stdwebhooks"
	"github.com/dockside-edi/dockside/internal/whtest"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/partners"
)

// partnerHookProfile is a partner with events whose warehouse map gives
// it one location; %s is its webhook section (or nothing).
const partnerHookProfile = `id: %[1]s
name: %[1]s
role: %[2]s
tables:
  wh: {map: {"%[3]s": "%[4]s"}}
  items: {map: {"%[1]s-ITEM-A": "A"}}
events:
  source: urn:%[1]s:wms
  warehouses: wh
  items: items
%[5]s`

func partnerHookWebhook(url string) string {
	return fmt.Sprintf("  webhook: {url: %q, secret_file: hook.whsec, from_start: true}\n", url)
}

// writePartnerHook writes a partner's profile (and its secret) into dir.
func writePartnerHook(t *testing.T, dir, id, role, code, loc, hook string, secret stdwebhooks.Secret) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, id+".whsec"), []byte(secret.Text()), 0o600); err != nil {
		t.Fatal(err)
	}
	hook = strings.ReplaceAll(hook, "hook.whsec", id+".whsec")
	if err := os.WriteFile(filepath.Join(dir, id+".yaml"), []byte(fmt.Sprintf(partnerHookProfile, id, role, code, loc, hook)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// postAs posts one document of partner (its key and order) to the ledger.
func postAs(t *testing.T, g *Gateway, partner, key, order string, moves ...ledger.Movement) {
	t.Helper()
	for i := range moves {
		moves[i].SourceKey = fmt.Sprintf("%s/%d", key, i)
		moves[i].Reference = ledger.Reference{Partner: partner, DocumentType: "events", Order: order}
		if moves[i].Kind == ledger.KindAdjust {
			moves[i].Reason = "counted by " + partner
		}
	}
	if _, err := g.Ledger.Post(context.Background(), ledger.Document{Key: key, Movements: moves}); err != nil {
		t.Fatal(err)
	}
}

func move(kind ledger.Kind, sku, loc string, n int64) ledger.Movement {
	return ledger.Movement{SKU: sku, Location: loc, Kind: kind, Quantity: n}
}

// events returns the events a receiver accepted, checking each signature
// (verified by the receiver's Python hmac) and that no raw body names
// anything in forbidden.
func acceptedEvents(t *testing.T, r *whtest.Receiver, forbidden []string) []stream.Event {
	t.Helper()
	var out []stream.Event
	for _, q := range r.Requests(t) {
		if !q.Verified {
			t.Fatalf("request %s failed the signature check", q.ID)
		}
		for _, f := range forbidden {
			if strings.Contains(q.Body, f) {
				t.Fatalf("event %s names %q: %s", q.ID, f, q.Body)
			}
		}
		if q.Status/100 != 2 {
			continue
		}
		ev, err := stream.Unmarshal([]byte(q.Body))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestPartnerSubscriptionsScoped: two partners subscribe to the change
// stream in their profiles (events.webhook); postings come from both
// and from a third partner. Each receiver (a real loopback server that
// verifies the signatures with Python's hmac) gets only the events at
// its own location, in its own codes, and no field naming another
// partner or its documents, orders or reasons; its own references stay.
// A reload adding and removing a subscription takes effect.
func TestPartnerSubscriptionsScoped(t *testing.T) {
	northSecret, southSecret := stdwebhooks.NewSecret(), stdwebhooks.NewSecret()
	northRecv, southRecv := whtest.Start(t, northSecret.Text()), whtest.Start(t, southSecret.Text())
	dir := t.TempDir()
	pdir := filepath.Join(dir, "partners")
	writePartnerHook(t, pdir, "north", "3pl", "N-DAL", "DAL", partnerHookWebhook(northRecv.URL+"/north"), northSecret)
	writePartnerHook(t, pdir, "south", "supplier", "S-ATL", "ATL", "", southSecret) // subscribes after a reload
	writePartnerHook(t, pdir, "shop", "customer", "SH-X", "DAL", "", stdwebhooks.NewSecret())
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners = filepath.Join(dir, "data"), pdir
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.serveWebhooks(ctx) }()
	defer func() { cancel(); <-done }()

	postAs(t, g, "north", "north|events|urn:north:wms|N-RCV-1", "", move(ledger.KindReceipt, "A", "DAL", 10), move(ledger.KindReceipt, "B", "ATL", 7))
	postAs(t, g, "south", "south|events|urn:south:wms|S-RCV-1", "", move(ledger.KindReceipt, "A", "ATL", 5), move(ledger.KindAdjust, "A", "ATL", -1))
	postAs(t, g, "shop", "shop|events|urn:shop:wms|SHOP-DOC-1", "SHOP-ORDER-1", move(ledger.KindAllocate, "A", "DAL", 2), move(ledger.KindAllocate, "A", "ATL", 1))
	postAs(t, g, "", "operator|adjust|OPS-7", "", move(ledger.KindAdjust, "A", "DAL", 1), move(ledger.KindAdjust, "A", "HOU", 9))

	// Other partners' documents, orders and reasons; never in north's events.
	notNorth := []string{"south", "S-RCV-1", "shop", "SHOP-", "OPS-7", "operator", "ATL", "HOU", "S-ATL"}
	notSouth := []string{"north", "N-RCV-1", "shop", "SHOP-", "OPS-7", "operator", "DAL", "HOU", "N-DAL"}

	// North: its receipt at DAL (its own, references kept), the shop's
	// allocation and the operator's adjustment at DAL (references removed).
	waitUntil(t, "north's events", func() bool { return len(acceptedEvents(t, northRecv, notNorth)) >= 3 })
	got := acceptedEvents(t, northRecv, notNorth)
	var ids []string
	for _, ev := range got {
		ids = append(ids, ev.ID)
		if ev.Data.Location != "DAL" || ev.Data.LocationCode != "N-DAL" || ev.Data.Item != "north-ITEM-A" {
			t.Errorf("north: %s at %s (%s) item %q", ev.ID, ev.Data.Location, ev.Data.LocationCode, ev.Data.Item)
		}
	}
	if want := "1-0 3-0 4-0"; strings.Join(ids, " ") != want {
		t.Fatalf("north got %v, want %s", ids, want)
	}
	if d := got[0].Data; d.Partner != "north" || d.Document != "north|events|urn:north:wms|N-RCV-1" || d.DocumentType != "events" {
		t.Errorf("north's own references removed: %+v", d)
	}
	if d := got[1].Data; d.Partner != "" || d.Document != "" || d.Order != "" || d.Kind != "allocate" || d.Balance.Allocated != 2 {
		t.Errorf("the shop's allocation: %+v", d)
	}
	if d := got[2].Data; d.Reason != "" || d.Document != "" {
		t.Errorf("the operator's adjustment: %+v", d)
	}
	if len(southRecv.Requests(t)) != 0 {
		t.Fatal("south got events before it subscribed")
	}

	// A reload: south subscribes (from the start), north unsubscribes.
	writePartnerHook(t, pdir, "south", "supplier", "S-ATL", "ATL", partnerHookWebhook(southRecv.URL+"/south"), southSecret)
	writePartnerHook(t, pdir, "north", "3pl", "N-DAL", "DAL", "", northSecret)
	if err := g.ReloadPartners(); err != nil {
		t.Fatal(err)
	}
	postAs(t, g, "north", "north|events|urn:north:wms|N-RCV-2", "", move(ledger.KindReceipt, "A", "DAL", 1), move(ledger.KindReceipt, "A", "ATL", 1))
	waitUntil(t, "south's events", func() bool { return len(acceptedEvents(t, southRecv, notSouth)) >= 5 })
	ids = nil
	for _, ev := range acceptedEvents(t, southRecv, notSouth) {
		ids = append(ids, ev.ID)
		if ev.Data.Location != "ATL" || ev.Data.LocationCode != "S-ATL" || ev.Data.Item != "" && ev.Data.Item != "south-ITEM-A" {
			t.Errorf("south: %s at %s (%s) item %q", ev.ID, ev.Data.Location, ev.Data.LocationCode, ev.Data.Item)
		}
		if ev.Data.Partner == "south" {
			if ev.Data.Document != "south|events|urn:south:wms|S-RCV-1" || (ev.Data.Kind == "adjust" && ev.Data.Reason != "counted by south") {
				t.Errorf("south's own references removed: %+v", ev.Data)
			}
		} else if ev.Data.Partner != "" || ev.Data.Document != "" || ev.Data.Order != "" {
			t.Errorf("south sees another's references: %+v", ev.Data)
		}
	}
	if want := "1-1 2-0 2-1 3-1 5-1"; strings.Join(ids, " ") != want {
		t.Fatalf("south got %v, want %s", ids, want)
	}
	if n := len(acceptedEvents(t, northRecv, notNorth)); n != 3 {
		t.Fatalf("north, unsubscribed by the reload, has %d events", n)
	}
	st, err := g.subscribers.Statuses(ctx)
	if err != nil || len(st) != 1 || st[0].Name != "partner.south" || !strings.Contains(st[0].Filter, "partner south") {
		t.Fatalf("statuses %+v %v", st, err)
	}
}

// TestPartnerSubscriptionRefused: every events.webhook setting is
// enforced or refused when the profiles load.
func TestPartnerSubscriptionRefused(t *testing.T) {
	secret := stdwebhooks.NewSecret()
	for _, tc := range []struct {
		name, role, hook, want string
	}{
		{"a channel", "channel", "  webhook: {url: http://127.0.0.1:1, secret_file: hook.whsec}\n", "role 3pl or supplier"},
		{"a customer", "customer", "  webhook: {url: http://127.0.0.1:1, secret_file: hook.whsec}\n", "role 3pl or supplier"},
		{"another's location", "3pl", "  webhook: {url: http://127.0.0.1:1, secret_file: hook.whsec, locations: [ATL]}\n", "not one of the partner's locations"},
		{"bad kind", "3pl", "  webhook: {url: http://127.0.0.1:1, secret_file: hook.whsec, kinds: [teleport]}\n", "events.webhook.kinds[0]"},
		{"no secret", "3pl", "  webhook: {url: http://127.0.0.1:1}\n", "secret_env or secret_file"},
		{"bad url", "3pl", "  webhook: {url: ftp://x, secret_file: hook.whsec}\n", "events.webhook.url"},
		{"unknown key", "3pl", "  webhook: {url: http://127.0.0.1:1, secret_file: hook.whsec, channels: [x]}\n", "channels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writePartnerHook(t, dir, "p", tc.role, "P-DAL", "DAL", tc.hook, secret)
			_, err := partners.Load(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v, want %q", err, tc.want)
			}
		})
	}
	// No location of its own: neither fulfils nor a warehouse map.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.whsec"), []byte(secret.Text()), 0o600)
	os.WriteFile(filepath.Join(dir, "p.yaml"), []byte("id: p\nname: P\nrole: 3pl\nevents:\n  source: urn:p\n  webhook: {url: http://127.0.0.1:1, secret_file: p.whsec}\n"), 0o644)
	if _, err := partners.Load(dir); err == nil || !strings.Contains(err.Error(), "no locations of its own") {
		t.Fatalf("Load: %v", err)
	}
}
