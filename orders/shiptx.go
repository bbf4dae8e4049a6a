package orders

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dockside-edi/dockside/mapping"
)

// Shipped is a shipment confirmation settled against its order within a
// change (Tx.Ship), not yet stored: the caller writes Next before the
// ledger posting of its movements, marked pending (Tx.Begin), posts them
// and settles the mark (Tx.End).
type Shipped struct {
	// Prev is the order's record as it stands; Next the record with the
	// shipment applied, nil when every line was applied before (a
	// warehouse's resend: nothing to post).
	Prev, Next *Record
	// Location is our location the warehouse shipped from: the one the
	// 940 it confirms was sent for.
	Location string
	// Lines are the lines applied now, in the order given.
	Lines []ShippedLine
}

// ShippedLine is one line of a shipment confirmation applied now.
type ShippedLine struct {
	// Index is the line's index in the lines given to Tx.Ship.
	Index int
	// Line is the 940 line (W01 number) it confirms; SKU its SKU.
	Line int
	SKU  string
	// Release is what its status releases of the line's allocation
	// besides what shipped: the rest of the line, when a closing status
	// (CC, CP, IC...) closes it short; 0 otherwise.
	Release int64
}

// Ship settles a shipment confirmation from warehouse (a 945) as
// Book.Ship does (same checks, same errors, lines applied before
// skipped), within a change of the book, but stores nothing: see
// Shipped. A pending mark on the order is settled first (Tx.Get).
func (t *Tx) Ship(warehouse, order, shipment string, lines ...ShipLine) (*Shipped, error) {
	fail := func(line int, sentinel error, format string, args ...any) (*Shipped, error) {
		return nil, &ShipError{Warehouse: warehouse, Order: order, Shipment: shipment, Line: line, Err: sentinel, Msg: fmt.Sprintf(format, args...)}
	}
	if shipment == "" {
		return fail(-1, ErrUnknownOrder, "no shipment id (W06-04)")
	}
	shares := t.b.shares.Load()
	found, err := t.b.store.ByWarehouse(t.ctx, warehouse, order)
	if errors.Is(err, ErrNotFound) {
		return fail(-1, ErrUnknownOrder, "no order %s was sent to %s", order, warehouse)
	}
	if err != nil {
		return nil, err
	}
	// In a shared change the order is locked once found; a shared change
	// that ended since (of this order, perhaps) may have changed it: read
	// again then. (Its end is counted before its unlock, so one that
	// ended before the count above was read above.)
	if err := t.lock(KindKey(mapping.KindOrder, found.Partner, found.Number)); err != nil {
		return nil, err
	}
	stale := t.shared && t.b.shares.Load() != shares
	// found is the record as it stands unless a crash left a mark on it
	// (read again then, the mark settled): a large order is decoded once.
	rec := found
	mark, err := t.b.store.Mark(t.ctx, mapping.KindOrder, found.Partner, found.Number)
	if err == nil && (mark != nil || stale) {
		rec, err = t.Get(mapping.KindOrder, found.Partner, found.Number)
	}
	if err != nil {
		return nil, err
	}
	return rec.Ship(warehouse, order, shipment, t.b.now(), lines...)
}

// Ship settles a shipment confirmation from warehouse (a 945) against
// the record as Tx.Ship does (same checks, same errors, lines applied
// before skipped), at now, and changes nothing: Shipped.Next is a copy of
// the record with the shipment applied. A dry run (dockside partners try)
// uses it on a record read from the book.
func (r *Record) Ship(warehouse, order, shipment string, now time.Time, lines ...ShipLine) (*Shipped, error) {
	fail := func(line int, sentinel error, format string, args ...any) (*Shipped, error) {
		return nil, &ShipError{Warehouse: warehouse, Order: order, Shipment: shipment, Line: line, Err: sentinel, Msg: fmt.Sprintf(format, args...)}
	}
	if shipment == "" {
		return fail(-1, ErrUnknownOrder, "no shipment id (W06-04)")
	}
	rec := r
	next := rec.Clone()
	d := next.dispatchByOrder(warehouse, order)
	if d == nil {
		return fail(-1, ErrUnknownOrder, "no order %s was sent to %s", order, warehouse)
	}
	n, err := applyShipment(d, shipment, lines, now)
	if err != nil {
		var se *ShipError
		if errors.As(err, &se) {
			se.Warehouse, se.Order, se.Shipment = warehouse, order, shipment
		}
		return nil, err
	}
	out := &Shipped{Prev: rec, Location: d.Location}
	if n == 0 {
		return out, nil
	}
	// The lines applied now are the last n of the shipment's.
	si := slices.IndexFunc(d.Shipments, func(s Shipment) bool { return s.ID == shipment })
	fresh := d.Shipments[si].Lines
	fresh = fresh[len(fresh)-n:]
	isFresh := make([]bool, len(d.Lines))
	for _, x := range fresh {
		isFresh[x.Line-1] = true
	}
	var bySKU map[string]int
	for i, l := range lines {
		at := l.Line - 1
		if l.Line == 0 {
			if bySKU == nil {
				bySKU = make(map[string]int, len(d.Lines))
				for j := len(d.Lines) - 1; j >= 0; j-- {
					bySKU[d.Lines[j].SKU] = j
				}
			}
			at = bySKU[l.SKU] // applyShipment found it
		}
		if !isFresh[at] {
			continue
		}
		isFresh[at] = false
		ol := &d.Lines[at]
		sl := ShippedLine{Index: i, Line: at + 1, SKU: ol.SKU}
		if closes[l.Status] && ol.Quantity > ol.Shipped {
			sl.Release = ol.Quantity - ol.Shipped
		}
		out.Lines = append(out.Lines, sl)
	}
	next.note(now, "shipped", "shipment %s from %s (order %s at %s): %d lines", shipment, warehouse, order, d.Location, n)
	if next.Status() == Closed {
		next.note(now, string(Closed), "every line shipped or closed by its warehouse")
	}
	out.Next = next
	return out, nil
}
