package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dockside-edi/dockside/gateway"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

func ordersCommand() *command {
	return &command{name: "orders", summary: "follow orders: received, allocated, sent to the warehouse, shipped", subs: []*command{
		{name: "list", summary: "list orders with where each stands", run: runOrdersList},
		{name: "show", summary: "show one order's life", run: runOrdersShow},
	}}
}

func runOrdersList(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "orders list [--partner P] [--state S] [--overdue] [--json] [--data DIR]",
		"Lists orders by partner and order number, with their state (received, allocated, sent, acknowledged,\n"+
			"shipping, closed, cancelled) and what is overdue (no 997 for the 940, no 945 within the warehouse's window).")
	partner := fs.String("partner", "", "only this partner's orders (the channel that sent them)")
	state := fs.String("state", "", "only orders in this state")
	overdue := fs.Bool("overdue", false, "only overdue orders")
	limit := fs.Int("limit", 100, "at most this many")
	asJSON := fs.Bool("json", false, "print JSON")
	gf := addGatewayFlags(fs)
	if _, code, ok := parseArgs(e, fs, args); !ok {
		return code
	}
	if *state != "" && !slices.Contains(orders.States, orders.State(*state)) {
		fmt.Fprintf(e.Stderr, "dockside: --state %q: want one of received, allocated, sent, acknowledged, shipping, closed, cancelled\n", *state)
		return exitUsage
	}
	views, err := readStores(e, gf, "orders list",
		func(c *apiClient) ([]orders.View, error) {
			return remoteOrders(ctx, c, *partner, *state, *overdue, *limit)
		},
		func(g *gateway.Gateway) ([]orders.View, error) {
			now := g.Now()
			recs, err := g.Orders().List(ctx, orders.Filter{Partner: *partner, Limit: *limit, Match: func(r *orders.Record) bool {
				return (*state == "" || r.Status() == orders.State(*state)) && (!*overdue || len(r.Overdue(now)) > 0)
			}})
			views := make([]orders.View, len(recs))
			for i, r := range recs {
				views[i] = r.View(now)
			}
			return views, err
		})
	if err != nil {
		return failed(e, err)
	}
	if *asJSON {
		return writeJSON(e.Stdout, views)
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTNER\tORDER\tSTATE\tREV\tRECEIVED\tLINES\tWAREHOUSES\tOVERDUE")
	for _, v := range views {
		var whs []string
		for _, d := range v.Dispatches {
			whs = append(whs, d.Warehouse+"@"+d.Location)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%d\n", v.Partner, v.Number, v.State, v.Revision, stamp(v.Received),
			len(v.Lines), strings.Join(whs, ","), len(v.Overdue))
	}
	tw.Flush()
	return exitOK
}

func runOrdersShow(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "orders show PARTNER ORDER [--json] [--data DIR]",
		"Shows one order's life: its lines, the 940s sent to its warehouses and their 997s, the shipments\n"+
			"confirmed, what is overdue and its history. Exit 1 when there is no such order.")
	asJSON := fs.Bool("json", false, "print JSON")
	gf := addGatewayFlags(fs)
	pos, code, ok := parseArgs(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) != 2 {
		fs.Usage()
		return exitUsage
	}
	v, err := readStores(e, gf, "orders show",
		func(c *apiClient) (orders.View, error) {
			var v orders.View
			err := c.call(ctx, "GET", "/api/v1/orders/"+url.PathEscape(pos[0])+"/"+url.PathEscape(pos[1]), nil, &v)
			return v, err
		},
		func(g *gateway.Gateway) (orders.View, error) {
			r, err := g.Orders().Get(ctx, mapping.KindOrder, pos[0], pos[1])
			if err != nil {
				return orders.View{}, err
			}
			return r.View(g.Now()), nil
		})
	var ae *apiError
	if errors.Is(err, orders.ErrNotFound) || (errors.As(err, &ae) && ae.Status == 404) {
		fmt.Fprintf(e.Stderr, "dockside: %v\n", err)
		return exitFail
	}
	if err != nil {
		return failed(e, err)
	}
	if *asJSON {
		return writeJSON(e.Stdout, v)
	}
	printOrder(e.Stdout, &v)
	return exitOK
}

// printOrder writes an order's life for a person.
func printOrder(w io.Writer, v *orders.View) {
	fmt.Fprintf(w, "Order %s of %s: %s (revision %d)\n", v.Number, v.Partner, v.State, v.Revision)
	if v.PurchaseOrder != "" {
		fmt.Fprintf(w, "Purchase order: %s\n", v.PurchaseOrder)
	}
	fmt.Fprintf(w, "Received %s; set by %s\n", stamp(v.Received), v.By)
	for _, o := range v.Overdue {
		fmt.Fprintf(w, "OVERDUE: %s\n", o)
	}
	fmt.Fprintln(w, "\nLines:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, l := range v.Lines {
		fmt.Fprintf(tw, "  %s\t%s\t%d\n", l.SKU, l.Location, l.Quantity)
	}
	tw.Flush()
	for _, d := range v.Dispatches {
		fmt.Fprintf(w, "\nWarehouse %s, %s (%s), order %s", d.Warehouse, d.Location, d.Code, d.Order)
		if d.Cancelled {
			fmt.Fprint(w, ", cancelled")
		}
		if !d.ShipDue.IsZero() {
			fmt.Fprintf(w, ", 945 due %s", stamp(d.ShipDue))
		}
		fmt.Fprintln(w)
		if d.Held != "" {
			fmt.Fprintf(w, "  HELD: %s\n", d.Held)
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for i, l := range d.Lines {
			fmt.Fprintf(tw, "  line %d\t%s\t%s\t%d\tshipped %d\t%s\n", i+1, l.SKU, l.Item, l.Quantity, l.Shipped, l.Status)
		}
		tw.Flush()
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range d.Sends {
			ack := s.AckState
			if ack == "" {
				ack = "no 997 yet"
			}
			fmt.Fprintf(tw, "  940 %s\trevision %d\toutbox %d\tinterchange %s\t%s\t%s\n", s.Purpose, s.Revision, s.Outbox, s.Interchange, stamp(s.Queued), ack)
		}
		for _, sh := range d.Shipments {
			fmt.Fprintf(tw, "  945\tshipment %s\t%d lines\t%s\n", sh.ID, len(sh.Lines), stamp(sh.Applied))
		}
		tw.Flush()
	}
	fmt.Fprintln(w, "\nHistory:")
	for _, ev := range v.Events {
		fmt.Fprintf(w, "  %s  %-12s %s\n", stamp(ev.At), ev.What, ev.Detail)
	}
}

// remoteOrders lists orders from GET /api/v1/orders.
func remoteOrders(ctx context.Context, c *apiClient, partner, state string, overdue bool, limit int) ([]orders.View, error) {
	q := url.Values{"limit": {strconv.Itoa(min(max(limit, 1), apiPageSize))}}
	if partner != "" {
		q.Set("partner", partner)
	}
	if state != "" {
		q.Set("state", state)
	}
	if overdue {
		q.Set("overdue", "true")
	}
	var page struct {
		Orders []orders.View `json:"orders"`
	}
	err := c.call(ctx, "GET", "/api/v1/orders", q, &page)
	return page.Orders, err
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
