package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// ordersPage is a page of orders, in partner then order number order.
type ordersPage struct {
	Orders []orders.View `json:"orders"`
	// NextAfter, when set, is the after parameter of the next page.
	NextAfter string `json:"next_after,omitempty"`
}

// orderStateList names the states a state parameter takes.
const orderStateList = "received, allocated, sent, acknowledged, shipping, closed, cancelled"

// parseOrdersQuery reads the order list's filters (partner, state,
// overdue=true) and its page (limit, def when absent; after =
// partner/number) into a store filter; overdue is judged at now.
func parseOrdersQuery(r *http.Request, def int, now time.Time) (orders.Filter, error) {
	v := r.URL.Query()
	f := orders.Filter{Partner: v.Get("partner")}
	state := orders.State(v.Get("state"))
	if state != "" && !slices.Contains(orders.States, state) {
		return f, badParam("state", "want one of "+orderStateList)
	}
	overdue := false
	switch v.Get("overdue") {
	case "", "false":
	case "true":
		overdue = true
	default:
		return f, badParam("overdue", "want true or false")
	}
	var err error
	if f.Limit, err = pageLimit(r, def); err != nil {
		return f, err
	}
	if after := v.Get("after"); after != "" {
		partner, number, ok := strings.Cut(after, "/")
		if !ok || partner == "" || number == "" {
			return f, badParam("after", "want partner/number, the next_after of the previous page")
		}
		f.After = orders.Key(partner, number)
	}
	if state != "" || overdue {
		f.Match = func(rec *orders.Record) bool {
			return (state == "" || rec.Status() == state) && (!overdue || len(rec.Overdue(now)) > 0)
		}
	}
	return f, nil
}

// listOrders returns a page of orders as they stand at now, and the
// after parameter of the next page ("" when this one is not full).
func (s *Server) listOrders(r *http.Request, f orders.Filter, now time.Time) ([]orders.View, string, error) {
	if s.deps.Orders == nil {
		return nil, "", fmt.Errorf("orders: %w", ErrUnavailable)
	}
	recs, err := s.deps.Orders.List(r.Context(), f)
	if err != nil {
		return nil, "", err
	}
	views := make([]orders.View, len(recs))
	for i, rec := range recs {
		views[i] = rec.View(now)
	}
	next := ""
	if len(recs) == f.Limit {
		last := recs[len(recs)-1]
		next = last.Partner + "/" + last.Number
	}
	return views, next, nil
}

// apiOrders lists orders with where each stands: partner, state and
// overdue=true filter; limit and after (partner/number) page.
func (s *Server) apiOrders(w http.ResponseWriter, r *http.Request) {
	if s.deps.Orders == nil {
		s.apiError(w, r, fmt.Errorf("orders: %w", ErrUnavailable))
		return
	}
	now := s.now()
	f, err := parseOrdersQuery(r, 100, now)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	views, next, err := s.listOrders(r, f, now)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ordersPage{Orders: views, NextAfter: next})
}

// order returns one order's record, an error wrapping errNotFound when
// there is none.
func (s *Server) order(r *http.Request) (*orders.Record, error) {
	if s.deps.Orders == nil {
		return nil, fmt.Errorf("orders: %w", ErrUnavailable)
	}
	partner, number := r.PathValue("partner"), r.PathValue("number")
	for _, err := range []error{pathText("partner", partner), pathText("number", number)} {
		if err != nil {
			return nil, err
		}
	}
	rec, err := s.deps.Orders.Get(r.Context(), mapping.KindOrder, partner, number)
	if errors.Is(err, orders.ErrNotFound) {
		err = fmt.Errorf("%w: %v", errNotFound, err)
	}
	return rec, err
}

// apiOrder shows one order's record: its lines, the 940s sent to its
// warehouses, their 997s, the shipments confirmed and its history.
func (s *Server) apiOrder(w http.ResponseWriter, r *http.Request) {
	rec, err := s.order(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec.View(s.now()))
}
