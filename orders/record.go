package orders

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/mapping"
)

// State is where an order is in its life.
type State string

// The states of an order, in the order they are reached.
const (
	Received     State = "received"     // known, allocating nothing
	Allocated    State = "allocated"    // open, its lines allocated in the ledger
	Sent         State = "sent"         // a 940 queued to every warehouse that fulfils its lines
	Acknowledged State = "acknowledged" // every warehouse accepted its last 940 (997)
	Shipping     State = "shipping"     // partly shipped (945s received, lines still open)
	Closed       State = "closed"       // every line shipped or closed by its warehouse
	Cancelled    State = "cancelled"    // cancelled by the channel
)

// Record is one order's life: the order as it stands (the state
// SettleOrder reads and produces) and what happened to it.
type Record struct {
	mapping.OrderState
	// Revision counts the order documents that changed the order (new,
	// replace, cancel); each 940 sent names the revision it carries.
	Revision int `json:"revision"`
	// Received is when the order was first received; Allocated when its
	// current lines were allocated (zero once cancelled); Cancelled when
	// it was cancelled (zero while open).
	Received  time.Time `json:"received"`
	Allocated time.Time `json:"allocated,omitzero"`
	Cancelled time.Time `json:"cancelled,omitzero"`
	// PurchaseOrder (940 W05-03) and ShipTo (N1*ST) are passed on to the
	// warehouse.
	PurchaseOrder string           `json:"purchase_order,omitempty"`
	ShipTo        *documents.Party `json:"ship_to,omitempty"`
	// Reservations are the lines of an order made through the
	// reservations API, by idempotency key (empty for a channel's
	// document): the order's lines are their sum.
	Reservations map[string]mapping.OrderLine `json:"reservations,omitempty"`
	// Dispatches are the order's lines sent to each warehouse location.
	Dispatches []Dispatch `json:"dispatches,omitempty"`
	// Events is the order's history, oldest first.
	Events []Event `json:"events,omitempty"`
}

// Event is one step of an order's life.
type Event struct {
	At     time.Time `json:"at"`
	What   string    `json:"what"`
	Detail string    `json:"detail,omitempty"`
	// Message is the inbox message the step came from (the order
	// document, the warehouse's 945); Outbox the outbound message it
	// concerns (a 940 sent, the 940 a 997 acknowledged). Zero: none (or
	// a record from before they were kept).
	Message uint64 `json:"message,omitempty"`
	Outbox  uint64 `json:"outbox,omitempty"`
}

// Cite names message as the source of the events from index from on
// that name none (the steps a warehouse's 945 added: see Tx.Ship).
func (r *Record) Cite(from int, message uint64) {
	for i := max(from, 0); i < len(r.Events); i++ {
		if r.Events[i].Message == 0 {
			r.Events[i].Message = message
		}
	}
}

// lastEvent returns the event noted last.
func (r *Record) lastEvent() *Event { return &r.Events[len(r.Events)-1] }

// Dispatch is what one warehouse location was asked to ship for the
// order: the lines of its last 940, its sends and its shipments.
type Dispatch struct {
	// Warehouse is the warehouse partner's id; Location our location it
	// fulfils; Code the partner's code for it (N1*WH).
	Warehouse string `json:"warehouse"`
	Location  string `json:"location"`
	Code      string `json:"code"`
	// Order is the depositor order number the warehouse knows the order
	// by (our 940's W05-02, its 945's W06-02).
	Order string `json:"order"`
	// Lines are the lines of the last 940 sent; line n is W01 number n.
	Lines []Line `json:"lines"`
	// Cancelled is set once a cancel (W05-01 F) was sent.
	Cancelled bool `json:"cancelled,omitempty"`
	// Sends are the 940s queued, oldest first.
	Sends []Send `json:"sends,omitempty"`
	// ShipDue is when the warehouse's 945 is due (zero: no window).
	ShipDue time.Time `json:"ship_due,omitzero"`
	// Shipments are the warehouse's shipment confirmations applied.
	Shipments []Shipment `json:"shipments,omitempty"`
	// Held says why the last 940 the order asked for was not sent (an
	// item the warehouse's cross-reference misses); empty once sent.
	Held string `json:"held,omitempty"`
}

// Line is one line of a 940 we sent and what was shipped of it.
type Line struct {
	SKU      string `json:"sku"`
	Item     string `json:"item"` // the warehouse's item id
	Quantity int64  `json:"quantity"`
	Shipped  int64  `json:"shipped"`
	// Status is the last W12-01 status confirmed for the line.
	Status string `json:"status,omitempty"`
	// Closed: the line is shipped or its remainder released (CC, CP,
	// IC...); a backorder (BP) keeps it open.
	Closed bool `json:"closed,omitempty"`
}

// Send is one 940 queued to a warehouse.
type Send struct {
	Revision int    `json:"revision"`
	Purpose  string `json:"purpose"`  // W05-01: N new, R change, F cancel
	Document string `json:"document"` // the order document (ledger key) that asked for it
	Outbox   uint64 `json:"outbox"`
	// Interchange and Group are the 940's ISA13 and GS06.
	Interchange string    `json:"interchange"`
	Group       string    `json:"group"`
	Queued      time.Time `json:"queued"`
	// AckDue is when the warehouse's 997 is due (zero: none expected).
	AckDue time.Time `json:"ack_due,omitzero"`
	// AckState is the warehouse's verdict (accepted, accepted_with_errors,
	// rejected), empty until its 997 comes; AckAt when it came.
	AckState string    `json:"ack_state,omitempty"`
	AckAt    time.Time `json:"ack_at,omitzero"`
}

// Shipment is one shipment confirmation (945) applied to a dispatch.
type Shipment struct {
	ID      string     `json:"id"` // W06-04
	Applied time.Time  `json:"applied"`
	Lines   []ShipLine `json:"lines"`
}

// Key returns an order's storage key: partner, a zero byte, number.
func Key(partner, number string) []byte {
	return append(append([]byte(partner), 0), number...)
}

// KindKey returns the storage key of a record of kind: an order's is
// Key(partner, number); another kind's (a shipment) is partner, a zero
// byte, the kind, a zero byte, number.
func KindKey(kind mapping.OrderKind, partner, number string) []byte {
	if kind == mapping.KindOrder {
		return Key(partner, number)
	}
	k := append(append(append([]byte(partner), 0), kind...), 0)
	return append(k, number...)
}

// key returns the record's storage key.
func (r *Record) key() []byte { return KindKey(r.Kind, r.Partner, r.Number) }

// New returns the record of an order not seen before.
func New(partner, number string) *Record {
	return &Record{OrderState: mapping.OrderState{Partner: partner, Number: number}}
}

// Clone returns a deep enough copy of r to change without touching r.
func (r *Record) Clone() *Record {
	c := *r
	c.Lines = slices.Clone(r.Lines)
	c.Events = slices.Clone(r.Events)
	c.Reservations = maps.Clone(r.Reservations)
	c.Dispatches = make([]Dispatch, len(r.Dispatches))
	for i, d := range r.Dispatches {
		d.Lines = slices.Clone(d.Lines)
		d.Sends = slices.Clone(d.Sends)
		d.Shipments = slices.Clone(d.Shipments)
		c.Dispatches[i] = d
	}
	return &c
}

func (r *Record) note(at time.Time, what, format string, args ...any) {
	r.Events = append(r.Events, Event{At: at.UTC(), What: what, Detail: fmt.Sprintf(format, args...)})
}

// Settle records the order's next state, set by an order document (next
// from mapping.Result.SettleOrder) at now. A document that set the order
// before (processed again after a crash) changes nothing but the state.
func (r *Record) Settle(next *mapping.OrderState, purchaseOrder string, shipTo *documents.Party, now time.Time) {
	same := r.By.Document != "" && r.By.Document == next.By.Document
	r.OrderState = *next
	r.Updated = now.UTC()
	if same {
		return
	}
	r.Revision++
	if r.Received.IsZero() {
		r.Received = now.UTC()
		r.note(now, string(Received), "by %s", next.By)
		r.lastEvent().Message = next.By.Message
	}
	if purchaseOrder != "" {
		r.PurchaseOrder = purchaseOrder
	}
	if shipTo != nil {
		r.ShipTo = shipTo
	}
	if next.Open {
		r.Allocated, r.Cancelled = now.UTC(), time.Time{}
		r.note(now, string(Allocated), "revision %d by %s: %s", r.Revision, next.By, describe(next.Lines))
		r.lastEvent().Message = next.By.Message
		return
	}
	r.Allocated, r.Cancelled = time.Time{}, now.UTC()
	r.note(now, string(Cancelled), "revision %d by %s", r.Revision, next.By)
	r.lastEvent().Message = next.By.Message
}

func describe(lines []mapping.OrderLine) string {
	if len(lines) == 0 {
		return "no lines"
	}
	s := ""
	for i, l := range lines {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s@%s %d", l.SKU, l.Location, l.Quantity)
	}
	return s
}

// Dispatch returns the dispatch to a warehouse location, or nil.
func (r *Record) Dispatch(warehouse, location string) *Dispatch {
	for i := range r.Dispatches {
		if d := &r.Dispatches[i]; d.Warehouse == warehouse && d.Location == location {
			return d
		}
	}
	return nil
}

// dispatchByOrder returns the dispatch a warehouse knows by order, or nil.
func (r *Record) dispatchByOrder(warehouse, order string) *Dispatch {
	for i := range r.Dispatches {
		if d := &r.Dispatches[i]; d.Warehouse == warehouse && d.Order == order {
			return d
		}
	}
	return nil
}

// sent reports whether a 940 other than a cancel went out for d.
func (d *Dispatch) sent() bool { return len(d.Sends) > 0 && !d.Cancelled }

// closed reports whether every line of d is closed.
func (d *Dispatch) closed() bool {
	for _, l := range d.Lines {
		if !l.Closed {
			return false
		}
	}
	return len(d.Lines) > 0
}

// Shipped returns what the order's warehouses confirmed shipping of sku
// from location (every 945 applied to its dispatches there).
func (r *Record) Shipped(sku, location string) int64 {
	var n int64
	for i := range r.Dispatches {
		d := &r.Dispatches[i]
		if d.Location != location {
			continue
		}
		for _, l := range d.Lines {
			if l.SKU == sku {
				n += l.Shipped
			}
		}
	}
	return n
}

// Status returns where the order is.
func (r *Record) Status() State {
	switch {
	case !r.Open && !r.Cancelled.IsZero():
		return Cancelled
	case !r.Open:
		return Received
	}
	live, acked, shipped, closed := 0, 0, 0, 0
	for i := range r.Dispatches {
		d := &r.Dispatches[i]
		if !d.sent() {
			continue
		}
		live++
		if last := d.Sends[len(d.Sends)-1]; last.AckState != "" && last.AckState != "rejected" {
			acked++
		}
		if len(d.Shipments) > 0 {
			shipped++
		}
		if d.closed() {
			closed++
		}
	}
	switch {
	case live == 0:
		return Allocated
	case closed == live && r.allRouted():
		return Closed
	case shipped > 0:
		return Shipping
	case acked == live:
		return Acknowledged
	}
	return Sent
}

// allRouted reports whether every line of the order went to a warehouse.
func (r *Record) allRouted() bool {
	for _, l := range r.Lines {
		d := r.Dispatch(dispatchWarehouse(r, l.Location), l.Location)
		if d == nil || !d.sent() {
			return false
		}
	}
	return true
}

func dispatchWarehouse(r *Record, location string) string {
	for _, d := range r.Dispatches {
		if d.Location == location {
			return d.Warehouse
		}
	}
	return ""
}

// Kinds of Attention.
const (
	AttentionHeld     = "held"     // a 940 not sent: an item the warehouse's cross-reference misses
	AttentionRejected = "rejected" // the warehouse's 997 rejected the last 940
	AttentionNo997    = "no_997"   // no 997 for the last 940 within the warehouse's ack window
	AttentionNo945    = "no_945"   // no complete 945 within the warehouse's ship window
)

// Attention is one thing an order needs an operator for: Kind (one of
// the Attention kinds) and Text, which names the warehouse, location,
// 940 and due time.
type Attention struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// Attention lists what the order is waiting for past its due time at
// now (a warehouse's 997 for our last 940, a warehouse's 945), a 940 its
// warehouse rejected (997 AK9 R) and a 940 held back (an item its
// cross-reference misses). Empty when nothing needs attention.
func (r *Record) Attention(now time.Time) []Attention {
	if !r.Open {
		return nil
	}
	var out []Attention
	add := func(kind, format string, args ...any) {
		out = append(out, Attention{Kind: kind, Text: fmt.Sprintf(format, args...)})
	}
	for i := range r.Dispatches {
		d := &r.Dispatches[i]
		if d.Held != "" {
			add(AttentionHeld, "the 940 to %s for %s is held: %s", d.Warehouse, d.Location, d.Held)
		}
		if !d.sent() {
			continue
		}
		last := d.Sends[len(d.Sends)-1]
		if last.AckState == "rejected" {
			add(AttentionRejected, "%s rejected the 940 of %s (interchange %s) in its 997: it is not going to ship it",
				d.Warehouse, d.Location, last.Interchange)
		}
		if last.AckState == "" && !last.AckDue.IsZero() && now.After(last.AckDue) {
			add(AttentionNo997, "no 997 from %s for the 940 of %s (interchange %s), due %s",
				d.Warehouse, d.Location, last.Interchange, last.AckDue.Format(time.RFC3339))
		}
		if !d.closed() && !d.ShipDue.IsZero() && now.After(d.ShipDue) {
			add(AttentionNo945, "no complete 945 from %s for order %s at %s, due %s",
				d.Warehouse, d.Order, d.Location, d.ShipDue.Format(time.RFC3339))
		}
	}
	return out
}

// Overdue lists the texts of what needs attention (Attention).
func (r *Record) Overdue(now time.Time) []string {
	var out []string
	for _, a := range r.Attention(now) {
		out = append(out, a.Text)
	}
	return out
}

// View is a record with where it stands at a time: its state and what
// is overdue.
type View struct {
	*Record
	State   State    `json:"state"`
	Overdue []string `json:"overdue,omitempty"`
}

// View returns the record as it stands at now.
func (r *Record) View(now time.Time) View {
	return View{Record: r, State: r.Status(), Overdue: r.Overdue(now)}
}

// States lists the states in the order they are reached.
var States = []State{Received, Allocated, Sent, Acknowledged, Shipping, Closed, Cancelled}
