package orders

import (
	"slices"
	"time"

	"github.com/dockside-edi/dockside/mapping"
)

// W05-01 purposes of the 940s we send.
const (
	PurposeNew    = "N"
	PurposeChange = "R"
	PurposeCancel = "F"
)

// Route is the warehouse that fulfils one of our locations.
type Route struct {
	Warehouse string // the warehouse partner's id
	Code      string // its code for the location (N1*WH)
}

// Outgoing is a 940 the order's state asks of one warehouse location.
type Outgoing struct {
	Warehouse, Location, Code string
	// Order is the depositor order number (W05-02) the warehouse knows
	// the order by.
	Order   string
	Purpose string // N, R or F
	// Lines are the lines to send (for a cancel, the lines sent before);
	// the caller fills in each line's Item.
	Lines []Line
	// Key identifies the 940 for the outbox: the warehouse, the location
	// and the order document that asked for it. The same document
	// planned again (processed again after a crash) gets the same key,
	// so the outbox never holds two.
	Key string
}

// Plan returns the 940s the order as it stands asks of the warehouses
// that fulfil its locations (route; false: no warehouse partner), against
// what was sent them: a new one for lines at a location not sent yet, a
// change when the lines differ from the last 940, a cancel when the order
// was cancelled or no longer has lines there. taken reports a warehouse
// order number another order holds (a new dispatch then gets the
// partner's id appended). Plan changes nothing.
func (r *Record) Plan(route func(location string) (Route, bool), taken func(warehouse, order string) bool) []Outgoing {
	want := map[string][]mapping.OrderLine{} // location → lines
	routes := map[string]Route{}
	if r.Open {
		for _, l := range r.Lines {
			rt, ok := route(l.Location)
			if !ok {
				continue
			}
			routes[l.Location] = rt
			want[l.Location] = append(want[l.Location], l)
		}
	}
	perWarehouse := map[string]int{}
	for _, rt := range routes {
		perWarehouse[rt.Warehouse]++
	}
	var out []Outgoing
	key := func(warehouse, location string) string {
		return "940|" + warehouse + "|" + location + "|" + r.By.Document
	}
	for _, loc := range sortedKeys(want) {
		rt := routes[loc]
		d := r.Dispatch(rt.Warehouse, loc)
		o := Outgoing{Warehouse: rt.Warehouse, Location: loc, Code: rt.Code, Purpose: PurposeNew, Key: key(rt.Warehouse, loc)}
		var before []Line
		switch {
		case d == nil:
			o.Order = r.warehouseOrder(rt, perWarehouse[rt.Warehouse] > 1, taken)
		case d.sent():
			o.Order, o.Purpose, before = d.Order, PurposeChange, d.Lines
		default:
			o.Order = d.Order // held, or cancelled and opened again
		}
		o.Lines = nextLines(want[loc], before)
		if o.Purpose == PurposeChange && sameLines(o.Lines, before) {
			continue
		}
		out = append(out, o)
	}
	for i := range r.Dispatches {
		d := &r.Dispatches[i]
		if !d.sent() {
			continue
		}
		if rt, ok := routes[d.Location]; ok && rt.Warehouse == d.Warehouse {
			continue
		}
		out = append(out, Outgoing{Warehouse: d.Warehouse, Location: d.Location, Code: d.Code, Order: d.Order,
			Purpose: PurposeCancel, Lines: slices.Clone(d.Lines), Key: key(d.Warehouse, d.Location)})
	}
	return out
}

// warehouseOrder chooses the order number a new dispatch goes under: the
// order's own number, with the warehouse's location code appended when
// the order goes to several of its locations, and the channel's id when
// another order holds it at that warehouse.
func (r *Record) warehouseOrder(rt Route, split bool, taken func(warehouse, order string) bool) string {
	n := r.Number
	if split {
		n += "-" + rt.Code
	}
	if taken != nil && taken(rt.Warehouse, n) {
		n += "-" + r.Partner
	}
	return n
}

// nextLines turns the order's lines at one location into 940 lines,
// keeping what was shipped of each SKU before.
func nextLines(lines []mapping.OrderLine, before []Line) []Line {
	out := make([]Line, len(lines))
	for i, l := range lines {
		out[i] = Line{SKU: l.SKU, Quantity: l.Quantity}
		for _, b := range before {
			if b.SKU == l.SKU {
				out[i].Shipped, out[i].Status, out[i].Closed = b.Shipped, b.Status, b.Closed
			}
		}
	}
	return out
}

func sameLines(a, b []Line) bool {
	return slices.EqualFunc(a, b, func(x, y Line) bool { return x.SKU == y.SKU && x.Quantity == y.Quantity })
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// NoteSent records that the 940 o was queued (s: its outbox id, control
// numbers, ack deadline), with o.Lines carrying the warehouse's item ids;
// shipDue is when its 945 is due (zero: no window). Noting the same
// outbox message twice records it once.
func (r *Record) NoteSent(o *Outgoing, s Send, shipDue time.Time, now time.Time) {
	d := r.dispatchFor(o)
	d.Held = ""
	if slices.ContainsFunc(d.Sends, func(x Send) bool { return x.Outbox == s.Outbox }) {
		return
	}
	s.Revision, s.Purpose, s.Document = r.Revision, o.Purpose, r.By.Document
	d.Sends = append(d.Sends, s)
	d.Lines = o.Lines
	d.Cancelled = o.Purpose == PurposeCancel
	if !d.Cancelled && d.ShipDue.IsZero() {
		d.ShipDue = shipDue
	}
	r.note(now, string(Sent), "940 %s (W05-01 %s, order %s) to %s for %s: outbox %d, interchange %s",
		purposeName(o.Purpose), o.Purpose, o.Order, o.Warehouse, o.Location, s.Outbox, s.Interchange)
	r.lastEvent().Outbox = s.Outbox
}

// NoteHeld records that the 940 o could not be built (why: an item the
// warehouse's cross-reference misses): the order waits for an operator.
func (r *Record) NoteHeld(o *Outgoing, why string, now time.Time) {
	d := r.dispatchFor(o)
	if d.Held == why {
		return
	}
	d.Held = why
	r.note(now, "held", "940 %s to %s for %s not sent: %s", purposeName(o.Purpose), o.Warehouse, o.Location, why)
}

func (r *Record) dispatchFor(o *Outgoing) *Dispatch {
	if d := r.Dispatch(o.Warehouse, o.Location); d != nil {
		return d
	}
	r.Dispatches = append(r.Dispatches, Dispatch{Warehouse: o.Warehouse, Location: o.Location, Code: o.Code, Order: o.Order})
	return &r.Dispatches[len(r.Dispatches)-1]
}

func purposeName(p string) string {
	switch p {
	case PurposeNew:
		return "new"
	case PurposeChange:
		return "change"
	case PurposeCancel:
		return "cancel"
	}
	return p
}
