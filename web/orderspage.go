package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

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

// orderRow is one order in the list.
type orderRow struct {
	orders.View
	Label string
	// Quantity is what the order's lines hold in all; Warehouses the
	// warehouses its 940s went to.
	Quantity   int64
	Warehouses string
}

func newOrderRow(v orders.View) orderRow {
	row := orderRow{View: v, Label: orderStateLabels[v.State]}
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
		d.Orders = append(d.Orders, newOrderRow(v))
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
	row := newOrderRow(rec.View(s.now()))
	s.render(w, r, http.StatusOK, "order", pageData{Title: "Order " + rec.Number, Nav: "orders", Data: row})
}
