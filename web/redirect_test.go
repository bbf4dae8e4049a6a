package web

import (
	"net/http"
	"net/url"
	"testing"
)

// TestLoginNextStaysHere: the login's next (and the retry form's back) is
// followed only to a path of this site. A browser drops tabs and newlines
// from a Location, so "/\t/evil.example" would be "//evil.example": another
// site.
func TestLoginNextStaysHere(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for _, next := range []string{"//evil.example/", "/\t/evil.example/", "/\\evil.example", "/\t\\evil.example", "/\x00/evil.example",
		"/\x0b/evil.example", "\t//evil.example", "https://evil.example"} {
		rec := f.do(request{method: "POST", target: "/login", body: "token=" + opSecret + "&next=" + url.QueryEscape(next), header: form})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("next %q: login answered %d", next, rec.Code)
		}
		if loc := rec.Header().Get("Location"); loc != "/" {
			t.Errorf("next %q: Location %q, want /", next, loc)
		}
	}
	for _, ok := range []string{"/messages?state=failed", "/outbox/3"} {
		rec := f.do(request{method: "POST", target: "/login", body: "token=" + opSecret + "&next=" + url.QueryEscape(ok), header: form})
		if loc := rec.Header().Get("Location"); loc != ok {
			t.Errorf("next %q: Location %q", ok, loc)
		}
	}
}
