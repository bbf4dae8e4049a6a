package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestReload(t *testing.T) {
	f := newFixture(t, fixtureOptions{noSeed: true})
	target := "/api/v1/reload"
	if rec := f.do(request{method: "POST", target: target, token: opSecret}); rec.Code != http.StatusNotImplemented {
		t.Errorf("without Reload: %d %s", rec.Code, rec.Body)
	}
	var fail error
	calls := 0
	deps := f.srv.deps
	deps.Reload = func(context.Context) (int, error) { calls++; return 3, fail }
	srv, err := New(deps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	for _, tc := range []struct {
		name, token string
		fail        error
		code        int
		body        string
	}{
		{"operator", opSecret, nil, http.StatusOK, `"partners": 3`},
		{"read-only", roSecret, nil, http.StatusForbidden, "forbidden"},
		{"no token", "", nil, http.StatusUnauthorized, ""},
		{"bad profiles", opSecret, errors.New("partner profiles: a.yaml:3:7: role: bad"), http.StatusUnprocessableEntity, "a.yaml:3:7"},
	} {
		fail = tc.fail
		before := calls
		rec := f.do(request{method: "POST", target: target, token: tc.token})
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s: %d %s", tc.name, rec.Code, rec.Body)
		}
		if reloaded := calls > before; reloaded != (tc.code == http.StatusOK || tc.code == http.StatusUnprocessableEntity) {
			t.Errorf("%s: reloaded = %v", tc.name, reloaded)
		}
	}
	if rec := f.do(request{method: "GET", target: target, token: opSecret}); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", rec.Code)
	}
}
