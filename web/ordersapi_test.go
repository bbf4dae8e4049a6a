package web

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// ordersFixture is a fixture whose order store holds SO-0..SO-4 of
// shopmart: SO-0 cancelled, SO-1 sent to acme-3pl with its 997 overdue,
// the others allocated; and SO-9 of northwind, allocated.
func ordersFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, fixtureOptions{noSeed: true})
	st, err := orders.OpenBolt(filepath.Join(f.dir, "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := f.clock.Now()
	put := func(partner, number string, open bool) *orders.Record {
		r := orders.New(partner, number)
		r.Settle(&mapping.OrderState{Partner: partner, Number: number, Open: open,
			Lines: []mapping.OrderLine{{SKU: "WIDGET-RED", Location: "dallas", Quantity: 5}},
			By:    mapping.Origin{Document: partner + "|" + number}}, "", nil, now.Add(-10*time.Hour))
		return r
	}
	ctx := context.Background()
	for i := range 5 {
		r := put("shopmart", fmt.Sprintf("SO-%d", i), i != 0)
		if i == 1 {
			out := r.Plan(func(string) (orders.Route, bool) { return orders.Route{Warehouse: "acme-3pl", Code: "DAL1"}, true }, nil)
			r.NoteSent(&out[0], orders.Send{Outbox: 3, Interchange: "000000007", AckDue: now.Add(-time.Hour)}, time.Time{}, now.Add(-5*time.Hour))
		}
		if err := st.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Put(ctx, put("northwind", "SO-9", true)); err != nil {
		t.Fatal(err)
	}
	f.srv.deps.Orders = st
	return f
}

// TestOrdersAPI: the list filters by partner, state and overdue and
// pages; one order shows its record; bad parameters and unknown orders
// are named.
func TestOrdersAPI(t *testing.T) {
	f := ordersFixture(t)
	names := func(p ordersPage) string {
		var s []string
		for _, o := range p.Orders {
			s = append(s, o.Partner+"/"+o.Number+":"+string(o.State))
		}
		return strings.Join(s, " ")
	}
	tests := []struct {
		query, want, next string
	}{
		{"", "northwind/SO-9:allocated shopmart/SO-0:cancelled shopmart/SO-1:sent shopmart/SO-2:allocated shopmart/SO-3:allocated shopmart/SO-4:allocated", ""},
		{"?partner=shopmart&limit=2", "shopmart/SO-0:cancelled shopmart/SO-1:sent", "shopmart/SO-1"},
		{"?partner=shopmart&limit=2&after=shopmart/SO-1", "shopmart/SO-2:allocated shopmart/SO-3:allocated", "shopmart/SO-3"},
		{"?state=cancelled", "shopmart/SO-0:cancelled", ""},
		{"?overdue=true", "shopmart/SO-1:sent", ""},
	}
	for _, tc := range tests {
		var page ordersPage
		f.get("/api/v1/orders"+tc.query, &page)
		if got := names(page); got != tc.want || page.NextAfter != tc.next {
			t.Errorf("%s: %s (next %q), want %s (next %q)", tc.query, got, page.NextAfter, tc.want, tc.next)
		}
	}
	var one orders.View
	f.get("/api/v1/orders/shopmart/SO-1", &one)
	if one.State != orders.Sent || len(one.Overdue) != 1 || !strings.Contains(one.Overdue[0], "no 997 from acme-3pl") ||
		len(one.Dispatches) != 1 || one.Dispatches[0].Sends[0].Interchange != "000000007" || len(one.Events) != 3 {
		t.Errorf("order: %+v", one)
	}
	for _, tc := range []struct {
		target string
		status int
		param  string
	}{
		{"/api/v1/orders/shopmart/SO-404", http.StatusNotFound, ""},
		{"/api/v1/orders?state=lost", http.StatusBadRequest, "state"},
		{"/api/v1/orders?overdue=yes", http.StatusBadRequest, "overdue"},
		{"/api/v1/orders?after=SO-1", http.StatusBadRequest, "after"},
		{"/api/v1/orders?limit=0", http.StatusBadRequest, "limit"},
	} {
		rec := f.do(request{target: tc.target, token: roSecret})
		body := decode[apiErrorBody](t, rec)
		if rec.Code != tc.status || body.Error.Param != tc.param {
			t.Errorf("%s: %d %s, want %d naming %q", tc.target, rec.Code, rec.Body, tc.status, tc.param)
		}
	}
	if rec := f.do(request{target: "/api/v1/orders"}); rec.Code != http.StatusUnauthorized {
		t.Errorf("without a token: %d", rec.Code)
	}
	f.srv.deps.Orders = nil
	if rec := f.do(request{target: "/api/v1/orders", token: roSecret}); rec.Code != http.StatusNotImplemented {
		t.Errorf("without an order store: %d", rec.Code)
	}
}
