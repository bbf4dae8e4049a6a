package orders

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dockside-edi/dockside/mapping"
)

// Book changes order records one at a time: each change (Apply) reads a
// record, changes it and stores it while no other change of the book
// runs. Shipment confirmations of different orders run at once
// (Share): each locks the one order it changes. It reads a record
// through its pending mark (see Store): a mark a crash left is settled
// first, against the ledger (posted).
type Book struct {
	store      Store
	posted     Posted
	whenPosted func(ctx context.Context, r *Record) error
	now        func() time.Time
	mu         sync.RWMutex // Apply holds it, Share shares it
	keys       keyLocks     // the order each Share changes
	// shares counts the shared changes ended: a record read before its
	// order's lock is read again when it moved meanwhile (Tx.Ship).
	shares atomic.Uint64
}

// Posted reports whether the ledger holds a posting under a document key
// (the gateway asks the ledger for movements under key + "|").
type Posted func(ctx context.Context, key string) (bool, error)

// NewBook returns a book over a store; posted is the ledger's answer for
// pending marks (nil: a mark's posting counts as made, the record written
// before it is kept); now is the clock (nil: time.Now).
func NewBook(s Store, posted Posted, now func() time.Time) *Book {
	if now == nil {
		now = time.Now
	}
	return &Book{store: s, posted: posted, now: now}
}

// WhenPosted sets fn, run on an order's record whose pending mark is
// settled as posted (a crash came between the posting and End): what
// fn adds to the record (the gateway queues the 940s the posting asked
// for) is stored as the mark goes; an error leaves the mark. Set it
// before the book is used.
func (b *Book) WhenPosted(fn func(ctx context.Context, r *Record) error) { b.whenPosted = fn }

// Store returns the book's store, for reading.
func (b *Book) Store() Store { return b.store }

// Tx is the book while one change runs (Book.Apply, Book.Share): reads
// settle pending marks, writes go to the store.
type Tx struct {
	b   *Book
	ctx context.Context
	// shared: the change runs beside others (Share) and holds the lock
	// of the one order it reads (key; unlock ends it).
	shared bool
	key    string
	unlock func()
	ending *Ending // EndBackground's commit: the order stays locked until it is made
}

// Apply runs fn while no other change of the book runs.
func (b *Book) Apply(ctx context.Context, fn func(tx *Tx) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return fn(&Tx{b: b, ctx: ctx})
}

// Share runs fn beside other shared changes, never beside Apply. fn
// changes one order (a warehouse's shipment confirmation: Tx.Ship): the
// first record it reads is locked until fn returns, and reading another
// fails with ErrShared. Confirmations of different orders so run at
// once, and their commits (the book's, the ledger's) are shared; two of
// one order run one after the other.
//
// When fn ended its marks with Tx.EndBackground, Share returns at once
// and the order stays locked (and the book shared) until that End has
// committed: no other change reads the order in between.
func (b *Book) Share(ctx context.Context, fn func(tx *Tx) error) error {
	b.mu.RLock()
	tx := &Tx{b: b, ctx: ctx, shared: true}
	defer func() {
		release := func() {
			if tx.unlock != nil {
				b.shares.Add(1) // before the unlock: see Tx.Ship
				tx.unlock()
			}
			b.mu.RUnlock()
		}
		if e := tx.ending; e != nil {
			go func() {
				<-e.done
				release()
			}()
			return
		}
		release()
	}()
	return fn(tx)
}

// lock takes the lock of the record under key in a shared change; a
// change that is not shared holds the book.
func (t *Tx) lock(key []byte) error {
	switch {
	case !t.shared:
		return nil
	case t.unlock == nil:
		t.key, t.unlock = string(key), t.b.keys.lock(string(key))
		return nil
	case t.key == string(key):
		return nil
	}
	return fmt.Errorf("orders: %q after %q: %w", key, t.key, ErrShared)
}

// keyLocks are locks by record key, made on demand and dropped once no
// one holds or waits for them.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	users int // holding or waiting
}

// lock locks key and returns its unlock.
func (k *keyLocks) lock(key string) func() {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyLock{}
	}
	l := k.m[key]
	if l == nil {
		l = &keyLock{}
		k.m[key] = l
	}
	l.users++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.users--; l.users == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

// SettleMarked settles every pending mark (a crash left them; see
// Tx.Get) and returns how many records were marked.
func (b *Book) SettleMarked(ctx context.Context) (int, error) {
	rs, err := b.store.Marked(ctx)
	if err != nil {
		return 0, err
	}
	for _, r := range rs {
		if _, err := b.Get(ctx, r.Kind, r.Partner, r.Number); err != nil && !errors.Is(err, ErrNotFound) {
			return 0, err
		}
	}
	return len(rs), nil
}

// Get returns a record as it stands, a pending mark settled first; the
// error wraps ErrNotFound when there is none.
func (b *Book) Get(ctx context.Context, kind mapping.OrderKind, partner, number string) (*Record, error) {
	var r *Record
	err := b.Apply(ctx, func(tx *Tx) error {
		var err error
		r, err = tx.Get(kind, partner, number)
		return err
	})
	return r, err
}

// Get returns a record as it stands: a pending mark (a crash between
// Begin and End) is settled first, the record kept when the ledger holds
// any of the mark's keys, else the one it replaced put back. The error
// wraps ErrNotFound when there is none.
func (t *Tx) Get(kind mapping.OrderKind, partner, number string) (*Record, error) {
	if err := t.lock(KindKey(kind, partner, number)); err != nil {
		return nil, err
	}
	mark, err := t.b.store.Mark(t.ctx, kind, partner, number)
	if err != nil {
		return nil, err
	}
	if mark != nil {
		posted := t.b.posted == nil
		for _, k := range mark.Keys {
			if posted {
				break
			}
			if posted, err = t.b.posted(t.ctx, k); err != nil {
				return nil, err
			}
		}
		out := Outcome{Kind: kind, Partner: partner, Number: number, Posted: posted}
		if r := mark.Next; posted && r != nil && r.Kind == mapping.KindOrder && t.b.whenPosted != nil {
			if err := t.b.whenPosted(t.ctx, r); err != nil {
				return nil, err
			}
			out.Record = r
		}
		if err := t.b.store.End(t.ctx, []Outcome{out}); err != nil {
			return nil, err
		}
	}
	return t.b.store.Get(t.ctx, kind, partner, number)
}

// Put stores a record.
func (t *Tx) Put(r *Record) error { return t.b.store.Put(t.ctx, r) }

// Begin stores records before their postings, marked pending (Store.Begin).
func (t *Tx) Begin(cs []Change) error { return t.b.store.Begin(t.ctx, cs) }

// End settles the pending marks once the postings are made or refused
// (Store.End).
func (t *Tx) End(os []Outcome) error { return t.b.store.End(t.ctx, os) }

// EndBackground is End in a shared change (Share), committed while the
// caller goes on: Share returns at once, the order locked until the
// commit is made. The caller waits for it (Ending.Wait) before it counts
// the marks as ended: a worker so queues its acknowledgement (another
// store's commit) while the book commits. A second call in one change,
// or a call in a change that is not shared, ends at once (End).
func (t *Tx) EndBackground(os []Outcome) *Ending {
	e := &Ending{done: make(chan struct{})}
	if !t.shared || t.ending != nil {
		e.err = t.End(os)
		close(e.done)
		return e
	}
	t.ending = e
	go func() {
		defer close(e.done)
		e.err = t.End(os)
	}()
	return e
}

// Ending is an End committing in the background (Tx.EndBackground).
type Ending struct {
	done chan struct{}
	err  error
}

// Wait waits for the End and returns its error.
func (e *Ending) Wait() error {
	<-e.done
	return e.err
}

// Update reads an order's record (a new one when the order is unknown:
// found is false), hands it to fn, and stores it when fn returns true.
// Updates run one at a time, fn included (fn may post to the ledger and
// queue 940s: no other order document is settled meanwhile).
func (b *Book) Update(ctx context.Context, partner, number string, fn func(r *Record, found bool) (bool, error)) (*Record, error) {
	var r *Record
	err := b.Apply(ctx, func(tx *Tx) error {
		var err error
		r, err = tx.Get(mapping.KindOrder, partner, number)
		found := err == nil
		switch {
		case errors.Is(err, ErrNotFound):
			r = New(partner, number)
		case err != nil:
			return err
		}
		write, err := fn(r, found)
		if err != nil || !write {
			return err
		}
		return tx.Put(r)
	})
	return r, err
}

// Line statuses (945 W12-01, element 368) Ship handles. A closing status
// releases what the line did not ship; backorder and partial keep it
// open for a later shipment.
const (
	StatusComplete      = "CC" // complete
	StatusPartialClosed = "CP" // partial, considered complete, no backorder
	StatusBackorder     = "BP" // partial, backorder to follow
	StatusPartial       = "PR" // partial
	StatusCompleteExtra = "CM" // complete with extra quantity
	StatusSubstituted   = "CS" // complete with substitution
	StatusCancelled     = "IC" // item cancelled
	StatusDeleted       = "DE" // deleted order
)

// closes tells, for each status Ship handles, whether it closes the line.
var closes = map[string]bool{
	StatusComplete: true, StatusPartialClosed: true, StatusCompleteExtra: true, StatusSubstituted: true,
	StatusCancelled: true, StatusDeleted: true, StatusBackorder: false, StatusPartial: false,
}

// ShipLine is one line of a shipment confirmation (a 945's W12).
type ShipLine struct {
	// Line is the W01 number of our 940 the line confirms (the 945's
	// N9*LI); 0: the line is found by SKU.
	Line int `json:"line,omitempty"`
	// SKU is our SKU (the warehouse's item id translated); it must match
	// the line's when Line is set.
	SKU string `json:"sku,omitempty"`
	// Quantity is what was shipped, in base units (W12-03).
	Quantity int64 `json:"quantity"`
	// Status is W12-01.
	Status string `json:"status"`
}

// Ship applies a shipment confirmation from warehouse (a 945): order is
// the order number the warehouse knows (W06-02), shipment its shipment
// id (W06-04). Each line adds to what its 940 line shipped; a closing
// status closes the line, a backorder keeps it open. A line applied
// before under the same (warehouse, order, shipment, line) is skipped
// (a warehouse resends), so is a whole confirmation applied before:
// applied counts the lines applied now. Nothing is applied when any line
// fails: an unknown order or line, more shipped than allocated, an
// unknown status, or a line applied before with other content, each a
// *ShipError naming the line; the confirmation can be applied again once
// the order or the profile is fixed.
func (b *Book) Ship(ctx context.Context, warehouse, order, shipment string, lines ...ShipLine) (rec *Record, applied int, err error) {
	fail := func(line int, sentinel error, format string, args ...any) (*Record, int, error) {
		return nil, 0, &ShipError{Warehouse: warehouse, Order: order, Shipment: shipment, Line: line, Err: sentinel, Msg: fmt.Sprintf(format, args...)}
	}
	if shipment == "" {
		return fail(-1, ErrUnknownOrder, "no shipment id (W06-04)")
	}
	found, err := b.store.ByWarehouse(ctx, warehouse, order)
	if errors.Is(err, ErrNotFound) {
		return fail(-1, ErrUnknownOrder, "no order %s was sent to %s", order, warehouse)
	}
	if err != nil {
		return nil, 0, err
	}
	var shipErr error
	rec, err = b.Update(ctx, found.Partner, found.Number, func(r *Record, _ bool) (bool, error) {
		next := r.Clone()
		d := next.dispatchByOrder(warehouse, order)
		if d == nil {
			_, _, shipErr = fail(-1, ErrUnknownOrder, "no order %s was sent to %s", order, warehouse)
			return false, nil
		}
		n, err := applyShipment(d, shipment, lines, b.now())
		if err != nil {
			shipErr = err
			return false, nil
		}
		if n == 0 {
			return false, nil
		}
		applied = n
		next.note(b.now(), "shipped", "shipment %s from %s (order %s at %s): %d lines", shipment, warehouse, order, d.Location, n)
		if next.Status() == Closed {
			next.note(b.now(), string(Closed), "every line shipped or closed by its warehouse")
		}
		*r = *next
		return true, nil
	})
	if shipErr != nil {
		var se *ShipError
		if errors.As(shipErr, &se) {
			se.Warehouse, se.Order, se.Shipment = warehouse, order, shipment
		}
		return nil, 0, shipErr
	}
	return rec, applied, err
}

// applyShipment checks every line, then applies them to d; it returns how
// many were applied (lines applied before are skipped).
func applyShipment(d *Dispatch, shipment string, lines []ShipLine, now time.Time) (int, error) {
	fail := func(line int, sentinel error, format string, args ...any) (int, error) {
		return 0, &ShipError{Line: line, Err: sentinel, Msg: fmt.Sprintf(format, args...)}
	}
	var prior *Shipment
	for i := range d.Shipments {
		if d.Shipments[i].ID == shipment {
			prior = &d.Shipments[i]
		}
	}
	shipped := make([]int64, len(d.Lines))  // what this shipment adds per line
	confirmed := make([]bool, len(d.Lines)) // confirmed in this shipment (a 945 may hold 100,000 lines: no scans per line)
	var bySKU map[string]int                // first line of each SKU, for lines without a number
	var before map[int]ShipLine             // the shipment's lines applied before
	if prior != nil {
		before = make(map[int]ShipLine, len(prior.Lines))
		for _, p := range prior.Lines {
			before[p.Line] = p
		}
	}
	var fresh []ShipLine
	for i, l := range lines {
		at := l.Line - 1
		if l.Line == 0 {
			if bySKU == nil {
				bySKU = make(map[string]int, len(d.Lines))
				for j := len(d.Lines) - 1; j >= 0; j-- {
					bySKU[d.Lines[j].SKU] = j
				}
			}
			at = -1
			if j, ok := bySKU[l.SKU]; ok {
				at = j
			}
		}
		if at < 0 || at >= len(d.Lines) {
			return fail(i, ErrUnknownLine, "the 940 sent as order %s has %d lines, none is %s", d.Order, len(d.Lines), describeShipLine(l))
		}
		ol := &d.Lines[at]
		if l.SKU != "" && l.SKU != ol.SKU {
			return fail(i, ErrUnknownLine, "line %d of order %s is %s, not %s", at+1, d.Order, ol.SKU, l.SKU)
		}
		l.Line, l.SKU = at+1, ol.SKU
		if _, ok := closes[l.Status]; !ok {
			return fail(i, ErrStatus, "W12-01 %q (want CC, CP, BP, PR, CM, CS, IC or DE)", l.Status)
		}
		if l.Quantity < 0 {
			return fail(i, ErrOverShipped, "a negative quantity shipped (%d)", l.Quantity)
		}
		if p, ok := before[l.Line]; ok {
			if p.Quantity != l.Quantity || p.Status != l.Status {
				return fail(i, ErrShipmentConflict, "line %d was confirmed %d %s, now %d %s", l.Line, p.Quantity, p.Status, l.Quantity, l.Status)
			}
			continue // applied before: a resend
		}
		if confirmed[at] {
			return fail(i, ErrShipmentConflict, "line %d is confirmed twice in the shipment", l.Line)
		}
		confirmed[at] = true
		shipped[at] += l.Quantity
		if total := ol.Shipped + shipped[at]; total > ol.Quantity {
			return fail(i, ErrOverShipped, "line %d (%s) allocates %d, shipped %d before, %d now", l.Line, ol.SKU, ol.Quantity, ol.Shipped, l.Quantity)
		}
		fresh = append(fresh, l)
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	for _, l := range fresh {
		ol := &d.Lines[l.Line-1]
		ol.Shipped += l.Quantity
		ol.Status = l.Status
		ol.Closed = closes[l.Status] || ol.Shipped == ol.Quantity
	}
	if prior != nil {
		prior.Lines = append(prior.Lines, fresh...)
	} else {
		d.Shipments = append(d.Shipments, Shipment{ID: shipment, Applied: now.UTC(), Lines: fresh})
	}
	return len(fresh), nil
}

func describeShipLine(l ShipLine) string {
	if l.Line != 0 {
		return fmt.Sprintf("line %d", l.Line)
	}
	return "SKU " + l.SKU
}

// Acknowledge records a warehouse's acknowledgement (997) of the 940 in
// outbox message id sent for an order: state is the outbox's verdict
// (accepted, accepted_with_errors, rejected). It returns false when no
// 940 of the order went out as that message.
func (b *Book) Acknowledge(ctx context.Context, partner, number string, id uint64, state string, at time.Time) (bool, error) {
	matched := false
	_, err := b.Update(ctx, partner, number, func(r *Record, found bool) (bool, error) {
		if !found {
			return false, nil
		}
		for i := range r.Dispatches {
			d := &r.Dispatches[i]
			for j := range d.Sends {
				s := &d.Sends[j]
				if s.Outbox != id {
					continue
				}
				matched = true
				if s.AckState == state {
					return false, nil
				}
				s.AckState, s.AckAt = state, at.UTC()
				r.note(at, string(Acknowledged), "997 from %s for the 940 of %s (interchange %s): %s", d.Warehouse, d.Location, s.Interchange, state)
				r.lastEvent().Outbox = id
				return true, nil
			}
		}
		return false, nil
	})
	return matched, err
}
