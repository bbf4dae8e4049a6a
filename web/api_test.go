package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/outbox"
)

func TestStock(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var all stockPage
	f.get("/api/v1/stock", &all)
	if len(all.Balances) != 5 || all.NextCursor != "" {
		t.Fatalf("%d balances, cursor %q", len(all.Balances), all.NextCursor)
	}
	// Paging two at a time gives the same balances in the same order.
	var paged []balanceView
	cursor := ""
	for range 10 {
		var p stockPage
		f.get("/api/v1/stock?limit=2&cursor="+cursor, &p)
		paged = append(paged, p.Balances...)
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if fmt.Sprint(paged) != fmt.Sprint(all.Balances) {
		t.Errorf("paged %v\nall   %v", paged, all.Balances)
	}
	var red stockPage
	f.get("/api/v1/stock?sku_prefix=WIDGET-R&location=dallas", &red)
	if len(red.Balances) != 1 || red.Balances[0].SKU != "WIDGET-RED" || red.Balances[0].OnHand != 290 || red.Balances[0].Available != 290 {
		t.Errorf("filtered: %+v", red.Balances)
	}
	for _, bad := range []string{"limit=0", "limit=1001", "limit=x", "cursor=***", "cursor=bm9udWw"} {
		rec := f.do(request{target: "/api/v1/stock?" + bad, token: roSecret})
		if rec.Code != http.StatusBadRequest || decode[apiErrorBody](t, rec).Error.Param == "" {
			t.Errorf("%s: %d %s", bad, rec.Code, rec.Body)
		}
	}
}

func TestAvailability(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var a availability
	f.get("/api/v1/availability/WIDGET-RED", &a)
	if len(a.Locations) != 2 || a.Total.Available != 310 {
		t.Fatalf("%+v", a)
	}
	if len(a.Channels) != 1 {
		t.Fatalf("channels %+v", a.Channels)
	}
	ch := a.Channels[0]
	// Shopmart: 80% of (dallas + reno − 2 safety), at most 500: 80% of 308 = 246.
	// It was told 206 before Dallas received 50 more.
	if ch.Partner != "shopmart" || !ch.Listed || ch.Item != "012345678905" || ch.Quantity != 246 ||
		ch.Told == nil || *ch.Told != 206 || ch.Divergence != -40 {
		t.Errorf("channel %+v (told %v)", ch, ch.Told)
	}
	// A SKU the channel does not list, and a SKU never seen.
	f.get("/api/v1/availability/GADGET-L", &a)
	if a.Channels[0].Listed || a.Total.OnHand != 7 {
		t.Errorf("GADGET-L: %+v", a)
	}
	// A SKU the ledger has never seen is not "zero available": 404.
	if rec := f.do(request{target: "/api/v1/availability/NOPE", token: roSecret}); rec.Code != http.StatusNotFound ||
		!strings.Contains(rec.Body.String(), `"not_found"`) || !strings.Contains(rec.Body.String(), "NOPE") {
		t.Errorf("unknown SKU: %d %s", rec.Code, rec.Body)
	}
	// Nor is a SKU only at other locations than the filter's: that is zero there.
	f.get("/api/v1/availability/GADGET-S?location=dallas", &a)
	if len(a.Locations) != 0 || a.Total.Available != 0 {
		t.Errorf("GADGET-S at dallas: %+v", a)
	}
	f.get("/api/v1/availability/WIDGET-RED?location=reno", &a)
	if len(a.Locations) != 1 || a.Total.Available != 20 || a.Channels[0].Quantity != 246 {
		t.Errorf("location filter: %+v", a)
	}
}

func TestHistory(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var h historyPage
	f.get("/api/v1/history/WIDGET-RED?location=dallas", &h)
	if len(h.Movements) != 3 || h.Movements[0].Kind != "receipt" || h.Movements[0].Document != "later" {
		t.Fatalf("%+v", h.Movements)
	}
	var p1, p2 historyPage
	f.get("/api/v1/history/WIDGET-RED?limit=2", &p1)
	if len(p1.Movements) != 2 || p1.NextBefore == 0 {
		t.Fatalf("page 1: %+v", p1)
	}
	f.get(fmt.Sprintf("/api/v1/history/WIDGET-RED?limit=2&before=%d", p1.NextBefore), &p2)
	if len(p2.Movements) != 2 || p2.Movements[0].ID == p1.Movements[1].ID {
		t.Errorf("page 2: %+v", p2)
	}
	if rec := f.do(request{target: "/api/v1/history/WIDGET-RED?before=-1", token: roSecret}); rec.Code != http.StatusBadRequest {
		t.Errorf("bad before: %d", rec.Code)
	}
}

func reserve(f *fixture, key, body string) (int, []byte, http.Header) {
	h := map[string]string{"Content-Type": "application/json"}
	if key != "" {
		h["Idempotency-Key"] = key
	}
	rec := f.do(request{method: "POST", target: "/api/v1/reservations", token: opSecret, header: h, body: body})
	return rec.Code, rec.Body.Bytes(), rec.Header()
}

func TestReservations(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	body := `{"sku":"WIDGET-BLUE","location":"dallas","quantity":3,"order":"PO-1","channel":"shopmart"}`
	code, out, h := reserve(f, "r-1", body)
	if code != http.StatusCreated || h.Get("Location") != "/api/v1/reservations/r-1" {
		t.Fatalf("first: %d %s", code, out)
	}
	// A retry with the same key changes nothing and says so.
	code, out, h = reserve(f, "r-1", body)
	if code != http.StatusOK || h.Get("Idempotent-Replayed") != "true" || !bytes.Contains(out, []byte(`"replayed": true`)) {
		t.Fatalf("retry: %d %s", code, out)
	}
	var bal availability
	f.get("/api/v1/availability/WIDGET-BLUE", &bal)
	if bal.Total.Allocated != 3 || bal.Total.Available != 2 {
		t.Fatalf("after a retried reservation: allocated %d, available %d", bal.Total.Allocated, bal.Total.Available)
	}
	// Not enough: 409 with what is available.
	code, out, _ = reserve(f, "r-2", `{"sku":"WIDGET-BLUE","location":"dallas","quantity":5}`)
	if code != http.StatusConflict || !bytes.Contains(out, []byte(`"available": 2`)) || !bytes.Contains(out, []byte(`"requested": 5`)) {
		t.Errorf("insufficient: %d %s", code, out)
	}
	code, out, _ = reserve(f, "r-1", `{"sku":"WIDGET-BLUE","location":"dallas","quantity":1,"order":"PO-1"}`)
	if code != http.StatusUnprocessableEntity {
		t.Errorf("key reused: %d %s", code, out)
	}
	for name, tc := range map[string]struct{ key, body, param string }{
		"no key":        {"", body, "Idempotency-Key"},
		"key too long":  {strings.Repeat("k", 201), body, "Idempotency-Key"},
		"no sku":        {"r-3", `{"location":"dallas","quantity":1}`, "body.sku"},
		"no location":   {"r-3", `{"sku":"A","quantity":1}`, "body.location"},
		"zero":          {"r-3", `{"sku":"A","location":"dallas","quantity":0}`, "body.quantity"},
		"unknown field": {"r-3", `{"sku":"A","location":"dallas","quantity":1,"price":3}`, "body"},
		"not json":      {"r-3", `sku=A`, "body"},
		"two objects":   {"r-3", `{"sku":"A","location":"d","quantity":1}{}`, "body"},
		"channel":       {"r-3", `{"sku":"A","location":"d","quantity":1,"channel":"nobody"}`, "body.channel"},
	} {
		code, out, _ := reserve(f, tc.key, tc.body)
		if code != http.StatusBadRequest || !bytes.Contains(out, []byte(`"param": "`+tc.param+`"`)) {
			t.Errorf("%s: %d %s", name, code, out)
		}
	}
	// Release, twice, and an unknown key.
	for range 2 {
		if rec := f.do(request{method: "DELETE", target: "/api/v1/reservations/r-1", token: opSecret}); rec.Code != http.StatusNoContent {
			t.Errorf("release: %d %s", rec.Code, rec.Body)
		}
	}
	f.get("/api/v1/availability/WIDGET-BLUE", &bal)
	if bal.Total.Allocated != 0 || bal.Total.Available != 5 {
		t.Errorf("after release: %+v", bal.Total)
	}
	if rec := f.do(request{method: "DELETE", target: "/api/v1/reservations/nope", token: opSecret}); rec.Code != http.StatusNotFound {
		t.Errorf("unknown key: %d", rec.Code)
	}
}

// TestReservationsRace: concurrent reservations of the last units never
// allocate more than is available.
func TestReservationsRace(t *testing.T) {
	f := newFixture(t, fixtureOptions{opts: Options{RateBurst: 100}})
	var wg sync.WaitGroup
	codes := make([]int, 12)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, _ = reserve(f, fmt.Sprintf("race-%d", i), `{"sku":"GADGET-L","location":"dallas","quantity":2}`)
		}()
	}
	wg.Wait()
	won := 0
	for _, c := range codes {
		switch c {
		case http.StatusCreated:
			won++
		case http.StatusConflict:
		default:
			t.Errorf("status %d", c)
		}
	}
	var a availability
	f.get("/api/v1/availability/GADGET-L", &a)
	if won != 3 || a.Total.Allocated != 6 || a.Total.Available != 1 {
		t.Errorf("%d won, allocated %d, available %d (7 on hand, 2 each)", won, a.Total.Allocated, a.Total.Available)
	}
}

func TestReservationsNotConfigured(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.srv.deps.Reservations = nil
	if code, out, _ := reserve(f, "k", `{"sku":"A","location":"b","quantity":1}`); code != http.StatusNotImplemented {
		t.Errorf("%d %s", code, out)
	}
}

func TestMessagesSearch(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ids := func(q string) string {
		t.Helper()
		var p messagePage
		f.get("/api/v1/messages?"+q, &p)
		var s []string
		for _, m := range p.Messages {
			s = append(s, fmt.Sprint(m.ID))
		}
		if p.NextBefore != 0 {
			s = append(s, fmt.Sprintf("next=%d", p.NextBefore))
		}
		return strings.Join(s, ",")
	}
	since := f.clock.Now().Add(-90 * time.Second).Format(time.RFC3339)
	tests := []struct{ query, want string }{
		{"", "3,2,1"},
		{"partner=acme-3pl", "2,1"},
		{"state=failed", "2"},
		{"doc_type=csv", "3"},
		{"doc_type=x12&state=done", "1"},
		{"control=1002", "2"},
		{"control=000001001", "1"},
		{"q=unknown-item", "2"},
		{"q=846&control=1001", "1"},
		{"since=" + since, "3,2"},
		{"until=" + since, "1"},
		{"limit=2", "3,2,next=2"},
		{"limit=2&before=2", "1"},
		{"partner=nobody", ""},
	}
	for _, tt := range tests {
		if got := ids(tt.query); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.query, got, tt.want)
		}
	}
	for _, bad := range []string{"state=lost", "since=yesterday", "limit=5000", "before=x"} {
		if rec := f.do(request{target: "/api/v1/messages?" + bad, token: roSecret}); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, rec.Code)
		}
	}
}

func TestMessageDetail(t *testing.T) {
	f := newFixture(t, fixtureOptions{opts: Options{MaxRawView: 100}})
	var d messageDetail
	f.get(fmt.Sprintf("/api/v1/messages/%d", f.failedID), &d)
	if d.Message.State != inbox.Failed || !d.CanReplay || len(d.Message.Errors) != 1 {
		t.Fatalf("%+v", d.Message)
	}
	if !d.Raw.Truncated || d.Raw.Shown != 100 || !strings.HasPrefix(d.Raw.Text, "ISA*00*") || d.Raw.URL != "/api/v1/messages/2/raw" {
		t.Errorf("raw %+v", d.Raw)
	}
	if d.Parsed == nil || d.Parsed.Format != "x12" || len(d.Parsed.Segments) != 31 || fmt.Sprint(d.Parsed.Sets) != "[846 0001]" {
		t.Fatalf("parsed %+v", d.Parsed)
	}
	lin := d.Parsed.Segments[15]
	if lin.ID != "LIN" || lin.Line != 16 || lin.SetIndex != 14 || !lin.Flagged || !strings.Contains(lin.Text, "AC-9999") {
		t.Errorf("the LIN the error names: %+v", lin)
	}
	if d.Parsed.Segments[14].Flagged {
		t.Errorf("a segment no error names is flagged")
	}

	f.get(fmt.Sprintf("/api/v1/messages/%d", f.goodID), &d)
	if len(d.Movements) != 1 || d.Movements[0].SKU != "WIDGET-RED" || d.Movements[0].Kind != "snapshot" || d.Movements[0].Delta["on_hand"] != 140 {
		t.Errorf("movements %+v (%s)", d.Movements, d.MoveNote)
	}
	if len(d.Acks) != 1 || d.Acks[0].ID != f.ackID || d.Acks[0].Kind != "997" || d.CanReplay {
		t.Errorf("acks %+v, can replay %v", d.Acks, d.CanReplay)
	}

	f.get(fmt.Sprintf("/api/v1/messages/%d", f.csvID), &d)
	if d.Parsed.Format != "csv" || len(d.Parsed.Rows) == 0 || fmt.Sprint(d.Parsed.Rows[0].Cells) != "[Item No Whse Qty On Hand As Of]" {
		t.Errorf("csv parsed with the profile's ';': %+v", d.Parsed)
	}

	for target, code := range map[string]int{"/api/v1/messages/99": 404, "/api/v1/messages/0": 400, "/api/v1/messages/x": 400} {
		if rec := f.do(request{target: target, token: roSecret}); rec.Code != code {
			t.Errorf("%s: %d, want %d", target, rec.Code, code)
		}
	}
}

func TestMessageRaw(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	rec := f.do(request{target: fmt.Sprintf("/api/v1/messages/%d/raw", f.failedID), token: roSecret})
	body, _ := f.inbox.Body(f.failedID)
	want, _ := io.ReadAll(body)
	body.Close()
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), want) ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), `filename=2-inventory-846-unknown-item.edi`) {
		t.Errorf("%d %q", rec.Code, rec.Header().Get("Content-Disposition"))
	}
	if rec := f.do(request{target: "/api/v1/messages/42/raw", token: roSecret}); rec.Code != http.StatusNotFound {
		t.Errorf("unknown: %d", rec.Code)
	}
}

func TestReplay(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	target := fmt.Sprintf("/api/v1/messages/%d/replay", f.failedID)
	rec := f.do(request{method: "POST", target: target, token: opSecret})
	if m := decode[inbox.Message](t, rec); rec.Code != http.StatusOK || m.State != inbox.Failed || m.Attempts != 2 {
		t.Fatalf("before the fix: %d %+v", rec.Code, m)
	}
	f.fixProfile()
	rec = f.do(request{method: "POST", target: target, token: opSecret})
	if m := decode[inbox.Message](t, rec); rec.Code != http.StatusOK || m.State != inbox.Done {
		t.Fatalf("after the fix: %d %s", rec.Code, rec.Body)
	}
	rec = f.do(request{method: "POST", target: target, token: opSecret})
	if rec.Code != http.StatusConflict || decode[apiErrorBody](t, rec).Error.Code != "wrong_state" {
		t.Errorf("replaying a done message: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(request{method: "POST", target: "/api/v1/messages/77/replay", token: opSecret}); rec.Code != http.StatusNotFound {
		t.Errorf("unknown: %d", rec.Code)
	}
	if !strings.Contains(f.logs.String(), "action=replay") || !strings.Contains(f.logs.String(), "who=ops") {
		t.Errorf("the replay is not in the log with its operator")
	}
	// The audit log has each replay, its outcome and who asked; the
	// message keeps both attempts' outcomes.
	var log auditPage
	f.get("/api/v1/audit?action=replay", &log)
	if len(log.Entries) != 4 || log.Entries[0].Target != "message 77" || log.Entries[0].Error == "" ||
		log.Entries[2].Who != "ops" || !strings.Contains(log.Entries[2].Detail, "done") || log.Entries[3].Error != "" ||
		!strings.Contains(log.Entries[3].Detail, "failed") {
		t.Errorf("audit %+v", log.Entries)
	}
	var d messageDetail
	f.get(fmt.Sprintf("/api/v1/messages/%d", f.failedID), &d)
	if h := d.Message.History; len(h) != 3 || h[0].By != "" || h[0].State != inbox.Failed || h[1].By != "ops" ||
		h[1].State != inbox.Failed || h[1].ErrorCount != 1 || h[2].By != "ops" || h[2].State != inbox.Done {
		t.Errorf("history %+v", h)
	}
}

// TestReplaySlow: a replay that takes longer than ReplayWait answers 202
// with the message still being processed.
func TestReplaySlow(t *testing.T) {
	f := newFixture(t, fixtureOptions{opts: Options{ReplayWait: 20 * time.Millisecond}})
	f.replayDelay = make(chan struct{})
	rec := f.do(request{method: "POST", target: fmt.Sprintf("/api/v1/messages/%d/replay", f.failedID), token: opSecret})
	if m := decode[inbox.Message](t, rec); rec.Code != http.StatusAccepted || m.State != inbox.Processing {
		t.Errorf("%d %+v", rec.Code, m)
	}
}

func TestOutbox(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var p outboxPage
	f.get("/api/v1/outbox", &p)
	if len(p.Messages) != 5 || p.Pending != 1 || p.Dead != 1 {
		t.Fatalf("%d messages, pending %d, dead %d", len(p.Messages), p.Pending, p.Dead)
	}
	f.get("/api/v1/outbox?state=dead", &p)
	if len(p.Messages) != 1 || p.Messages[0].ID != f.deadID || p.Messages[0].LastError == "" {
		t.Errorf("dead: %+v", p.Messages)
	}
	f.get("/api/v1/outbox?ack_state=overdue&partner=shopmart", &p)
	if len(p.Messages) != 1 || p.Messages[0].ID != f.overdueID {
		t.Errorf("overdue: %+v", p.Messages)
	}
	f.get("/api/v1/outbox?kind=997&limit=1", &p)
	if len(p.Messages) != 1 || p.NextBefore == 0 {
		t.Errorf("paged: %+v", p)
	}
	var d outboxDetail
	f.get(fmt.Sprintf("/api/v1/outbox/%d", f.ackID), &d)
	if d.Message.Kind != "997" || !strings.Contains(d.Body, "AK9*A") {
		t.Errorf("detail %+v", d)
	}
	for _, bad := range []string{"state=gone", "ack_state=maybe", "limit=0"} {
		if rec := f.do(request{target: "/api/v1/outbox?" + bad, token: roSecret}); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, rec.Code)
		}
	}
	if rec := f.do(request{target: "/api/v1/outbox/99", token: roSecret}); rec.Code != http.StatusNotFound {
		t.Errorf("unknown: %d", rec.Code)
	}

	rec := f.do(request{method: "POST", target: fmt.Sprintf("/api/v1/outbox/%d/retry", f.deadID), token: opSecret})
	if m := decode[outbox.Message](t, rec); rec.Code != http.StatusOK || m.State != outbox.Queued {
		t.Errorf("retry dead: %d %+v", rec.Code, m)
	}
	rec = f.do(request{method: "POST", target: fmt.Sprintf("/api/v1/outbox/%d/retry", f.ackID), token: opSecret})
	if rec.Code != http.StatusConflict {
		t.Errorf("retry delivered: %d %s", rec.Code, rec.Body)
	}
}

func TestPartnersAPI(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var list struct{ Partners []partnerSummary }
	f.get("/api/v1/partners", &list)
	got := map[string]*partnerHealth{}
	for _, p := range list.Partners {
		got[p.Profile.ID] = p.Health
	}
	if len(got) != 3 {
		t.Fatalf("%v", got)
	}
	if h := got["acme-3pl"]; h.Status != statusFailing || h.Failed != 1 || h.LastMessage == nil || h.LastMessage.ID != f.failedID {
		t.Errorf("acme %+v", h)
	}
	if h := got["shopmart"]; h.Status != statusAttention || h.OverdueAcks != 1 || h.DeadOutbound != 1 || h.LastBroadcast == nil {
		t.Errorf("shopmart %+v", h)
	}
	if h := got["northwind"]; h.Status != statusOK || h.LastMessage == nil || h.LastMessage.ID != f.csvID {
		t.Errorf("northwind %+v", h)
	}
	if d := got["shopmart"].Deliveries; d.Attempted != 3 || d.Failing != 1 || d.LastError == "" {
		t.Errorf("shopmart deliveries %+v", d)
	}
	// Every delivery to Northwind fails (retries scheduled, none dead
	// yet): it is failing, not ok, though nothing it sent failed.
	g := newFixture(t, fixtureOptions{outboxAttempts: 5})
	for i := range 2 {
		if _, err := g.outbox.Enqueue(&outbox.Message{Partner: "northwind", Transport: "sftp_push", Kind: "846", Name: fmt.Sprintf("846-%d.csv", i)}, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	due, err := g.outbox.Due(10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range due {
		if m.Partner == "northwind" {
			if err := g.outbox.Failed(m.ID, errors.New("sftp: connection refused")); err != nil {
				t.Fatal(err)
			}
		}
	}
	g.get("/api/v1/partners", &list)
	for _, p := range list.Partners {
		if p.Profile.ID == "northwind" {
			if h := p.Health; h.Status != statusFailing || h.DeadOutbound != 0 || h.Deliveries.Attempted != 2 || h.Deliveries.Failing != 2 ||
				!strings.Contains(h.Deliveries.LastError, "connection refused") {
				t.Errorf("northwind, every delivery failing: %+v", h)
			}
		}
	}

	var d partnerDetail
	f.get("/api/v1/partners/shopmart", &d)
	if d.Profile.Advice == nil || d.Profile.Advice.Policy.SharePercent != 80 || len(d.Broadcasts) != 1 || len(d.Outbox) != 3 || d.Profile.AS2 != "SHOPMART-AS2" {
		t.Errorf("detail %+v", d)
	}
	rec := f.do(request{target: "/api/v1/partners/acme-3pl", token: roSecret})
	if strings.Contains(rec.Body.String(), "password_hash") || strings.Contains(rec.Body.String(), "AC-1001") {
		t.Errorf("the partner view shows secrets or table content")
	}
	if rec := f.do(request{target: "/api/v1/partners/nobody", token: roSecret}); rec.Code != http.StatusNotFound {
		t.Errorf("unknown partner: %d", rec.Code)
	}
}

func TestBroadcastsAPI(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var bl struct{ Broadcasts []broadcast.Broadcast }
	f.get("/api/v1/broadcasts?partner=shopmart", &bl)
	if len(bl.Broadcasts) != 1 || bl.Broadcasts[0].Items != 3 {
		t.Fatalf("%+v", bl)
	}
	var told struct{ Told map[string]int64 }
	f.get(fmt.Sprintf("/api/v1/broadcasts/%d/told", f.broadcastID), &told)
	if told.Told["WIDGET-RED"] != 206 || len(told.Told) != 3 {
		t.Errorf("told %v", told.Told)
	}
	var believes struct{ Believes map[string]int64 }
	f.get("/api/v1/partners/shopmart/believes", &believes)
	if fmt.Sprint(believes.Believes) != fmt.Sprint(told.Told) {
		t.Errorf("believes %v", believes.Believes)
	}
	if rec := f.do(request{target: "/api/v1/broadcasts/99/told", token: roSecret}); rec.Code != http.StatusNotFound {
		t.Errorf("unknown broadcast: %d", rec.Code)
	}
}

func TestOverviewAPI(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var o overview
	f.get("/api/v1/overview", &o)
	if o.Received24h != 3 || o.Received1h != 3 || o.Failed != 1 || o.Failed24h != 1 || o.FailedByPartner["acme-3pl"] != 1 ||
		o.OverdueAcks != 1 || o.OutboxPending != 1 || o.OutboxDead != 1 || o.LedgerSeq != 3 || len(o.Hours) != 24 ||
		len(o.RecentFailures) != 1 || o.RecentFailures[0].ID != f.failedID {
		t.Errorf("%+v", o)
	}
	if last := o.Hours[23]; last.Received != 3 || last.Failed != 1 {
		t.Errorf("this hour: %+v", last)
	}
}

func TestExports(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	rec := f.do(request{target: "/api/v1/stock.xlsx?sku_prefix=WIDGET", token: roSecret})
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != xlsxType {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	x, err := excelize.OpenReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if sheets := fmt.Sprint(x.GetSheetList()); sheets != "[Stock Channels]" {
		t.Errorf("sheets %s", sheets)
	}
	rows, _ := x.GetRows("Stock")
	if len(rows) != 4 || fmt.Sprint(rows[1]) != "[WIDGET-BLUE dallas 5 0 0 0 0 5]" || fmt.Sprint(rows[2][:3]) != "[WIDGET-RED dallas 290]" {
		t.Errorf("stock rows %v", rows)
	}
	chans, _ := x.GetRows("Channels")
	if len(chans) != 3 || fmt.Sprint(chans[2]) != "[WIDGET-RED shopmart 012345678905 TRUE 246 206 -40]" {
		t.Errorf("channel rows %v", chans)
	}

	rec = f.do(request{target: "/api/v1/messages.xlsx?partner=acme-3pl", token: roSecret})
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if x, err = excelize.OpenReader(rec.Body); err != nil {
		t.Fatal(err)
	}
	rows, _ = x.GetRows("Messages")
	if len(rows) != 3 || rows[1][0] != "2" || rows[1][6] != "failed" || !strings.Contains(rows[1][15], "AC-9999") || rows[2][0] != "1" {
		t.Errorf("message rows %v", rows)
	}
	if rec := f.do(request{target: "/api/v1/messages.xlsx?state=nope", token: roSecret}); rec.Code != http.StatusBadRequest {
		t.Errorf("bad filter: %d", rec.Code)
	}
}

func TestExportCap(t *testing.T) {
	f := newFixture(t, fixtureOptions{opts: Options{MaxExportRows: 2}})
	rec := f.do(request{target: "/api/v1/stock.xlsx", token: roSecret})
	x, err := excelize.OpenReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("Stock")
	if len(rows) != 4 || !strings.Contains(rows[3][0], "capped at 2") {
		t.Errorf("%v", rows)
	}
}

func TestAPINotFound(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	rec := f.do(request{target: "/api/v1/nothing", token: roSecret})
	if rec.Code != http.StatusNotFound || decode[apiErrorBody](t, rec).Error.Code != "not_found" {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	if rec := f.do(request{method: "PUT", target: "/api/v1/stock", token: roSecret}); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", rec.Code)
	}
}

// TestAuditRecordsActions: retry, reservation (once per key), release and
// reload are in the audit log with who, from where and what; a read-only
// token reads the log but cannot reload.
func TestAuditRecordsActions(t *testing.T) {
	f := newFixture(t, fixtureOptions{actions: true})
	if rec := f.do(request{method: "POST", target: fmt.Sprintf("/api/v1/outbox/%d/retry", f.deadID), token: opSecret}); rec.Code != http.StatusOK {
		t.Fatalf("retry: %d %s", rec.Code, rec.Body)
	}
	body := `{"sku":"WIDGET-BLUE","location":"dallas","quantity":3,"order":"PO-1"}`
	reserve(f, "r-1", body)
	reserve(f, "r-1", body) // the same request again: nothing new happened
	if rec := f.do(request{method: "DELETE", target: "/api/v1/reservations/r-1", token: opSecret}); rec.Code != http.StatusNoContent {
		t.Fatalf("release: %d", rec.Code)
	}
	if rec := f.do(request{method: "POST", target: "/api/v1/reload", token: opSecret}); rec.Code != http.StatusOK ||
		!strings.Contains(rec.Body.String(), `"partners": 3`) {
		t.Fatalf("reload: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(request{method: "POST", target: "/api/v1/reload", token: roSecret}); rec.Code != http.StatusForbidden {
		t.Errorf("read-only reload: %d", rec.Code)
	}
	var log auditPage
	f.get("/api/v1/audit", &log)
	var got []string
	for _, e := range log.Entries {
		got = append(got, e.Who+" "+e.Action+" "+e.Target+" | "+e.Detail+" | "+e.Error)
		if e.Remote != "192.0.2.10" || e.Time.IsZero() {
			t.Errorf("entry %+v", e)
		}
	}
	want := []string{
		"ops reload partner profiles | 3 partners | ",
		"ops release reservation r-1 |  | ",
		"ops reserve reservation r-1 | 3 × WIDGET-BLUE at dallas, order PO-1 | ",
		fmt.Sprintf("ops retry outbox %d | partner shopmart, 997 997-2.edi, was dead after 1 attempts | ", f.deadID),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var page auditPage
	f.get("/api/v1/audit?action=reserve&limit=1", &page)
	if len(page.Entries) != 1 || page.Entries[0].Action != "reserve" {
		t.Errorf("filtered %+v", page)
	}
}

// TestAdviceAPI: a preview builds the channel's advice without queuing
// it; send=true queues it and is in the audit log; a partner without
// advice is refused.
func TestAdviceAPI(t *testing.T) {
	f := newFixture(t, fixtureOptions{actions: true})
	outboxCount := func() int {
		ms, err := f.outbox.List(outbox.Filter{Partner: "shopmart", Kind: "846"})
		if err != nil {
			t.Fatal(err)
		}
		return len(ms)
	}
	before := outboxCount()
	rec := f.do(request{method: "POST", target: "/api/v1/partners/shopmart/advice", token: opSecret})
	prev := decode[adviceResult](t, rec)
	if rec.Code != http.StatusOK || prev.Sent || len(prev.Lines) != 3 || prev.Broadcast.State != broadcast.StateNotSent ||
		!strings.Contains(prev.X12, "ST*846*") || outboxCount() != before {
		t.Fatalf("preview: %d %+v (outbox %d → %d)", rec.Code, prev, before, outboxCount())
	}
	for _, l := range prev.Lines {
		if l.SKU == "WIDGET-RED" && l.Quantity != 246 { // what TestAvailability says shopmart may sell
			t.Errorf("WIDGET-RED told %d, want 246", l.Quantity)
		}
	}
	if log, _, err := f.audit.List(context.Background(), audit.Filter{}); err != nil || len(log) != 0 {
		t.Errorf("a preview is in the audit log: %+v %v", log, err)
	}
	rec = f.do(request{method: "POST", target: "/api/v1/partners/shopmart/advice?send=true", token: opSecret})
	sent := decode[adviceResult](t, rec)
	if rec.Code != http.StatusOK || !sent.Sent || len(sent.Broadcast.Outbox) != 1 || outboxCount() != before+1 {
		t.Fatalf("send: %d %+v", rec.Code, sent)
	}
	var log auditPage
	f.get("/api/v1/audit?action=advice-now", &log)
	if len(log.Entries) != 1 || log.Entries[0].Who != "ops" || log.Entries[0].Target != "partner shopmart" ||
		!strings.Contains(log.Entries[0].Detail, fmt.Sprintf("outbox [%d]", sent.Broadcast.Outbox[0])) {
		t.Errorf("audit %+v", log.Entries)
	}
	for _, c := range []struct {
		target, token string
		code          int
	}{
		{"/api/v1/partners/acme-3pl/advice", opSecret, http.StatusConflict},
		{"/api/v1/partners/nobody/advice", opSecret, http.StatusNotFound},
		{"/api/v1/partners/shopmart/advice?delta=sideways", opSecret, http.StatusBadRequest},
		{"/api/v1/partners/shopmart/advice", roSecret, http.StatusForbidden},
	} {
		if rec := f.do(request{method: "POST", target: c.target, token: c.token}); rec.Code != c.code {
			t.Errorf("%s: %d %s, want %d", c.target, rec.Code, rec.Body, c.code)
		}
	}
}
