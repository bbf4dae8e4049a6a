package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/web"
)

// Events tokens of the test partners (their SHA-256 go in the profiles).
const (
	acmeEventsToken = "acme-events-token-0123456789"
	shopEventsToken = "shopmart-events-token-0123456789"
)

// enableEvents adds an events section to the copied example profiles of
// acme-3pl and shopmart and reloads them.
func enableEvents(t *testing.T, g *Gateway, partnersDir, onError string) {
	t.Helper()
	add := func(file, section string) {
		p := filepath.Join(partnersDir, file)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, []byte("\n"+section)...)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	add("acme-3pl.yaml", fmt.Sprintf("events:\n  source: urn:acme:wms\n  token_sha256: %s\n  items: acme_items\n  warehouses: acme_warehouses\n  on_error: %s\n  units:\n    convert: {CA: case_packs}\n",
		web.HashToken(acmeEventsToken), onError))
	add("shopmart.yaml", fmt.Sprintf("events:\n  source: urn:shopmart:oms\n  token_sha256: %s\n", web.HashToken(shopEventsToken)))
	if err := g.ReloadPartners(); err != nil {
		t.Fatal(err)
	}
}

// eventsServer serves the gateway's API on loopback; wait is how long a
// POST waits for its message to be processed.
func eventsServer(t *testing.T, g *Gateway, wait time.Duration) *httptest.Server {
	t.Helper()
	srv, err := web.New(web.Deps{Ledger: g.Ledger, Inbox: g.Inbox, Outbox: g.Outbox, Partners: g.Partners, PostEvents: g.PostEvents},
		web.Options{ReplayWait: wait, Timeout: 4 * wait, MaxEventsBytes: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs
}

// runWorkers processes the inbox until the test ends.
func runWorkers(t *testing.T, g *Gateway) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.RunWorkers(ctx, 2)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

type eventsReply struct {
	status int
	raw    string
	body   struct {
		Message    uint64   `json:"message"`
		State      string   `json:"state"`
		Posted     int      `json:"posted"`
		Duplicates int      `json:"duplicates"`
		Repeated   []string `json:"repeated"`
		Errors     []struct {
			Field, Code, Message string
		} `json:"errors"`
		Error *struct{ Code, Message string } `json:"error"`
	}
}

func postEvents(t *testing.T, hs *httptest.Server, token, key, body string) eventsReply {
	t.Helper()
	req, _ := http.NewRequest("POST", hs.URL+"/api/v1/events", strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	req.Header.Set("Content-Type", "application/cloudevents-batch+json")
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := eventsReply{status: resp.StatusCode, raw: string(b)}
	json.Unmarshal(b, &r.body)
	return r
}

// acmeEvent is an event of acme-3pl's source.
func acmeEvent(id, kind, data string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"urn:acme:wms","type":"dockside.inventory.%s","time":"2026-12-05T09:00:00Z","data":{%s}}`, id, kind, data)
}

func batch(evs ...string) string { return "[" + strings.Join(evs, ",") + "]" }

func TestEventsOverHTTP(t *testing.T) {
	g, dir := openTest(t, nil)
	enableEvents(t, g, dir, "reject")
	runWorkers(t, g)
	hs := eventsServer(t, g, 5*time.Second)

	first := batch(
		acmeEvent("r1", "receipt", `"item":"AC-1001","location_code":"DAL1","quantity":2,"unit":"CA","reference":"PO-1"`),
		acmeEvent("a1", "adjustment", `"sku":"WIDGET-RED","location":"dallas","quantity":-4,"reason":"cycle count"`),
		acmeEvent("s1", "status", `"sku":"WIDGET-RED","location":"dallas","quantity":3,"from":"available","to":"damaged"`),
		acmeEvent("v1", "reservation", `"sku":"WIDGET-RED","location":"dallas","quantity":5,"order":"SO-1"`),
	)
	r := postEvents(t, hs, acmeEventsToken, "", first)
	if r.status != http.StatusOK || r.body.State != "done" || r.body.Posted != 4 || r.body.Duplicates != 0 {
		t.Fatalf("first batch: %d %s", r.status, r.raw)
	}
	want := func(onHand, damaged, allocated int64) {
		t.Helper()
		b := balance(t, g, "WIDGET-RED", "dallas")
		if b.OnHand != onHand || b.Damaged != damaged || b.Allocated != allocated {
			t.Fatalf("WIDGET-RED@dallas %+v, want on_hand %d damaged %d allocated %d", b, onHand, damaged, allocated)
		}
	}
	want(20, 3, 5)

	// The same events again (another body: one more event, reordered):
	// duplicates, named, nothing changes but the new event.
	again := batch(
		acmeEvent("s1", "status", `"sku":"WIDGET-RED","location":"dallas","quantity":3,"from":"available","to":"damaged"`),
		acmeEvent("r1", "receipt", `"item":"AC-1001","location_code":"DAL1","quantity":2,"unit":"CA","reference":"PO-1"`),
		acmeEvent("r2", "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":1`),
	)
	r = postEvents(t, hs, acmeEventsToken, "", again)
	if r.status != http.StatusOK || r.body.Posted != 1 || r.body.Duplicates != 2 || strings.Join(r.body.Repeated, ",") != "s1,r1" {
		t.Fatalf("repeated events: %d %s", r.status, r.raw)
	}
	want(21, 3, 5)
	// The same bytes again: the inbox's duplicate, not processed.
	if r = postEvents(t, hs, acmeEventsToken, "", first); r.status != http.StatusOK || r.body.State != "duplicate" {
		t.Fatalf("same body again: %d %s", r.status, r.raw)
	}
	want(21, 3, 5)

	good := acmeEvent("g1", "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":100`)
	var huge strings.Builder
	huge.WriteString("[")
	for i := range 10_001 {
		if i > 0 {
			huge.WriteString(",")
		}
		huge.WriteString(acmeEvent(fmt.Sprint("h", i), "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":1`))
	}
	huge.WriteString("]")
	bad := []struct {
		name, token, body string
		status            int
		field, msg        string
	}{
		{"missing quantity", acmeEventsToken, batch(good, acmeEvent("b1", "receipt", `"sku":"WIDGET-RED","location":"dallas"`)), 422, "events[1].data.quantity", "required"},
		{"missing id", acmeEventsToken, batch(good, strings.Replace(acmeEvent("", "receipt", `"sku":"X","location":"dallas","quantity":1`), `"id":"",`, "", 1)), 422, "events[1].id", "required"},
		{"unknown SKU", acmeEventsToken, batch(good, acmeEvent("b2", "receipt", `"item":"AC-9999","location":"dallas","quantity":1`)), 422, "events[1].data.item", `"AC-9999": not found in table "acme_items"`},
		{"unknown location", acmeEventsToken, batch(good, acmeEvent("b3", "receipt", `"sku":"WIDGET-RED","location_code":"XX9","quantity":1`)), 422, "events[1].data.location_code", "not found"},
		{"wrong type", acmeEventsToken, batch(good, acmeEvent("b4", "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":"5"`)), 422, "events[1].data.quantity", "must be a JSON number"},
		{"negative quantity", acmeEventsToken, batch(good, acmeEvent("b5", "shipment", `"sku":"WIDGET-RED","location":"dallas","quantity":-5`)), 422, "events[1].data.quantity", "must be a positive integer"},
		{"unknown event type", acmeEventsToken, batch(good, acmeEvent("b6", "teleport", `"sku":"WIDGET-RED","location":"dallas","quantity":5`)), 422, "events[1].type", "not an event type"},
		{"invalid JSON", acmeEventsToken, `[` + good + `,{"id":`, 422, "", "invalid JSON at line 1"},
		{"huge batch", acmeEventsToken, huge.String(), 422, "", "10001 events in one batch: at most 10000"},
		{"another partner's source", shopEventsToken, batch(strings.Replace(good, "urn:acme:wms", "urn:acme:wms", 1)), 422, "events[0].source", "not partner shopmart's event source"},
		{"wrong token", "not-a-token", batch(good), 401, "", ""},
		{"no token", "", batch(good), 401, "", ""},
		{"API token is not a partner token", "dks_whatever", batch(good), 401, "", ""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := g.Inbox.List(inbox.Filter{Limit: 1000})
			r := postEvents(t, hs, tt.token, "", tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %.400s", r.status, tt.status, r.raw)
			}
			want(21, 3, 5) // nothing posted, the good event included
			after, _ := g.Inbox.List(inbox.Filter{Limit: 1000})
			if tt.status == 401 {
				if len(after) != len(before) || strings.Contains(r.raw, tt.token) && tt.token != "" {
					t.Fatalf("refused request landed in the inbox or echoed its token: %s", r.raw)
				}
				return
			}
			if r.body.State != "failed" || r.body.Error == nil || r.body.Error.Code != "invalid_events" {
				t.Fatalf("not a failed message: %s", r.raw)
			}
			for _, e := range r.body.Errors {
				if e.Field == tt.field && strings.Contains(e.Message, tt.msg) {
					m, err := g.Inbox.Get(r.body.Message)
					if err != nil || m.State != inbox.Failed || m.Meta["kind"] != "events" {
						t.Fatalf("message %d: %v %+v", r.body.Message, err, m)
					}
					return
				}
			}
			t.Fatalf("no error %s: %q in %.600s", tt.field, tt.msg, r.raw)
		})
	}
}

func TestEventsPostGood(t *testing.T) {
	g, dir := openTest(t, nil)
	enableEvents(t, g, dir, "post_good")
	runWorkers(t, g)
	hs := eventsServer(t, g, 5*time.Second)
	r := postEvents(t, hs, acmeEventsToken, "", batch(
		acmeEvent("g1", "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":7`),
		acmeEvent("b1", "receipt", `"item":"AC-9999","location":"dallas","quantity":1`),
		acmeEvent("b2", "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":0`),
	))
	if r.status != http.StatusOK || r.body.State != "failed" || r.body.Posted != 1 || len(r.body.Errors) != 2 ||
		r.body.Errors[0].Field != "events[2].data.quantity" || r.body.Errors[1].Field != "events[1].data.item" {
		t.Fatalf("post_good: %d %s", r.status, r.raw)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 7 {
		t.Fatalf("balance %+v", b)
	}
}

// TestEventsIdempotencyKey: the IETF draft's semantics: 409 while the
// first request is in flight, the first outcome for a retry, 422 for the
// key with another body.
func TestEventsIdempotencyKey(t *testing.T) {
	g, dir := openTest(t, nil)
	enableEvents(t, g, dir, "reject")
	hs := eventsServer(t, g, 300*time.Millisecond) // no workers yet: the first request is still in flight when it answers
	body := batch(acmeEvent("k1", "receipt", `"sku":"WIDGET-RED","location":"dallas","quantity":3`))
	r := postEvents(t, hs, acmeEventsToken, `"key-1"`, body)
	if r.status != http.StatusAccepted || r.body.State != "received" {
		t.Fatalf("first: %d %s", r.status, r.raw)
	}
	id := r.body.Message
	if r = postEvents(t, hs, acmeEventsToken, `"key-1"`, body); r.status != http.StatusConflict || r.body.Error == nil || r.body.Error.Code != "in_flight" {
		t.Fatalf("retry in flight: %d %s", r.status, r.raw)
	}
	if err := g.Drain(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if r = postEvents(t, hs, acmeEventsToken, `"key-1"`, body); r.status != http.StatusOK || r.body.Message != id || r.body.Posted != 1 {
		t.Fatalf("retry after: %d %s", r.status, r.raw)
	}
	if r = postEvents(t, hs, acmeEventsToken, "key-1", body+" "); r.status != http.StatusUnprocessableEntity || r.body.Error.Code != "idempotency_key_reused" {
		t.Fatalf("other body: %d %s", r.status, r.raw)
	}
	// Another partner's key of the same name is its own.
	shop := strings.ReplaceAll(body, "urn:acme:wms", "urn:shopmart:oms")
	if r = postEvents(t, hs, shopEventsToken, "key-1", shop); r.status != http.StatusAccepted || r.body.Message == id {
		t.Fatalf("another partner's key: %d %s", r.status, r.raw)
	}
	if b := balance(t, g, "WIDGET-RED", "dallas"); b.OnHand != 3 {
		t.Fatalf("balance %+v", b)
	}
}

func TestEventsSchemaServed(t *testing.T) {
	g, _ := openTest(t, nil)
	hs := eventsServer(t, g, time.Second)
	resp, err := hs.Client().Get(hs.URL + "/api/v1/events/schema")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct {
		ID string `json:"$id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != 200 || s.ID != "/api/v1/events/schema" {
		t.Fatalf("schema: %d %v %+v", resp.StatusCode, err, s)
	}
}
