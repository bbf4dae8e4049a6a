package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// askedOrders is an order store that knows no order and records what it
// was asked for.
type askedOrders struct {
	orders.Store
	asked []string
}

func (o *askedOrders) Get(_ context.Context, _ mapping.OrderKind, partner, number string) (*orders.Record, error) {
	o.asked = append(o.asked, partner+"|"+number)
	return nil, fmt.Errorf("order %s of %s: %w", number, partner, orders.ErrNotFound)
}

// TestOrderPathParams: an order's partner and number are checked before
// the order book is asked: a NUL (the order book's key separator) or
// another control character is refused; '/' in a number reaches it whole.
func TestOrderPathParams(t *testing.T) {
	f := newFixture(t, fixtureOptions{noSeed: true})
	fake := &askedOrders{}
	f.srv.deps.Orders = fake
	tests := []struct {
		target string
		status int
		param  string
	}{
		{"/api/v1/orders/shopmart/PO-1", http.StatusNotFound, ""},
		{"/api/v1/orders/shopmart/PO%2F1", http.StatusNotFound, ""},
		{"/api/v1/orders/shopmart/ship%00PO-1", http.StatusBadRequest, "number"},
		{"/api/v1/orders/shop%00mart/PO-1", http.StatusBadRequest, "partner"},
		{"/api/v1/orders/shopmart/PO%0A1", http.StatusBadRequest, "number"},
		{"/api/v1/orders/shopmart/" + strings.Repeat("9", 1025), http.StatusBadRequest, "number"},
	}
	for _, tt := range tests {
		fake.asked = nil
		rec := f.do(request{target: tt.target, token: roSecret})
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), `"param": "`+tt.param+`"`) != (tt.param == "") {
			t.Errorf("%s: %d %s; want %d (param %q)", tt.target, rec.Code, rec.Body, tt.status, tt.param)
		}
		if tt.status == http.StatusBadRequest && len(fake.asked) > 0 {
			t.Errorf("%s: the order book was asked for %q", tt.target, fake.asked)
		}
	}
	if rec := f.do(request{target: "/api/v1/orders/shopmart/PO%2F1", token: roSecret}); rec.Code != http.StatusNotFound || len(fake.asked) != 1 || fake.asked[0] != "shopmart|PO/1" {
		t.Errorf("number with a slash: %d, asked %q", rec.Code, fake.asked)
	}
}
