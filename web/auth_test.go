package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// samplePath fills a route's wildcards with values that exist in the
// fixture.
func samplePath(f *fixture, rt route) string {
	r := strings.NewReplacer("{sku...}", "WIDGET-RED", "{key}", "k1", "{file...}", "style.css", "{$}", "")
	p := r.Replace(rt.path)
	id := "1"
	switch {
	case strings.HasPrefix(p, "/api/v1/partners/"), strings.HasPrefix(p, "/partners/"):
		return strings.Replace(p, "{id}", "shopmart", 1)
	case strings.Contains(p, "/messages/"):
		id = "2"
	}
	return strings.Replace(p, "{id}", id, 1)
}

// TestEveryRouteAuth: every guarded route answers 401 (API, metrics) or a
// redirect to the login form (pages) without a token, and 401 with a
// wrong one; every operator route answers 403 to a read-only token.
func TestEveryRouteAuth(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for i, rt := range f.srv.routes {
		if rt.role == rolePublic {
			continue
		}
		target := samplePath(f, rt)
		remote := fmt.Sprintf("192.0.2.%d:4000", i+1) // failed authentications are rate-limited per address
		t.Run(rt.pattern(), func(t *testing.T) {
			for _, token := range []string{"", "wrong-token"} {
				rec := f.do(request{method: rt.method, target: target, token: token, remote: remote})
				switch {
				case rt.kind == kindPage && token == "":
					if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login?next=") {
						t.Errorf("no token: %d %q, want a redirect to the login form", rec.Code, rec.Header().Get("Location"))
					}
				case rt.kind == kindPage || rt.kind == kindForm:
					if rec.Code != http.StatusUnauthorized && rec.Code != http.StatusSeeOther {
						t.Errorf("token %q: %d", token, rec.Code)
					}
				default:
					if rec.Code != http.StatusUnauthorized {
						t.Errorf("token %q: %d, want 401", token, rec.Code)
					}
					if strings.HasPrefix(rt.path, "/api/") {
						if e := decode[apiErrorBody](t, rec); e.Error.Code != "unauthorized" {
							t.Errorf("error code %q", e.Error.Code)
						}
						if rec.Header().Get("WWW-Authenticate") == "" {
							t.Errorf("no WWW-Authenticate")
						}
					}
				}
			}
			if rt.role == RoleOperator && rt.kind != kindForm {
				rec := f.do(request{method: rt.method, target: target, token: roSecret, body: `{}`})
				if rec.Code != http.StatusForbidden {
					t.Errorf("read-only token: %d, want 403", rec.Code)
				}
			}
		})
	}
}

func TestPublicRoutes(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, target := range []string{"/healthz", "/readyz", "/api/v1/openapi.json", "/login", "/static/style.css"} {
		if rec := f.do(request{target: target}); rec.Code != http.StatusOK {
			t.Errorf("%s: %d", target, rec.Code)
		}
	}
}

func TestNoTokensLoopbackReadOnly(t *testing.T) {
	f := newFixture(t, fixtureOptions{noTokens: true})
	local := "127.0.0.1:50000"
	tests := []struct {
		name   string
		rq     request
		status int
	}{
		{"loopback read", request{target: "http://127.0.0.1:8080/api/v1/stock", remote: local}, http.StatusOK},
		{"loopback localhost", request{target: "http://localhost:8080/api/v1/messages", remote: local}, http.StatusOK},
		{"ipv6 loopback", request{target: "http://[::1]:8080/api/v1/overview", remote: "[::1]:50000"}, http.StatusOK},
		{"loopback page", request{target: "http://127.0.0.1:8080/", remote: local}, http.StatusOK},
		{"loopback metrics", request{target: "http://127.0.0.1:8080/metrics", remote: local}, http.StatusOK},
		{"loopback replay", request{method: "POST", target: "http://127.0.0.1:8080/api/v1/messages/2/replay", remote: local}, http.StatusForbidden},
		{"loopback reserve", request{method: "POST", target: "http://127.0.0.1:8080/api/v1/reservations", remote: local,
			header: map[string]string{"Idempotency-Key": "a"}, body: `{"sku":"WIDGET-RED","location":"dallas","quantity":1}`}, http.StatusForbidden},
		{"remote client", request{target: "http://10.1.2.3:8080/api/v1/stock", remote: "10.9.9.9:50000"}, http.StatusUnauthorized},
		{"rebinding host", request{target: "http://evil.example:8080/api/v1/stock", remote: local}, http.StatusUnauthorized},
		{"remote page", request{target: "http://10.1.2.3:8080/", remote: "10.9.9.9:50000"}, http.StatusSeeOther},
		{"any bearer is wrong", request{target: "http://127.0.0.1:8080/api/v1/stock", remote: local, token: "x"}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rec := f.do(tt.rq); rec.Code != tt.status {
				t.Errorf("%d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
		})
	}
	rec := f.do(request{target: "http://127.0.0.1:8080/messages/2", remote: local})
	if body := rec.Body.String(); strings.Contains(body, `id="replay"`) || !strings.Contains(body, "read-only") {
		t.Errorf("the read-only local view offers Replay or does not say it is read-only")
	}
}

// TestLoopbackNeedsTokenWhenConfigured: once tokens are configured,
// loopback clients need one like everybody else.
func TestLoopbackNeedsTokenWhenConfigured(t *testing.T) {
	f := newFixture(t, fixtureOptions{noSeed: true})
	rec := f.do(request{target: "http://127.0.0.1:8080/api/v1/stock", remote: "127.0.0.1:5000"})
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("loopback without a token: %d", rec.Code)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	f := newFixture(t, fixtureOptions{noSeed: true})
	base := f.srv.deps
	for name, tokens := range map[string][]Token{
		"no name":    {{SHA256: HashToken("a"), Role: RoleOperator}},
		"short hash": {{Name: "a", SHA256: "abcd", Role: RoleOperator}},
		"not hex":    {{Name: "a", SHA256: strings.Repeat("z", 64), Role: RoleOperator}},
		"bad role":   {{Name: "a", SHA256: HashToken("a"), Role: "admin"}},
		"twice":      {{Name: "a", SHA256: HashToken("a"), Role: RoleOperator}, {Name: "a", SHA256: HashToken("b"), Role: RoleReadOnly}},
	} {
		d := base
		d.Tokens = tokens
		if _, err := New(d, Options{}); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	d := base
	d.Inbox = nil
	if _, err := New(d, Options{}); !errors.Is(err, ErrConfig) {
		t.Errorf("no inbox: %v", err)
	}
	if _, err := New(base, Options{SessionKey: []byte("short")}); !errors.Is(err, ErrConfig) {
		t.Errorf("short session key: %v", err)
	}
}

func TestNewToken(t *testing.T) {
	secret, tok, err := NewToken("demo", RoleOperator)
	if err != nil || !strings.HasPrefix(secret, "dks_") || tok.SHA256 != HashToken(secret) || tok.Role != RoleOperator {
		t.Fatalf("%q %+v %v", secret, tok, err)
	}
	if _, _, err := NewToken("demo", "root"); !errors.Is(err, ErrConfig) {
		t.Errorf("bad role: %v", err)
	}
}

// login posts the login form and returns the session cookie.
func login(t *testing.T, f *fixture, secret string) *http.Cookie {
	t.Helper()
	rec := f.do(request{method: "POST", target: "/login", body: "token=" + url.QueryEscape(secret) + "&next=%2Fmessages",
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/messages" {
		t.Fatalf("login: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func csrfOf(t *testing.T, f *fixture, c *http.Cookie, page string) string {
	t.Helper()
	body := f.do(request{target: page, cookie: c}).Body.String()
	i := strings.Index(body, `name="csrf" value="`)
	if i < 0 {
		t.Fatalf("no csrf field on %s", page)
	}
	rest := body[i+len(`name="csrf" value="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestSessionLogin(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

	rec := f.do(request{method: "POST", target: "/login", body: "token=nope", header: form})
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "not valid") || len(rec.Result().Cookies()) != 0 {
		t.Errorf("bad token: %d", rec.Code)
	}
	rec = f.do(request{method: "POST", target: "/login", body: "token=" + opSecret + "&next=//evil.example/", header: form})
	if loc := rec.Header().Get("Location"); loc != "/" {
		t.Errorf("open redirect: Location %q", loc)
	}
	rec = f.do(request{method: "POST", target: "/login", body: "token=" + opSecret,
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"}})
	if rec.Code != http.StatusForbidden {
		t.Errorf("login from another origin: %d", rec.Code)
	}

	c := login(t, f, opSecret)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || strings.Contains(c.Value, opSecret) {
		t.Errorf("cookie %+v", c)
	}
	if rec := f.do(request{target: "/messages", cookie: c}); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "ops · operator") {
		t.Errorf("page with session: %d", rec.Code)
	}
	if rec := f.do(request{target: "/api/v1/stock", cookie: c}); rec.Code != http.StatusOK {
		t.Errorf("API GET with session: %d", rec.Code)
	}
	if rec := f.do(request{method: "POST", target: "/api/v1/messages/2/replay", cookie: c}); rec.Code != http.StatusUnauthorized {
		t.Errorf("API POST with only a session cookie: %d, want 401", rec.Code)
	}

	// Forms need the CSRF token of the session.
	replay := "/messages/2/replay"
	if rec := f.do(request{method: "POST", target: replay, cookie: c, body: "csrf=forged", header: form}); rec.Code != http.StatusForbidden {
		t.Errorf("forged csrf: %d", rec.Code)
	}
	token := csrfOf(t, f, c, "/messages/2")
	if rec := f.do(request{method: "POST", target: replay, cookie: c, body: "csrf=" + token,
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"}}); rec.Code != http.StatusForbidden {
		t.Errorf("foreign origin: %d", rec.Code)
	}
	rec = f.do(request{method: "POST", target: replay, cookie: c, body: "csrf=" + token, header: form})
	if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "flash=replay-failed") {
		t.Errorf("replay form: %d %q", rec.Code, rec.Header().Get("Location"))
	}

	// A read-only session sees no Replay button and may not post.
	ro := login(t, f, roSecret)
	if body := f.do(request{target: "/messages/2", cookie: ro}).Body.String(); strings.Contains(body, `id="replay"`) {
		t.Errorf("read-only page offers Replay")
	}
	if rec := f.do(request{method: "POST", target: replay, cookie: ro, body: "csrf=x", header: form}); rec.Code != http.StatusForbidden {
		t.Errorf("read-only replay form: %d", rec.Code)
	}

	// Tampered and expired sessions go back to the login form.
	bad := *c
	bad.Value = strings.Replace(c.Value, "b3Bz", "dmlld2Vy", 1) // "ops" → "viewer", same MAC
	if rec := f.do(request{target: "/messages", cookie: &bad}); rec.Code != http.StatusSeeOther {
		t.Errorf("tampered session: %d", rec.Code)
	}
	f.clock.Advance(13 * time.Hour)
	if rec := f.do(request{target: "/messages", cookie: c}); rec.Code != http.StatusSeeOther {
		t.Errorf("expired session: %d", rec.Code)
	}

	rec = f.do(request{method: "POST", target: "/logout", cookie: c})
	if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout: %d %q", rec.Code, rec.Header().Get("Set-Cookie"))
	}
	if strings.Contains(f.logs.String(), c.Value) {
		t.Errorf("a session cookie is in the logs")
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, fixtureOptions{opts: Options{RateLimit: 0.001, RateBurst: 2}})
	for i := range 2 {
		if rec := f.do(request{target: "/api/v1/stock", token: roSecret}); rec.Code != http.StatusOK {
			t.Fatalf("request %d: %d", i, rec.Code)
		}
	}
	rec := f.do(request{target: "/api/v1/stock", token: roSecret})
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" || rec.Header().Get("Retry-After") == "0" {
		t.Fatalf("third request: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if e := decode[apiErrorBody](t, rec); e.Error.Code != "rate_limited" {
		t.Errorf("code %q", e.Error.Code)
	}
	if rec := f.do(request{target: "/api/v1/stock", token: opSecret}); rec.Code != http.StatusOK {
		t.Errorf("another token is limited too: %d", rec.Code)
	}
	// Failed authentications from one address are limited as well.
	codes := map[int]int{}
	for range 4 {
		codes[f.do(request{target: "/api/v1/stock", token: "guess", remote: "198.51.100.7:1"}).Code]++
	}
	if codes[http.StatusTooManyRequests] == 0 {
		t.Errorf("token guessing is not limited: %v", codes)
	}
}

// TestHealthNotRateLimited: health checks (all through one proxy
// address) are never refused, and take nothing from the address's
// bucket.
func TestHealthNotRateLimited(t *testing.T) {
	f := newFixture(t, fixtureOptions{opts: Options{RateLimit: 0.001, RateBurst: 2}})
	for i := range 20 {
		for _, target := range []string{"/healthz", "/readyz"} {
			if rec := f.do(request{target: target, remote: "203.0.113.9:1"}); rec.Code != http.StatusOK {
				t.Fatalf("%s %d: %d", target, i, rec.Code)
			}
		}
	}
	if rec := f.do(request{target: "/api/v1/openapi.json", remote: "203.0.113.9:1"}); rec.Code != http.StatusOK {
		t.Fatalf("the address's first other request: %d", rec.Code)
	}
}

func TestBodyLimitAndTimeout(t *testing.T) {
	f := newFixture(t, fixtureOptions{opts: Options{MaxBodyBytes: 64, Timeout: 50 * time.Millisecond}})
	rec := f.do(request{method: "POST", target: "/api/v1/reservations", token: opSecret,
		header: map[string]string{"Idempotency-Key": "big"}, body: `{"sku":"` + strings.Repeat("W", 200) + `","location":"dallas","quantity":1}`})
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("large body: %d %s", rec.Code, rec.Body)
	}
	f.res.block = true
	rec = f.do(request{method: "POST", target: "/api/v1/reservations", token: opSecret,
		header: map[string]string{"Idempotency-Key": "slow"}, body: `{"sku":"WIDGET-RED","location":"dallas","quantity":1}`})
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "timeout") {
		t.Errorf("slow handler: %d %s", rec.Code, rec.Body)
	}
}
