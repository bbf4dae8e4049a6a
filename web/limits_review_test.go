package web

import (
	"fmt"
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

// TestRateLimitIPv6Network: the addresses of one IPv6 /64 share a bucket
// (one host has them all), so a client cannot escape the limit by
// changing its address within its network; another network has its own.
func TestRateLimitIPv6Network(t *testing.T) {
	f := newFixture(t, fixtureOptions{noSeed: true, opts: Options{RateLimit: 0.001, RateBurst: 2}})
	codes := func(remotes ...string) (out []int) {
		for _, rm := range remotes {
			out = append(out, f.do(request{target: "/api/v1/overview", remote: rm}).Code)
		}
		return out
	}
	got := codes("[2001:db8:1:2::1]:4000", "[2001:db8:1:2::2]:4000", "[2001:db8:1:2:ffff::3]:4000", "[2001:db8:9:9::1]:4000")
	want := []int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusUnauthorized}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("answers %v, want %v", got, want)
	}
}
