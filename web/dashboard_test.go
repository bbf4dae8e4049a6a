package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestDashboardPages(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	tests := []struct {
		target string
		want   []string
	}{
		{"/", []string{"received in 24 h", `href="/messages/2"`, "inventory-846-unknown-item.edi", "<svg", "acme-3pl (1)"}},
		{"/messages", []string{`id="messages"`, "NW_STOCK_20261125.csv", "st-failed", "Export .xlsx"}},
		{"/messages?state=failed&partner=acme-3pl", []string{"inventory-846-unknown-item.edi", `<option value="acme-3pl" selected>`}},
		{"/messages?state=done&q=nothing-like-this", []string{"No message matches."}},
		{"/messages/2", []string{`id="replay"`, `name="csrf"`, "AC-9999", `class="flagged"`, "segment 14 (LIN)", `href="#S16"`, "Download"}},
		{"/messages/1", []string{"Movements posted", "WIDGET-RED", "Acknowledgements sent", "997"}},
		{"/messages/3", []string{"Item No", "NW-0001"}},
		{"/outbox", []string{"1 pending", "1 dead", "as2: connection refused", "Retry now", "overdue"}},
		{"/outbox?state=delivered", []string{"picked up"}},
		{"/partners", []string{"acme-3pl", "st-failing", "st-attention", "Northwind Traders"}},
		{"/partners/shopmart", []string{"SHOPMART-AS2", "share 80%", "Inventory advice sent", "overdue acks", `<span class="pill st-delivered">delivered</span>`, `<span class="pill st-pending">pending</span>`}},
		{"/inventory", []string{"WIDGET-RED", "shopmart", "st-diverged", "-40", "dallas <b>290</b>/290"}},
		{"/inventory?limit=1", []string{"GADGET-L", "Next →"}},
		{"/inventory?after=GADGET-S&limit=1", []string{"WIDGET-BLUE"}},
	}
	for _, tt := range tests {
		rec := f.do(request{target: tt.target, token: opSecret})
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Errorf("%s: %d", tt.target, rec.Code)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: no %q", tt.target, w)
			}
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: CSP %q", tt.target, csp)
		}
	}
	for target, code := range map[string]int{"/messages/99": 404, "/partners/nobody": 404, "/messages?state=x": 400} {
		if rec := f.do(request{target: target, token: opSecret}); rec.Code != code {
			t.Errorf("%s: %d, want %d", target, rec.Code, code)
		}
	}
	if body := f.do(request{target: "/inventory?after=WIDGET-BLUE", token: opSecret}).Body.String(); strings.Contains(body, "GADGET-L") || !strings.Contains(body, "WIDGET-RED") {
		t.Errorf("paging the inventory")
	}
}

// TestDashboardEscapes: what partners send is shown, never run.
func TestDashboardEscapes(t *testing.T) {
	f := newFixture(t, fixtureOptions{noSeed: true})
	evil := `<script>alert(1)</script>`
	id := f.receiveBytes("acme-3pl", evil+".csv", []byte(evil+"\n"))
	body := f.do(request{target: fmt.Sprintf("/messages/%d", id), token: opSecret}).Body.String()
	if strings.Contains(body, evil) || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("not escaped")
	}
}

func TestDashboardRetryForm(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := login(t, f, opSecret)
	token := csrfOf(t, f, c, "/outbox")
	rec := f.do(request{method: "POST", target: fmt.Sprintf("/outbox/%d/retry", f.deadID), cookie: c,
		body: "csrf=" + token + "&back=%2Foutbox%3Fstate%3Ddead", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/outbox?state=dead&flash=retried" {
		t.Fatalf("%d %q", rec.Code, rec.Header().Get("Location"))
	}
	if m, _ := f.outbox.Get(f.deadID); m.State != "queued" {
		t.Errorf("state %s", m.State)
	}
	rec = f.do(request{method: "POST", target: fmt.Sprintf("/outbox/%d/retry", f.deadID), cookie: c,
		body: "csrf=" + token + "&back=https://evil.example/", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if rec.Code != http.StatusConflict {
		t.Errorf("retrying a queued message: %d", rec.Code)
	}
	if body := f.do(request{target: "/outbox?flash=retried", cookie: c}).Body.String(); !strings.Contains(body, "due now") {
		t.Errorf("no flash")
	}
}
