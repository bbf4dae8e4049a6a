package mapping

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
)

// Order identity. Partners re-send orders under new interchange, group
// and set control numbers, so an order document (a 940 today, an 850
// later) is identified by partner + order number (940 W05-02, 850 BEG03),
// and what it does depends on the order as it stands, which the caller
// keeps (an OrderState per order) and hands to Result.SettleOrder:
//
//   - new (940 W05-01 N, 850 BEG01 00): allocates its lines. When the
//     order is already open, the same lines make it a duplicate (nothing
//     posted) and other lines an error naming both documents.
//   - cancel (F, 01): releases what the open order allocated.
//   - replace (R, 05): releases what the open order allocated and
//     allocates the new lines, in one ledger document (atomic).
//
// A cancel or replace of an order that is not open is an error.
//
// A shipment (856) is identified the same way, by partner + shipment id
// (BSN02), with Kind KindShipment: received again with the same lines,
// it is a duplicate; with other lines, an error naming both documents.
// A replace (BSN01 05) with other lines is refused with an error (not
// supported: the in-transit stock of the first may have been received
// since); one of an unknown shipment is posted as new.

// OrderAction is what an order document asks of its order.
type OrderAction string

// Order actions.
const (
	OrderNew     OrderAction = "new"     // 940 W05-01 N; 850 BEG01 00
	OrderCancel  OrderAction = "cancel"  // 940 W05-01 F; 850 BEG01 01
	OrderReplace OrderAction = "replace" // 940 W05-01 R; 850 BEG01 05
)

// OrderKind says what an order document identifies: an order (the
// default) or a shipment.
type OrderKind string

// Order kinds.
const (
	KindOrder    OrderKind = ""         // 940 W05-02; 850 BEG03
	KindShipment OrderKind = "shipment" // 856 BSN02
)

// noun names the kind for messages.
func (k OrderKind) noun() string {
	if k == KindShipment {
		return "shipment"
	}
	return "order"
}

// OrderLine is what an order holds at one position: the sum of its lines
// there, in base units. A shipment's line also has the date its stock is
// due (Due, YYYY-MM-DD; empty when undated).
type OrderLine struct {
	SKU      string `json:"sku"`
	Location string `json:"location"`
	Quantity int64  `json:"quantity"`
	Due      string `json:"due,omitempty"`
}

// Order is the order an order document names and what it asks.
type Order struct {
	Kind    OrderKind // an order (the default) or a shipment
	Partner string
	Number  string
	Action  OrderAction
	// Lines are the document's lines per position, sorted by SKU then
	// location (none for a cancel).
	Lines []OrderLine
	// PurchaseOrder (940 W05-03) and ShipTo (the N1*ST loop), when the
	// document has them, are passed on to the warehouse that ships it.
	PurchaseOrder string
	ShipTo        *documents.Party

	ref ledger.Reference // the reference of the releases SettleOrder adds
	at  time.Time        // their effective time
}

// Origin names what set an order's state: the ledger document, and the
// inbox message that carried it.
type Origin struct {
	Document string `json:"document"`
	Message  uint64 `json:"message,omitempty"`
	Name     string `json:"name,omitempty"` // the message's file name
}

func (o Origin) String() string {
	if o.Message == 0 {
		return "document " + o.Document
	}
	return fmt.Sprintf("message %d (%s, document %s)", o.Message, o.Name, o.Document)
}

// OrderState is an order as it stands, kept by the caller between
// documents (keyed by partner + number).
type OrderState struct {
	Kind    OrderKind   `json:"kind,omitempty"`
	Partner string      `json:"partner"`
	Number  string      `json:"number"`
	Open    bool        `json:"open"`
	Lines   []OrderLine `json:"lines"` // open: what it allocates; cancelled: what it allocated then
	By      Origin      `json:"by"`
	Updated time.Time   `json:"updated"`
}

// OrderError is an order document that does not fit its order as it
// stands. It wraps ErrOrderConflict, ErrUnknownOrder or
// ErrShipmentConflict.
type OrderError struct {
	Kind            OrderKind
	Partner, Number string
	Action          OrderAction
	This            Origin
	Prev            *Origin // what set the order's state; nil when unknown
	Err             error
	Msg             string
}

func (e *OrderError) Error() string {
	s := fmt.Sprintf("%s %s of partner %s: %s by %s: %v", e.Kind.noun(), e.Number, e.Partner, e.Action, e.This, e.Err)
	if e.Prev != nil {
		s += "; the " + e.Kind.noun() + " was set by " + e.Prev.String()
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Unwrap returns the sentinel.
func (e *OrderError) Unwrap() error { return e.Err }

// Brief is the error for a place that already names the order and the
// message (a message's errors): what was refused and why, and what set
// the order's state, without repeating the order, partner and document.
func (e *OrderError) Brief() string {
	s := fmt.Sprintf("%s refused (%v)", e.Action, e.Err)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Prev != nil {
		s += "; the order was set by " + e.Prev.String()
	}
	return s
}

// MergeOrderLines merges lines per position (adding their quantities) and
// sorts them by SKU, then location, as Order.Lines and OrderState.Lines
// are kept. It reuses lines' array.
func MergeOrderLines(lines []OrderLine) []OrderLine { return orderLines(lines) }

// orderLines merges lines per position and sorts them.
func orderLines(lines []OrderLine) []OrderLine {
	slices.SortStableFunc(lines, func(a, b OrderLine) int {
		return cmp.Or(cmp.Compare(a.SKU, b.SKU), cmp.Compare(a.Location, b.Location), cmp.Compare(a.Due, b.Due))
	})
	out := lines[:0]
	for _, l := range lines {
		if n := len(out); n > 0 && out[n-1].SKU == l.SKU && out[n-1].Location == l.Location && out[n-1].Due == l.Due {
			out[n-1].Quantity += l.Quantity
			continue
		}
		out = append(out, l)
	}
	return out
}

// SettleOrder settles an order document's result against its order as it
// stands (prev; nil when the order is unknown); by names this document
// and the message that carries it. It adds the releases a cancel or a
// replace needs, and returns the order's next state. dup reports a document that repeats
// the order as it stands: its movements are dropped, nothing is to be
// posted, and next is prev. A document that does not fit is an
// *OrderError, and nothing is to be posted.
//
// The same document settled again against the state it produced (a
// message processed again after a crash) posts movements under the same
// source keys, which the ledger reports as duplicates.
func (r *Result) SettleOrder(prev *OrderState, by Origin) (next *OrderState, dup bool, err error) {
	o := r.Order
	if o == nil {
		return nil, false, fmt.Errorf("settling %s: %w", r.Key, ErrNotOrder)
	}
	fail := func(sentinel error, format string, args ...any) (*OrderState, bool, error) {
		e := &OrderError{Kind: o.Kind, Partner: o.Partner, Number: o.Number, Action: o.Action, This: by, Err: sentinel, Msg: fmt.Sprintf(format, args...)}
		if prev != nil {
			p := prev.By
			e.Prev = &p
		}
		r.Movements = r.Movements[:0]
		return nil, false, e
	}
	again := prev != nil && prev.By.Document == r.Key // this very document set the state
	open := prev != nil && prev.Open
	state := &OrderState{Kind: o.Kind, Partner: o.Partner, Number: o.Number, Open: true, Lines: o.Lines, By: by}
	if o.Kind == KindShipment {
		switch {
		case again || prev == nil:
			return state, false, nil
		case slices.Equal(prev.Lines, o.Lines):
			r.Movements = r.Movements[:0]
			return prev, true, nil
		case o.Action == OrderReplace:
			return fail(ErrShipmentConflict, "replacing a shipment (BSN01 05) is not supported: it was received with %s, this one has %s; "+
				"the first notice's in-transit stock stays as it is. Correct the ledger by hand, or have the partner send the difference under a new shipment id",
				describeLines(prev.Lines), describeLines(o.Lines))
		}
		return fail(ErrShipmentConflict, "it was received with %s; this one has %s: nothing of it was posted. A corrected notice is a replace (BSN01 05), "+
			"which is not supported; have the partner send the difference under a new shipment id", describeLines(prev.Lines), describeLines(o.Lines))
	}
	switch o.Action {
	case OrderNew:
		switch {
		case again || !open:
			return state, false, nil
		case slices.Equal(prev.Lines, o.Lines):
			r.Movements = r.Movements[:0]
			return prev, true, nil
		}
		return fail(ErrOrderConflict, "the order is open with other lines (%s); this one has %s: send a replace (%s) to change it",
			describeLines(prev.Lines), describeLines(o.Lines), o.replaceCode())
	case OrderCancel:
		switch {
		case again:
			state.Open, state.Lines = false, prev.Lines
		case prev == nil:
			return fail(ErrUnknownOrder, "no such order was received")
		case !open:
			r.Movements = r.Movements[:0]
			return prev, true, nil // cancelled already
		default:
			state.Open, state.Lines = false, prev.Lines
		}
		r.addReleases(prev.Lines, nil)
		return state, false, nil
	case OrderReplace:
		switch {
		case again:
		case !open && prev == nil:
			return fail(ErrUnknownOrder, "no such order was received")
		case !open:
			return fail(ErrUnknownOrder, "the order was cancelled")
		case slices.Equal(prev.Lines, o.Lines):
			r.Movements = r.Movements[:0]
			return prev, true, nil
		}
		r.addReleases(prev.Lines, o.Lines)
		return state, false, nil
	}
	return fail(ErrUnknownOrder, "unknown action %q", o.Action)
}

// LessShipped lowers what a replace allocates by what its order shipped
// before (shipped: the quantity shipped of a SKU at a location): the
// replace's releases take the order's allocation as it stands, which
// shipments already took down, so allocating each line in full again
// would hold what left the building. Each position allocates what is
// still open (ordered − shipped, not below zero); an allocation down to
// nothing is dropped. The order's lines stay as ordered.
func (r *Result) LessShipped(shipped func(sku, location string) int64) {
	left := map[[2]string]int64{} // shipped, not yet taken off an allocation
	ms := r.Movements[:0]
	for _, m := range r.Movements {
		if m.Kind == ledger.KindAllocate {
			p := [2]string{m.SKU, m.Location}
			n, ok := left[p]
			if !ok {
				n = shipped(m.SKU, m.Location)
			}
			take := min(n, m.Quantity)
			m.Quantity -= take
			left[p] = n - take
			if m.Quantity == 0 {
				continue
			}
		}
		ms = append(ms, m)
	}
	r.Movements = ms
}

// replaceCode names the purpose code of a replace in the order's
// document: BEG01 05 for an 850, W05-01 R for a 940.
func (o *Order) replaceCode() string {
	if o.ref.DocumentType == "850" {
		return "BEG01 05"
	}
	return "W05-01 R"
}

// addReleases puts, before the document's allocations, a release of
// everything the order holds at every position of old and new.
func (r *Result) addReleases(old, new []OrderLine) {
	o := r.Order
	seen := map[[2]string]bool{}
	var rel []ledger.Movement
	for _, l := range append(slices.Clip(old), new...) {
		p := [2]string{l.SKU, l.Location}
		if seen[p] {
			continue
		}
		seen[p] = true
		rel = append(rel, ledger.Movement{SourceKey: r.Key + "|release|" + l.SKU + "|" + l.Location, SKU: l.SKU, Location: l.Location,
			Kind: ledger.KindRelease, Quantity: ledger.MaxQuantity, Effective: o.at, Reference: o.ref})
	}
	r.Movements = append(rel, r.Movements...)
}

// describeLines lists lines for a person: "WIDGET-RED@dallas 5, ...".
func describeLines(lines []OrderLine) string {
	if len(lines) == 0 {
		return "no lines"
	}
	s := ""
	for i, l := range lines {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s@%s %d", l.SKU, l.Location, l.Quantity)
		if l.Due != "" {
			s += " due " + l.Due
		}
	}
	return s
}
