package web

import (
	"net/http"
	"testing"
)

// TestListLimitsBounded: every list, API and dashboard, refuses a page
// over maxPage (limit=1000000) rather than reading it.
func TestListLimitsBounded(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, target := range []string{"/api/v1/audit", "/api/v1/messages", "/api/v1/outbox", "/api/v1/broadcasts", "/api/v1/stock",
		"/audit", "/messages", "/outbox"} {
		for _, q := range []string{"limit=1000000", "limit=-1", "limit=99999999999999999999"} {
			rec := f.do(request{target: target + "?" + q, token: roSecret})
			if rec.Code != http.StatusBadRequest {
				t.Errorf("%s?%s: %d, want 400", target, q, rec.Code)
			}
		}
	}
	for _, target := range []string{"/api/v1/audit", "/api/v1/messages", "/api/v1/outbox", "/audit", "/outbox"} {
		if rec := f.do(request{target: target + "?before=-1", token: roSecret}); rec.Code != http.StatusBadRequest {
			t.Errorf("%s?before=-1: %d, want 400", target, rec.Code)
		}
	}
}
