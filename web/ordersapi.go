package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// ordersPage is a page of orders, in partner then order number order.
type ordersPage struct {
	Orders []orders.View `json:"orders"`
	// NextAfter, when set, is the after parameter of the next page.
	NextAfter string `json:"next_after,omitempty"`
}

// apiOrders lists orders with where each stands: partner, state and
// overdue=true filter; limit and after (partner/number) page.
func (s *Server) apiOrders(w http.ResponseWriter, r *http.Request) {
	if s.deps.Orders == nil {
		s.apiError(w, r, fmt.Errorf("orders: %w", ErrUnavailable))
		return
	}
	v := r.URL.Query()
	f := orders.Filter{Partner: v.Get("partner")}
	state := orders.State(v.Get("state"))
	if state != "" && !slices.Contains(orders.States, state) {
		s.apiError(w, r, badParam("state", "want one of received, allocated, sent, acknowledged, shipping, closed, cancelled"))
		return
	}
	overdue := false
	switch v.Get("overdue") {
	case "", "false":
	case "true":
		overdue = true
	default:
		s.apiError(w, r, badParam("overdue", "want true or false"))
		return
	}
	var err error
	if f.Limit, err = pageLimit(r, 100); err != nil {
		s.apiError(w, r, err)
		return
	}
	if after := v.Get("after"); after != "" {
		partner, number, ok := strings.Cut(after, "/")
		if !ok || partner == "" || number == "" {
			s.apiError(w, r, badParam("after", "want partner/number, the next_after of the previous page"))
			return
		}
		f.After = orders.Key(partner, number)
	}
	now := s.now()
	f.Match = func(rec *orders.Record) bool {
		return (state == "" || rec.Status() == state) && (!overdue || len(rec.Overdue(now)) > 0)
	}
	recs, err := s.deps.Orders.List(r.Context(), f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	page := ordersPage{Orders: make([]orders.View, len(recs))}
	for i, rec := range recs {
		page.Orders[i] = rec.View(now)
	}
	if len(recs) == f.Limit {
		last := recs[len(recs)-1]
		page.NextAfter = last.Partner + "/" + last.Number
	}
	writeJSON(w, http.StatusOK, page)
}

// apiOrder shows one order's record: its lines, the 940s sent to its
// warehouses, their 997s, the shipments confirmed and its history.
func (s *Server) apiOrder(w http.ResponseWriter, r *http.Request) {
	if s.deps.Orders == nil {
		s.apiError(w, r, fmt.Errorf("orders: %w", ErrUnavailable))
		return
	}
	partner, number := r.PathValue("partner"), r.PathValue("number")
	for _, err := range []error{pathText("partner", partner), pathText("number", number)} {
		if err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	rec, err := s.deps.Orders.Get(r.Context(), mapping.KindOrder, partner, number)
	if errors.Is(err, orders.ErrNotFound) {
		err = fmt.Errorf("%w: %v", errNotFound, err)
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec.View(s.now()))
}
