package orders_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

var t0 = time.Date(2026, 11, 25, 23, 30, 0, 0, time.UTC)

// sentOrder stores order SO-1 of shopmart, sent to acme-3pl as SO-1 with
// WIDGET-RED 5 (line 1) and WIDGET-BLUE 2 (line 2).
func sentOrder(t *testing.T) (*orders.Book, orders.Store) {
	t.Helper()
	s := openBolt(t)
	t.Cleanup(func() { s.Close() })
	r := orders.New("shopmart", "SO-1")
	r.Settle(&mapping.OrderState{Partner: "shopmart", Number: "SO-1", Open: true,
		Lines: []mapping.OrderLine{{SKU: "WIDGET-BLUE", Location: "dallas", Quantity: 2}, {SKU: "WIDGET-RED", Location: "dallas", Quantity: 5}},
		By:    mapping.Origin{Document: "doc-1"}}, "", nil, t0)
	route := func(string) (orders.Route, bool) { return orders.Route{Warehouse: "acme-3pl", Code: "DAL1"}, true }
	out := r.Plan(route, nil)
	if len(out) != 1 {
		t.Fatalf("plan: %+v", out)
	}
	r.NoteSent(&out[0], orders.Send{Outbox: 1, Interchange: "000000001", Group: "2", Queued: t0}, t0.Add(48*time.Hour), t0)
	if err := s.Put(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return orders.NewBook(s, nil, func() time.Time { return t0.Add(time.Hour) }), s
}

// TestShip: a 945's lines add to their 940 lines, once per (warehouse,
// order, shipment, line); bad lines fail the whole confirmation.
func TestShip(t *testing.T) {
	type shipment struct {
		warehouse, order, id string
		lines                []orders.ShipLine
		applied              int
		err                  error
		errLine              int
	}
	red := func(q int64, st string) orders.ShipLine { return orders.ShipLine{Line: 2, Quantity: q, Status: st} }
	blue := func(q int64, st string) orders.ShipLine {
		return orders.ShipLine{SKU: "WIDGET-BLUE", Quantity: q, Status: st}
	}
	tests := []struct {
		name      string
		shipments []shipment
		shipped   [2]int64 // BLUE, RED after all
		closed    [2]bool
		state     orders.State
	}{
		{
			name:      "complete in one",
			shipments: []shipment{{"acme-3pl", "SO-1", "BOL1", []orders.ShipLine{blue(2, "CC"), red(5, "CC")}, 2, nil, 0}},
			shipped:   [2]int64{2, 5}, closed: [2]bool{true, true}, state: orders.Closed,
		},
		{
			name: "backorder keeps open, the next shipment closes",
			shipments: []shipment{
				{"acme-3pl", "SO-1", "BOL1", []orders.ShipLine{blue(2, "CC"), red(3, "BP")}, 2, nil, 0},
				{"acme-3pl", "SO-1", "BOL2", []orders.ShipLine{red(2, "CC")}, 1, nil, 0},
			},
			shipped: [2]int64{2, 5}, closed: [2]bool{true, true}, state: orders.Closed,
		},
		{
			name:      "partial without backorder and item cancelled close",
			shipments: []shipment{{"acme-3pl", "SO-1", "BOL1", []orders.ShipLine{blue(0, "IC"), red(4, "CP")}, 2, nil, 0}},
			shipped:   [2]int64{0, 4}, closed: [2]bool{true, true}, state: orders.Closed,
		},
		{
			name:      "backorder only: shipping",
			shipments: []shipment{{"acme-3pl", "SO-1", "BOL1", []orders.ShipLine{red(1, "BP")}, 1, nil, 0}},
			shipped:   [2]int64{0, 1}, state: orders.Shipping,
		},
		{
			name: "resent shipment: nothing twice",
			shipments: []shipment{
				{"acme-3pl", "SO-1", "BOL1", []orders.ShipLine{red(3, "BP")}, 1, nil, 0},
				{"acme-3pl", "SO-1", "BOL1", []orders.ShipLine{red(3, "BP")}, 0, nil, 0},
				{"acme-3pl", "SO-1", "BOL1", []orders.ShipLine{red(3, "BP"), blue(1, "BP")}, 1, nil, 0},
			},
			shipped: [2]int64{1, 3}, state: orders.Shipping,
		},
		{
			name: "resent with another quantity: conflict",
			shipments: []shipment{
				{"acme-3pl", "SO-1", "BOL1", []orders.ShipLine{red(3, "BP")}, 1, nil, 0},
				{"acme-3pl", "SO-1", "BOL1", []orders.ShipLine{blue(1, "CC"), red(4, "BP")}, 0, orders.ErrShipmentConflict, 1},
			},
			shipped: [2]int64{0, 3}, state: orders.Shipping,
		},
		{
			name: "more than allocated: nothing of it applied",
			shipments: []shipment{
				{"acme-3pl", "SO-1", "BOL1", []orders.ShipLine{red(3, "BP")}, 1, nil, 0},
				{"acme-3pl", "SO-1", "BOL2", []orders.ShipLine{blue(2, "CC"), red(3, "CC")}, 0, orders.ErrOverShipped, 1},
			},
			shipped: [2]int64{0, 3}, state: orders.Shipping,
		},
		{
			name:      "unknown order",
			shipments: []shipment{{"acme-3pl", "SO-404", "BOL1", []orders.ShipLine{red(1, "CC")}, 0, orders.ErrUnknownOrder, -1}},
			state:     orders.Sent,
		},
		{
			name:      "another warehouse's order",
			shipments: []shipment{{"other-3pl", "SO-1", "BOL1", []orders.ShipLine{red(1, "CC")}, 0, orders.ErrUnknownOrder, -1}},
			state:     orders.Sent,
		},
		{
			name:      "unknown line and SKU",
			shipments: []shipment{{"acme-3pl", "SO-1", "BOL1", []orders.ShipLine{red(1, "CC"), {Line: 3, Quantity: 1, Status: "CC"}}, 0, orders.ErrUnknownLine, 1}},
			state:     orders.Sent,
		},
		{
			name:      "line and SKU disagree",
			shipments: []shipment{{"acme-3pl", "SO-1", "BOL1", []orders.ShipLine{{Line: 1, SKU: "WIDGET-RED", Quantity: 1, Status: "CC"}}, 0, orders.ErrUnknownLine, 0}},
			state:     orders.Sent,
		},
		{
			name:      "unknown status",
			shipments: []shipment{{"acme-3pl", "SO-1", "BOL1", []orders.ShipLine{red(1, "ZZ")}, 0, orders.ErrStatus, 0}},
			state:     orders.Sent,
		},
		{
			name:      "the same line twice in one shipment",
			shipments: []shipment{{"acme-3pl", "SO-1", "BOL1", []orders.ShipLine{red(1, "BP"), red(1, "BP")}, 0, orders.ErrShipmentConflict, 1}},
			state:     orders.Sent,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, s := sentOrder(t)
			ctx := context.Background()
			for i, sh := range tc.shipments {
				_, applied, err := b.Ship(ctx, sh.warehouse, sh.order, sh.id, sh.lines...)
				if !errors.Is(err, sh.err) || applied != sh.applied {
					t.Errorf("shipment %d: applied %d, %v; want %d, %v", i, applied, err, sh.applied, sh.err)
				}
				var se *orders.ShipError
				if sh.err != nil && (!errors.As(err, &se) || se.Line != sh.errLine || se.Order != sh.order || se.Shipment != sh.id) {
					t.Errorf("shipment %d: error %#v, want line %d", i, err, sh.errLine)
				}
			}
			r, err := s.Get(ctx, mapping.KindOrder, "shopmart", "SO-1")
			if err != nil {
				t.Fatal(err)
			}
			d := r.Dispatches[0]
			for i, l := range d.Lines {
				if l.Shipped != tc.shipped[i] || l.Closed != tc.closed[i] {
					t.Errorf("line %d (%s): shipped %d closed %v, want %d %v", i+1, l.SKU, l.Shipped, l.Closed, tc.shipped[i], tc.closed[i])
				}
			}
			if st := r.Status(); st != tc.state {
				t.Errorf("state %s, want %s", st, tc.state)
			}
		})
	}
}

// TestPlan: the 940s an order's state asks of its warehouses.
func TestPlan(t *testing.T) {
	routes := map[string]orders.Route{"dallas": {Warehouse: "acme-3pl", Code: "DAL1"}, "reno": {Warehouse: "acme-3pl", Code: "RNO2"}}
	route := func(loc string) (orders.Route, bool) { r, ok := routes[loc]; return r, ok }
	line := func(sku, loc string, q int64) mapping.OrderLine {
		return mapping.OrderLine{SKU: sku, Location: loc, Quantity: q}
	}
	state := func(doc string, open bool, lines ...mapping.OrderLine) *mapping.OrderState {
		return &mapping.OrderState{Partner: "shopmart", Number: "SO-1", Open: open, Lines: lines, By: mapping.Origin{Document: doc}}
	}
	type want struct{ purpose, location, order string }
	steps := []struct {
		name  string
		next  *mapping.OrderState
		taken bool
		want  []want
	}{
		{"new at a 3PL and at our own store", state("d1", true, line("RED", "dallas", 5), line("RED", "store", 1)), false,
			[]want{{"N", "dallas", "SO-1"}}},
		{"processed again: nothing new", state("d1", true, line("RED", "dallas", 5), line("RED", "store", 1)), false, nil},
		{"changed at the 3PL", state("d2", true, line("RED", "dallas", 3)), false, []want{{"R", "dallas", "SO-1"}}},
		{"changed elsewhere only", state("d3", true, line("RED", "dallas", 3), line("RED", "store", 2)), false, nil},
		{"moved to reno", state("d4", true, line("RED", "reno", 3)), true, []want{{"N", "reno", "SO-1-shopmart"}, {"F", "dallas", "SO-1"}}},
		{"cancelled", state("d5", false, line("RED", "reno", 3)), false, []want{{"F", "reno", "SO-1-shopmart"}}},
		{"opened again", state("d6", true, line("RED", "reno", 3), line("BLUE", "dallas", 1)), false,
			[]want{{"N", "dallas", "SO-1"}, {"N", "reno", "SO-1-shopmart"}}},
	}
	r := orders.New("shopmart", "SO-1")
	for i, st := range steps {
		r.Settle(st.next, "", nil, t0)
		out := r.Plan(route, func(string, string) bool { return st.taken })
		var got []want
		for j := range out {
			o := &out[j]
			got = append(got, want{o.Purpose, o.Location, o.Order})
			if o.Key != "940|acme-3pl|"+o.Location+"|"+st.next.By.Document {
				t.Errorf("%s: key %q", st.name, o.Key)
			}
			r.NoteSent(o, orders.Send{Outbox: uint64(100*i + j + 1)}, time.Time{}, t0)
		}
		if len(got) != len(st.want) {
			t.Errorf("%s: %v, want %v", st.name, got, st.want)
			continue
		}
		for j := range got {
			if got[j] != st.want[j] {
				t.Errorf("%s: %v, want %v", st.name, got, st.want)
			}
		}
	}
	if r.Revision != 6 {
		t.Errorf("revision %d, want 6 (d1 processed again counts once)", r.Revision)
	}
}

// TestOverdue: no 997 within the ack window, no 945 within the ship
// window.
func TestOverdue(t *testing.T) {
	r := orders.New("shopmart", "SO-1")
	r.Settle(&mapping.OrderState{Partner: "shopmart", Number: "SO-1", Open: true,
		Lines: []mapping.OrderLine{{SKU: "RED", Location: "dallas", Quantity: 5}}, By: mapping.Origin{Document: "d1"}}, "", nil, t0)
	out := r.Plan(func(string) (orders.Route, bool) { return orders.Route{Warehouse: "acme-3pl", Code: "DAL1"}, true }, nil)
	r.NoteSent(&out[0], orders.Send{Outbox: 1, AckDue: t0.Add(4 * time.Hour)}, t0.Add(48*time.Hour), t0)
	tests := []struct {
		at    time.Duration
		ack   string
		want  int
		kinds string
	}{
		{time.Hour, "", 0, ""},
		{5 * time.Hour, "", 1, "no_997"},
		{5 * time.Hour, "accepted", 0, ""},
		{49 * time.Hour, "accepted", 1, "no_945"},
		{49 * time.Hour, "", 2, "no_997 no_945"},
		{time.Hour, "rejected", 1, "rejected"},
	}
	for _, tc := range tests {
		c := r.Clone()
		c.Dispatches[0].Sends[0].AckState = tc.ack
		if got := c.Overdue(t0.Add(tc.at)); len(got) != tc.want {
			t.Errorf("at +%s, ack %q: %q, want %d", tc.at, tc.ack, got, tc.want)
		}
		var kinds []string
		for _, a := range c.Attention(t0.Add(tc.at)) {
			kinds = append(kinds, a.Kind)
		}
		if got := strings.Join(kinds, " "); got != tc.kinds {
			t.Errorf("at +%s, ack %q: kinds %q, want %q", tc.at, tc.ack, got, tc.kinds)
		}
	}
}

// TestAcknowledge: the warehouse's 997 for a 940 moves the order to
// acknowledged; a 997 for another outbox message matches nothing.
func TestAcknowledge(t *testing.T) {
	b, s := sentOrder(t)
	ctx := context.Background()
	if ok, err := b.Acknowledge(ctx, "shopmart", "SO-1", 99, "accepted", t0); ok || err != nil {
		t.Errorf("another message: %v %v", ok, err)
	}
	if ok, err := b.Acknowledge(ctx, "shopmart", "SO-404", 1, "accepted", t0); ok || err != nil {
		t.Errorf("an unknown order: %v %v", ok, err)
	}
	if r, _ := s.Get(ctx, mapping.KindOrder, "shopmart", "SO-1"); r.Status() != orders.Sent {
		t.Errorf("before the 997: %s", r.Status())
	}
	if ok, err := b.Acknowledge(ctx, "shopmart", "SO-1", 1, "accepted", t0); !ok || err != nil {
		t.Errorf("the 940's 997: %v %v", ok, err)
	}
	if r, _ := s.Get(ctx, mapping.KindOrder, "shopmart", "SO-1"); r.Status() != orders.Acknowledged || r.Dispatches[0].Sends[0].AckState != "accepted" {
		t.Errorf("after the 997: %s %+v", r.Status(), r.Dispatches[0].Sends)
	}
	if _, err := s.Get(ctx, mapping.KindOrder, "shopmart", "SO-404"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("acknowledging an unknown order stored it: %v", err)
	}
}

// TestBookSettlesPendingMark: a record written before its posting and
// left pending by a crash is settled at the book's next read: kept (and
// handed to WhenPosted) when the ledger holds the posting, else the
// record before is back; a shipment is settled the same, without
// WhenPosted.
func TestBookSettlesPendingMark(t *testing.T) {
	for _, tc := range []struct {
		name     string
		kind     mapping.OrderKind
		posted   bool
		wantQty  int64
		wantSent int // records WhenPosted saw
	}{
		{"order posted", mapping.KindOrder, true, 9, 1},
		{"order not posted", mapping.KindOrder, false, 5, 0},
		{"shipment posted", mapping.KindShipment, true, 9, 0},
		{"shipment not posted", mapping.KindShipment, false, 5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openBolt(t)
			t.Cleanup(func() { s.Close() })
			ctx := context.Background()
			state := func(qty int64, doc string) mapping.OrderState {
				return mapping.OrderState{Kind: tc.kind, Partner: "shopmart", Number: "SO-1", Open: true,
					Lines: []mapping.OrderLine{{SKU: "WIDGET-RED", Location: "dallas", Quantity: qty}}, By: mapping.Origin{Document: doc}}
			}
			prev := &orders.Record{OrderState: state(5, "doc-1")}
			next := &orders.Record{OrderState: state(9, "doc-2")}
			if err := s.Put(ctx, prev); err != nil {
				t.Fatal(err)
			}
			if err := s.Begin(ctx, []orders.Change{{Next: next, Prev: prev, Keys: []string{"doc-2", "legacy-2"}}}); err != nil {
				t.Fatal(err)
			}
			var asked []string
			posted := func(_ context.Context, key string) (bool, error) {
				asked = append(asked, key)
				return tc.posted && key == "legacy-2", nil
			}
			b := orders.NewBook(s, posted, nil)
			sent := 0
			b.WhenPosted(func(_ context.Context, r *orders.Record) error {
				sent++
				r.Revision = 7 // what routing adds is stored
				return nil
			})
			for i := range 2 {
				r, err := b.Get(ctx, tc.kind, "shopmart", "SO-1")
				if err != nil || r.Lines[0].Quantity != tc.wantQty {
					t.Fatalf("read %d: %+v %v", i, r, err)
				}
				if tc.wantSent > 0 && r.Revision != 7 {
					t.Errorf("read %d: what WhenPosted added is not stored: %+v", i, r)
				}
			}
			if len(asked) != 2 || sent != tc.wantSent {
				t.Errorf("ledger asked %q, WhenPosted ran %d times; want both keys, %d", asked, sent, tc.wantSent)
			}
			if m, _ := s.Mark(ctx, tc.kind, "shopmart", "SO-1"); m != nil {
				t.Errorf("mark left: %+v", m)
			}
		})
	}
}

// TestBookKeepsMarkWhenRoutingFails: WhenPosted failing leaves the mark
// for the next read.
func TestBookKeepsMarkWhenRoutingFails(t *testing.T) {
	s := openBolt(t)
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	next := orders.New("shopmart", "SO-1")
	if err := s.Begin(ctx, []orders.Change{{Next: next, Keys: []string{"doc-1"}}}); err != nil {
		t.Fatal(err)
	}
	b := orders.NewBook(s, func(context.Context, string) (bool, error) { return true, nil }, nil)
	fail := errors.New("outbox down")
	b.WhenPosted(func(context.Context, *orders.Record) error { return fail })
	if _, err := b.Get(ctx, mapping.KindOrder, "shopmart", "SO-1"); !errors.Is(err, fail) {
		t.Fatalf("read: %v", err)
	}
	if m, _ := s.Mark(ctx, mapping.KindOrder, "shopmart", "SO-1"); m == nil {
		t.Error("the mark went with routing failed")
	}
	b.WhenPosted(func(context.Context, *orders.Record) error { return nil })
	if r, err := b.Get(ctx, mapping.KindOrder, "shopmart", "SO-1"); err != nil || r.Number != "SO-1" {
		t.Errorf("read again: %+v %v", r, err)
	}
}
