package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/mapping"
)

// TestOrderPathParams: an order's partner and number are checked before
// the order book is asked: a NUL (the order book's key separator) or
// another control character is refused; '/' in a number reaches it whole.
func TestOrderPathParams(t *testing.T) {
	f := newFixture(t, fixtureOptions{noSeed: true})
	var asked []string
	f.srv.deps.Order = func(partner, number string) (*mapping.OrderState, error) {
		asked = append(asked, partner+"|"+number)
		return nil, nil
	}
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
		asked = nil
		rec := f.do(request{target: tt.target, token: roSecret})
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), `"param": "`+tt.param+`"`) != (tt.param == "") {
			t.Errorf("%s: %d %s; want %d (param %q)", tt.target, rec.Code, rec.Body, tt.status, tt.param)
		}
		if tt.status == http.StatusBadRequest && len(asked) > 0 {
			t.Errorf("%s: the order book was asked for %q", tt.target, asked)
		}
	}
	if rec := f.do(request{target: "/api/v1/orders/shopmart/PO%2F1", token: roSecret}); rec.Code != http.StatusNotFound || len(asked) != 1 || asked[0] != "shopmart|PO/1" {
		t.Errorf("number with a slash: %d, asked %q", rec.Code, asked)
	}
}
