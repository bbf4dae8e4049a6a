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

// TestReservationShipTo: a reservation's ship_to reaches Reservations
// as given; one that would not fit the 940's N1/N3/N4 is a 400 naming
// the field.
func TestReservationShipTo(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	code, out, _ := reserve(f, "s-1", `{"sku":"WIDGET-BLUE","location":"dallas","quantity":1,"order":"WEB-1",`+
		`"ship_to":{"name":"Jane Buyer","street":["1 Main St"],"city":"Springfield","state":"IL","postal_code":"62701","country":"US"}}`)
	if code != http.StatusCreated {
		t.Fatalf("with a ship-to: %d %s", code, out)
	}
	f.res.mu.Lock()
	got := f.res.req["s-1"].ShipTo
	f.res.mu.Unlock()
	if got == nil || got.Name != "Jane Buyer" || len(got.Street) != 1 || got.PostalCode != "62701" {
		t.Errorf("ship-to passed on: %+v", got)
	}
	for name, tc := range map[string]struct{ shipTo, param string }{
		"no name":         {`{"city":"Springfield"}`, "body.ship_to.name"},
		"name too long":   {`{"name":"` + strings.Repeat("n", 61) + `"}`, "body.ship_to.name"},
		"separator":       {`{"name":"A*B"}`, "body.ship_to.name"},
		"three streets":   {`{"name":"A","street":["1","2","3"]}`, "body.ship_to.street"},
		"empty street":    {`{"name":"A","street":[""]}`, "body.ship_to.street[0]"},
		"state":           {`{"name":"A","state":"Illinois"}`, "body.ship_to.state"},
		"unknown field":   {`{"name":"A","phone":"1"}`, "body"},
		"postal too long": {`{"name":"A","postal_code":"` + strings.Repeat("9", 16) + `"}`, "body.ship_to.postal_code"},
	} {
		code, out, _ := reserve(f, "s-2", `{"sku":"WIDGET-BLUE","location":"dallas","quantity":1,"ship_to":`+tc.shipTo+`}`)
		if code != http.StatusBadRequest || !strings.Contains(string(out), `"param": "`+tc.param+`"`) {
			t.Errorf("%s: %d %s", name, code, out)
		}
	}
}
