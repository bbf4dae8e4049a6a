package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/divergence"
	"github.com/dockside-edi/dockside/internal/browsertest"
)

// TestDivergenceAPI: Shopmart believes 206 red widgets (its last
// delivered advice) where it may sell 246 now; ACME reports 40 where
// Dallas has 290 available. Filters select a partner or a kind.
func TestDivergenceAPI(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.divergence.Checker.Store.Report([]divergence.Reported{{Partner: "acme-3pl", SKU: "WIDGET-RED", Location: "dallas", Quantity: 40, At: f.clock.Now()}})
	var rep divergence.Report
	f.get("/api/v1/divergence", &rep)
	if len(rep.Rows) != 2 {
		t.Fatalf("rows %+v", rep.Rows)
	}
	ch, loc := rep.Rows[0], rep.Rows[1]
	if ch.Partner != "shopmart" || ch.Kind != divergence.KindChannel || ch.SKU != "WIDGET-RED" || ch.Ours != 246 || ch.Theirs != 206 || ch.Difference != -40 || ch.Since.IsZero() {
		t.Errorf("channel row %+v", ch)
	}
	if loc.Partner != "acme-3pl" || loc.Location != "dallas" || loc.Ours != 290 || loc.Theirs != 40 || loc.Difference != -250 {
		t.Errorf("location row %+v", loc)
	}
	f.get("/api/v1/divergence?kind=location", &rep)
	if len(rep.Rows) != 1 || rep.Rows[0].Partner != "acme-3pl" {
		t.Errorf("kind=location: %+v", rep.Rows)
	}
	f.get("/api/v1/divergence?partner=shopmart", &rep)
	if len(rep.Rows) != 1 || rep.Rows[0].Partner != "shopmart" {
		t.Errorf("partner=shopmart: %+v", rep.Rows)
	}
	if rec := f.do(request{target: "/api/v1/divergence?kind=colour", token: roSecret}); rec.Code != http.StatusBadRequest {
		t.Errorf("bad kind: %d", rec.Code)
	}
	// The metrics: per partner, divergent SKUs and the oldest one's age.
	f.clock.Advance(time.Hour)
	f.divergence.Refresh(t.Context())
	body := f.do(request{target: "/metrics", token: opSecret}).Body.String()
	for _, want := range []string{`dockside_divergent_skus{partner="shopmart"} 1`, `dockside_divergence_oldest_seconds{partner="shopmart"} 3600`,
		`dockside_divergent_skus{partner="acme-3pl"} 1`, `dockside_divergent_skus{partner="northwind"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics: no %s", want)
		}
	}
	// The overview's card and table.
	page := f.do(request{target: "/", token: opSecret}).Body.String()
	for _, want := range []string{`id="divergence-card"`, "<b>2</b><span>divergent figures", `id="divergence"`, "WIDGET-RED", "-250", "-40"} {
		if !strings.Contains(page, want) {
			t.Errorf("overview: no %q", want)
		}
	}
}

// TestBrowserDivergenceCard: in a real browser, the overview's
// divergence card counts the divergent figures and leads to the table
// of them, with our figure, theirs and the difference.
func TestBrowserDivergenceCard(t *testing.T) {
	b := browsertest.Start(t)
	f := newFixture(t, fixtureOptions{})
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	b.Navigate(ts.URL + "/")
	b.WaitFor(`location.pathname === "/login" && !!document.querySelector("#token")`)
	b.Eval(`document.querySelector("#token").value = ` + browsertest.JSString(roSecret) + `; document.querySelector("form[action='/login'] button").click(); true`)
	b.WaitFor(`location.pathname === "/" && !!document.querySelector("#divergence-card")`)
	if got := b.Text(`document.querySelector("#divergence-card b").textContent`); got != "1" {
		t.Fatalf("the card counts %q divergent figures, want 1", got)
	}
	b.Eval(`document.querySelector("#divergence-card").click(); true`)
	b.WaitFor(`location.hash === "#divergence"`)
	row := b.Text(`document.querySelector("#divergence tbody tr").innerText`)
	for _, want := range []string{"WIDGET-RED", "shopmart", "channel", "246", "206", "-40"} {
		if !strings.Contains(row, want) {
			t.Errorf("the divergence row %q has no %q", row, want)
		}
	}
}
