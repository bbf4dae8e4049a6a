package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
	"github.com/dockside-edi/dockside/partners"
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

func TestAdvice(t *testing.T) {
	f := newFixture(t, fixtureOptions{noSeed: true})
	target := "/api/v1/partners/shopmart/advice"
	if rec := f.do(request{method: "POST", target: target, token: opSecret}); rec.Code != http.StatusNotImplemented {
		t.Errorf("without Advice: %d %s", rec.Code, rec.Body)
	}
	type call struct {
		partner     string
		delta, send bool
	}
	var got []call
	deps := f.srv.deps
	deps.Advice = func(_ context.Context, partner string, delta, send bool) (*broadcast.Result, error) {
		got = append(got, call{partner, delta, send})
		switch partner {
		case "northwind":
			return nil, fmt.Errorf("northwind: %w", broadcast.ErrNoAdvice)
		case "nobody":
			return nil, fmt.Errorf("nobody: %w", partners.ErrUnknownPartner)
		}
		return &broadcast.Result{Broadcast: broadcast.Broadcast{ID: 7, Partner: partner, Mode: "full", Items: 2}, X12: []byte("ISA*00~")}, nil
	}
	srv, err := New(deps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	for _, tc := range []struct {
		target, token string
		code          int
		body          string
		call          *call
	}{
		{target, opSecret, http.StatusOK, `"x12": "ISA*00~"`, &call{"shopmart", false, false}},
		{target + "?delta=true&send=true", opSecret, http.StatusOK, `"items": 2`, &call{"shopmart", true, true}},
		{target + "?send=maybe", opSecret, http.StatusBadRequest, "send", nil},
		{target, roSecret, http.StatusForbidden, "", nil},
		{"/api/v1/partners/northwind/advice", opSecret, http.StatusConflict, "no_advice", &call{"northwind", false, false}},
		{"/api/v1/partners/nobody/advice", opSecret, http.StatusNotFound, "not_found", &call{"nobody", false, false}},
	} {
		got = nil
		rec := f.do(request{method: "POST", target: tc.target, token: tc.token})
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s: %d %s", tc.target, rec.Code, rec.Body)
		}
		if (tc.call == nil) != (len(got) == 0) || (tc.call != nil && got[0] != *tc.call) {
			t.Errorf("%s: calls %+v", tc.target, got)
		}
	}
}

func TestOrder(t *testing.T) {
	f := newFixture(t, fixtureOptions{noSeed: true})
	if rec := f.do(request{target: "/api/v1/orders/shopmart/SO-1", token: roSecret}); rec.Code != http.StatusNotImplemented {
		t.Errorf("without Orders: %d %s", rec.Code, rec.Body)
	}
	st, err := orders.OpenBolt(filepath.Join(f.dir, "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := orders.New("shopmart", "SO-1")
	r.Settle(&mapping.OrderState{Partner: "shopmart", Number: "SO-1", Open: true,
		Lines: []mapping.OrderLine{{SKU: "WIDGET-RED", Location: "dallas", Quantity: 5}}, By: mapping.Origin{Document: "d"}}, "", nil, f.clock.Now())
	if err := st.Put(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	f.srv.deps.Orders = st
	for _, tc := range []struct {
		target, token string
		code          int
		body          string
	}{
		{"/api/v1/orders/shopmart/SO-1", roSecret, http.StatusOK, `"quantity": 5`},
		{"/api/v1/orders/shopmart/SO-2", roSecret, http.StatusNotFound, "order SO-2 of shopmart"},
		{"/api/v1/orders/shopmart/SO-1", "", http.StatusUnauthorized, ""},
	} {
		rec := f.do(request{target: tc.target, token: tc.token})
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s: %d %s", tc.target, rec.Code, rec.Body)
		}
	}
}
