package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/orders"
	"github.com/dockside-edi/dockside/partners"
)

// orderStateLabels are the states as the dashboard names them.
var orderStateLabels = map[orders.State]string{
	orders.Received:     "received",
	orders.Allocated:    "allocated",
	orders.Sent:         "sent to warehouse",
	orders.Acknowledged: "acknowledged",
	orders.Shipping:     "partially shipped",
	orders.Closed:       "closed",
	orders.Cancelled:    "cancelled",
}

// orderStateOption is a state in the filter's list.
type orderStateOption struct {
	State orders.State
	Label string
}

// attentionLabels name the kinds of attention in a pill.
var attentionLabels = map[string]string{
	orders.AttentionNo997:    "no 997",
	orders.AttentionNo945:    "no 945",
	orders.AttentionRejected: "940 rejected",
	orders.AttentionHeld:     "940 held",
}

// attentionItem is one thing an order needs, with its pill's label.
type attentionItem struct {
	orders.Attention
	Label string
}

// orderRow is one order as the dashboard shows it.
type orderRow struct {
	orders.View
	Label     string
	Attention []attentionItem
	// Quantity is what the order's lines hold in all; Warehouses the
	// warehouses its 940s went to.
	Quantity   int64
	Warehouses string
}

func newOrderRow(v orders.View, now time.Time) orderRow {
	row := orderRow{View: v, Label: orderStateLabels[v.State]}
	for _, a := range v.Record.Attention(now) {
		row.Attention = append(row.Attention, attentionItem{a, attentionLabels[a.Kind]})
	}
	var whs []string
	for _, l := range v.Lines {
		row.Quantity += l.Quantity
	}
	for _, d := range v.Dispatches {
		if !slices.Contains(whs, d.Warehouse) {
			whs = append(whs, d.Warehouse)
		}
	}
	row.Warehouses = strings.Join(whs, ", ")
	return row
}

type ordersData struct {
	Query    url.Values
	Orders   []orderRow
	Next     string
	Partners []*partners.Profile
	States   []orderStateOption
}

// ordersListPage lists orders with where each stands, filtered by
// partner, state and overdue, paged by partner/number.
func (s *Server) ordersListPage(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	f, err := parseOrdersQuery(r, 50, now)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	views, next, err := s.listOrders(r, f, now)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := ordersData{Query: r.URL.Query(), Next: next, Partners: s.partners().Profiles()}
	for _, v := range views {
		d.Orders = append(d.Orders, newOrderRow(v, now))
	}
	for _, st := range orders.States {
		d.States = append(d.States, orderStateOption{st, orderStateLabels[st]})
	}
	s.render(w, r, http.StatusOK, "orders", pageData{Title: "Orders", Nav: "orders", Data: d})
}

// orderPage shows one order: where it stands, what is overdue, its
// lines, what went to each warehouse and came back, and its life, each
// step linked to the message it came from.
func (s *Server) orderPage(w http.ResponseWriter, r *http.Request) {
	rec, err := s.order(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	now := s.now()
	row := newOrderRow(rec.View(now), now)
	s.render(w, r, http.StatusOK, "order", pageData{Title: "Order " + rec.Number, Nav: "orders", Data: row})
}
