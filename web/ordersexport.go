package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/orders"
)

// apiOrdersXLSX exports orders (the filters of /api/v1/orders, up to
// Options.MaxExportRows orders): one row per order on the first sheet,
// each step of their lives, with the message it came from, on the
// second.
func (s *Server) apiOrdersXLSX(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	f, err := parseOrdersQuery(r, 1, now)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if s.deps.Orders == nil {
		s.apiError(w, r, fmt.Errorf("orders: %w", ErrUnavailable))
		return
	}
	wb, err := newWorkbook("Orders", "Life")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	defer wb.Close()
	list, err := newSheet(wb, "Orders", "Partner", "Order", "State", "Received (UTC)", "Updated (UTC)", "Lines", "Quantity",
		"Shipped", "Warehouses", "Purchase order", "Overdue")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	life, err := newSheet(wb, "Life", "Partner", "Order", "When (UTC)", "Step", "Detail", "Message", "Outbound")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	rows := 0
	for rows < s.opts.MaxExportRows {
		f.Limit = min(1000, s.opts.MaxExportRows-rows)
		views, next, err := s.listOrders(r, f, now)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		for _, v := range views {
			if err := addOrderRows(list, life, v, now); err != nil {
				s.apiError(w, r, err)
				return
			}
		}
		rows += len(views)
		if next == "" {
			break
		}
		partner, number, _ := strings.Cut(next, "/")
		f.After = orders.Key(partner, number)
	}
	if rows == s.opts.MaxExportRows {
		if err := list.add(fmt.Sprintf("(export capped at %d orders: filter by partner or state)", rows)); err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	s.finishWorkbook(w, r, wb, "dockside-orders-"+now.UTC().Format("20060102-1504")+".xlsx", list, life)
}

// addOrderRows adds an order's row to list and its steps to life.
func addOrderRows(list, life *sheet, v orders.View, now time.Time) error {
	row := newOrderRow(v, now)
	var shipped int64
	for _, d := range v.Dispatches {
		for _, l := range d.Lines {
			shipped += l.Shipped
		}
	}
	if err := list.add(v.Partner, v.Number, row.Label, xlsxTime(v.Received), xlsxTime(v.Updated), len(v.Lines), row.Quantity,
		shipped, row.Warehouses, v.PurchaseOrder, strings.Join(v.Overdue, "; ")); err != nil {
		return err
	}
	for _, e := range v.Events {
		msg, out := any(""), any("")
		if e.Message != 0 {
			msg = e.Message
		}
		if e.Outbox != 0 {
			out = e.Outbox
		}
		if err := life.add(v.Partner, v.Number, xlsxTime(e.At), e.What, e.Detail, msg, out); err != nil {
			return err
		}
	}
	return nil
}
