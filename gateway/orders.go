package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// orderBook keeps every order's record (orders.Record: its state, open
// or cancelled, its lines, the document that set it, and its life), and
// every ship notice's shipment (partner + BSN02: its state only), so
// that an order document is settled against its order, not only its
// control numbers.
//
// The book and the ledger are two files. The next record is written
// before the ledger posting, marked pending with the record it replaces
// (orders.Store.Begin); once posted, the 940s the order asks of the
// warehouses are queued and the record as it then stands replaces the
// pending one, the mark removed (End); a posting the ledger refused puts
// the previous record back. A crash in between leaves the mark: the next
// read of the order (orders.Book) asks the ledger whether the document
// was posted, and keeps the next record or puts the previous one back.
// So a message settled after the crash (the partner's resend of an order
// it had no acknowledgement for, say) sees the order as the ledger has
// it, and the interrupted message processed again settles to the same
// movements, which the ledger reports as duplicates. The order kept
// after such a crash is routed as its mark goes (WhenPosted): the 940s
// queued before the crash, if any, are found in the outbox (keyed by
// warehouse, location and order document), not queued twice.
type orderBook struct {
	store orders.Store
	book  *orders.Book // one message's order documents settled, posted and routed at a time
	// afterPost, when set (tests), runs between a posting and the
	// removal of its pending mark; an error stops there, as a crash would.
	afterPost func() error
}

// openOrderBook opens the order book kept in st (which the caller
// closes when this fails, else the book's close does); route queues
// the 940s of an order whose posting a crash cut off from them (see
// orders.Book.WhenPosted). A new book (a
// data folder of a version without one) is first filled from the
// ledger's 940 and 850 postings, so that orders opened before the upgrade are
// known: re-sent, they are duplicates; changed or cancelled, they are
// found.
func openOrderBook(ctx context.Context, st orders.Store, l ledger.Store, log *slog.Logger, now func() time.Time,
	route func(context.Context, *orders.Record) error) (*orderBook, error) {
	posted := func(ctx context.Context, key string) (bool, error) { return l.HasSourcePrefix(ctx, key+"|") }
	b := &orderBook{store: st, book: orders.NewBook(st, posted, now)}
	b.book.WhenPosted(route) // a crash between the posting and its 940s
	seeded, err := st.Seeded(ctx)
	if err == nil && !seeded {
		err = b.seed(ctx, l, log)
	}
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	return b, nil
}

// seed fills the book from the ledger's postings of 940 and 850
// movements, in order: a document that allocates for an order opens it with those lines
// (an original or a change); one that only releases cancels it. The
// records and the mark that seeding is done are written in one step: a
// crash before it seeds again at the next start.
func (b *orderBook) seed(ctx context.Context, l ledger.Store, log *slog.Logger) error {
	states := map[string]*mapping.OrderState{}
	var seq uint64
	for {
		changes, err := l.ChangesSince(ctx, seq, 1) // one posting at a time: a large 846 holds a million movements
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			break
		}
		for _, ch := range changes {
			seq = ch.Seq
			seedChange(states, &ch)
		}
	}
	recs := make([]*orders.Record, 0, len(states))
	for _, st := range states {
		r := orders.New(st.Partner, st.Number)
		r.Settle(st, "", nil, st.Updated)
		recs = append(recs, r)
	}
	err := b.store.Seed(ctx, recs)
	if err == nil && len(states) > 0 {
		log.Info("order book filled from the ledger's 940 and 850 postings", "orders", len(states), "postings read", seq)
	}
	return err
}

// orderDocumentType reports whether a ledger reference's document type
// is an order document's (a 940 or an 850: an order identified by
// partner + number). Reservations are not: the ledger does not say which
// had a ship-to (those are orders), and reservations with a ship-to came
// after the order book, so a data folder holding any is seeded already.
func orderDocumentType(t string) bool { return t == "940" || t == "850" }

// seedChange applies one posting's order document movements to states.
func seedChange(states map[string]*mapping.OrderState, ch *ledger.Change) {
	type doc struct {
		partner, order string
		lines          []mapping.OrderLine
		allocates      bool
	}
	var docs []*doc
	for i := range ch.Movements {
		m := &ch.Movements[i]
		r := m.Reference
		if !orderDocumentType(r.DocumentType) || r.Order == "" || (m.Kind != ledger.KindAllocate && m.Kind != ledger.KindRelease) {
			continue
		}
		var d *doc
		for _, x := range docs {
			if x.partner == r.Partner && x.order == r.Order {
				d = x
			}
		}
		if d == nil {
			d = &doc{partner: r.Partner, order: r.Order}
			docs = append(docs, d)
		}
		if m.Kind == ledger.KindAllocate {
			d.allocates = true
			d.lines = append(d.lines, mapping.OrderLine{SKU: m.SKU, Location: m.Location, Quantity: m.Quantity})
		}
	}
	for _, d := range docs {
		key := string(orders.Key(d.partner, d.order))
		st := &mapping.OrderState{Partner: d.partner, Number: d.order, Open: d.allocates,
			By: mapping.Origin{Document: ch.Document}, Updated: ch.Recorded}
		if d.allocates {
			st.Lines = mapping.MergeOrderLines(d.lines)
		} else if prev := states[key]; prev != nil {
			st.Lines = prev.Lines
		}
		states[key] = st
	}
}

func (b *orderBook) close() error { return b.store.Close() }

// get returns a record (an order's, or a shipment's: kind) as it stands,
// or nil when it is unknown. A record written before a posting that a
// crash interrupted is settled first (see orderBook).
func (b *orderBook) get(ctx context.Context, kind mapping.OrderKind, partner, number string) (*orders.Record, error) {
	r, err := b.book.Get(ctx, kind, partner, number)
	if errors.Is(err, orders.ErrNotFound) {
		return nil, nil
	}
	return r, err
}

func (b *orderBook) put(r *orders.Record) error { return b.store.Put(context.Background(), r) }

// begin writes the steps' next records before their postings, each
// marked pending with the record it replaces and the ledger document
// keys of its posting, in one transaction.
func (b *orderBook) begin(steps []orderStep) error {
	return b.book.Apply(context.Background(), func(tx *orders.Tx) error { return tx.Begin(changes(steps)) })
}

func changes(steps []orderStep) []orders.Change {
	cs := make([]orders.Change, len(steps))
	for i, st := range steps {
		cs[i] = orders.Change{Next: st.next, Prev: st.prev, Keys: []string{st.res.Key, st.res.LegacyKey}}
	}
	return cs
}

// postOrders settles each order document against its order and posts
// it. Documents of other orders are settled one after the other, their
// next records written in one transaction, posted together (the ledger's
// group commit shares the fsyncs), the 940s they ask of the warehouses
// queued and their pending marks removed in one transaction; a document
// naming an order settled earlier in the batch waits until that one is
// posted. Two messages never interleave (the book's lock).
func (w *work) postOrders(ctx context.Context, docs []*mapping.Result) error {
	if len(docs) == 0 {
		// Not the book's lock for nothing: it would wait for every
		// shared change (other workers' 945s) and hold back new ones.
		return nil
	}
	return w.g.orders.book.Apply(ctx, func(tx *orders.Tx) error {
		var batch []orderStep
		inBatch := map[string]bool{}
		flush := func() error {
			err := w.postOrderBatch(ctx, tx, batch)
			batch = batch[:0]
			clear(inBatch)
			return err
		}
		for _, res := range docs {
			o := res.Order
			key := string(orders.KindKey(o.Kind, o.Partner, o.Number))
			if inBatch[key] {
				if err := flush(); err != nil {
					return err
				}
			}
			rec, err := tx.Get(o.Kind, o.Partner, o.Number)
			switch {
			case errors.Is(err, orders.ErrNotFound):
				rec = nil
			case err != nil:
				return err
			}
			next, err := w.settleOrder(ctx, tx, res, rec)
			if err != nil || next == nil {
				if err != nil {
					return err
				}
				continue
			}
			batch = append(batch, orderStep{res: res, prev: rec, next: next})
			inBatch[key] = true
		}
		return flush()
	})
}

// settleOrder settles one order document against its record as it
// stands (rec; nil when unknown). It returns the record the document
// makes, or nil when there is nothing to post (a duplicate, a superseded
// document, an order error: the order stays as it was).
func (w *work) settleOrder(ctx context.Context, tx *orders.Tx, res *mapping.Result, rec *orders.Record) (*orders.Record, error) {
	o := res.Order
	var prev *mapping.OrderState
	if rec != nil {
		prev = &rec.OrderState
	}
	if superseded, err := w.superseded(ctx, res, prev); err != nil || superseded {
		if err != nil {
			return nil, err
		}
		w.res.Documents = append(w.res.Documents, res.Key)
		w.res.Duplicates += max(len(o.Lines), 1)
		w.orderDup, w.orderDupOf = true, prev.By.Message
		w.g.log.Info("order document applied before and superseded since: nothing posted", "partner", o.Partner, "order", o.Number,
			"action", o.Action, "message", w.msg.ID, "superseded by", prev.By.String())
		return nil, nil
	}
	by := mapping.Origin{Document: res.Key, Message: w.msg.ID, Name: w.msg.Name}
	next, dup, err := res.SettleOrder(prev, by)
	var oe *mapping.OrderError
	switch {
	case errors.As(err, &oe):
		w.res.Documents = append(w.res.Documents, res.Key)
		w.fail(fmt.Sprintf("%s: %s %s", w.msg.Name, orderNoun(o.Kind), o.Number), "", "%s", oe.Brief())
		w.refuse(res, err)
		return nil, nil
	case err != nil:
		return nil, err
	case dup:
		w.res.Documents = append(w.res.Documents, res.Key)
		w.res.Duplicates += max(len(o.Lines), 1)
		w.orderDup, w.orderDupOf = true, prev.By.Message
		w.g.log.Info("order document repeats the order as it stands: nothing posted", "partner", o.Partner, "order", o.Number,
			"action", o.Action, "message", w.msg.ID, "set by", prev.By.String())
		return nil, nil
	}
	if o.Kind == mapping.KindOrder && o.Action == mapping.OrderReplace && rec != nil {
		res.LessShipped(rec.Shipped) // what its warehouses shipped is allocated no more
	}
	now := w.g.now().UTC()
	if o.Kind != mapping.KindOrder {
		// A shipment: its state, no life.
		next.Updated = now
		return &orders.Record{OrderState: *next}, nil
	}
	r := orders.New(o.Partner, o.Number)
	if rec != nil {
		r = rec.Clone()
	}
	r.Settle(next, o.PurchaseOrder, o.ShipTo, now)
	return r, nil
}

// orderStep is an order document settled and not yet posted: the record
// it replaces (nil: none) and the one it makes.
type orderStep struct {
	res        *mapping.Result
	prev, next *orders.Record
}

// postOrderBatch writes the steps' next records (marked pending), posts
// their documents, queues the 940s of the orders posted and removes the
// marks; an order whose posting the ledger refused gets its previous
// record back.
func (w *work) postOrderBatch(ctx context.Context, tx *orders.Tx, steps []orderStep) error {
	if len(steps) == 0 {
		return nil
	}
	if err := tx.Begin(changes(steps)); err != nil {
		return err
	}
	docs := make([]*mapping.Result, len(steps))
	for i := range steps {
		docs[i] = steps[i].res
	}
	if err := w.postAll(ctx, docs); err != nil {
		return err // interrupted: the marks stay, settled at the next read
	}
	if h := w.g.orders.afterPost; h != nil {
		if err := h(); err != nil {
			return err
		}
	}
	outs := make([]orders.Outcome, len(steps))
	for i, st := range steps {
		n := st.next
		outs[i] = orders.Outcome{Kind: n.Kind, Partner: n.Partner, Number: n.Number, Posted: !w.notPosted[st.res]}
		if !outs[i].Posted || n.Kind != mapping.KindOrder {
			continue
		}
		if err := w.g.routeOrder(ctx, n); err != nil {
			return err // the marks stay: posted, the order is routed at its next read
		}
		outs[i].Record = n
	}
	return tx.End(outs)
}

// orderNoun names what an order document identifies, for places.
func orderNoun(k mapping.OrderKind) string {
	if k == mapping.KindShipment {
		return "shipment"
	}
	return "order"
}

// superseded reports an order document that was applied before (its key
// is in the ledger) and whose order a later message has changed since (a
// replay, or a message processed again after a crash, once the order's
// next message went through): settling it again would undo the later
// change. A document applied but not yet in the book (a crash between
// the posting and the book) is not superseded: it is settled again.
func (w *work) superseded(ctx context.Context, res *mapping.Result, prev *mapping.OrderState) (bool, error) {
	if prev == nil || prev.By.Message <= w.msg.ID || prev.By.Document == res.Key {
		return false, nil
	}
	return w.g.Ledger.HasSourcePrefix(ctx, res.Key+"|")
}

// postedBefore looks, before an X12 document is posted, for movements
// posted before under its keys, and returns how many of its movements it
// dropped as posted already.
//
// Under its own key (partner|ISA13@date|GS06|ST02): a message processed
// again (a crash, a replay) finds the same movements, which the ledger
// then reports as duplicates; other content under the same control
// numbers, date and time (a resend the inbox could not compare: the
// first file's bytes were purged) is a *collisionError, and nothing is
// posted.
//
// Under its legacy key (no date; versions before it): the same movements
// are the same document posted before the upgrade (processed again after
// a crash, a replay, a resend) and are dropped; when any differs, the
// partner reused the control numbers for another document, which is
// posted.
//
// Each key costs one seek; movements are compared one by one only when
// the key was posted before.
func (w *work) postedBefore(ctx context.Context, res *mapping.Result) (int, error) {
	if res.LegacyKey == res.Key || len(res.Movements) == 0 {
		return 0, nil // a flat file: its key is its content hash
	}
	rec, err := w.recordedUnder(ctx, res, res.Key)
	if err != nil {
		return 0, err
	}
	if _, differ := compareRecorded(rec, res.Movements); differ >= 0 {
		// A warehouse advice keyed by its own number (943, 944, 947) has
		// its key by control numbers, dated, as its legacy key.
		byNumber := strings.Contains(res.LegacyKey, "@")
		return 0, &collisionError{document: res.Key, recorded: rec[differ], ours: res.Movements[differ], byNumber: byNumber}
	}
	if rec, err = w.recordedUnder(ctx, res, res.LegacyKey); err != nil {
		return 0, err
	}
	found, differ := compareRecorded(rec, res.Movements)
	if found == 0 || differ >= 0 {
		return 0, nil
	}
	kept := res.Movements[:0]
	for i := range res.Movements {
		if rec[i].ID == 0 {
			kept = append(kept, res.Movements[i])
		}
	}
	res.Movements = kept
	w.g.log.Info("document posted before under its legacy key: not posted again", "document", res.Key, "legacy", res.LegacyKey,
		"movements", found, "message", w.msg.ID)
	return found, nil
}

// recordedUnder returns, for each movement of res, the movement recorded
// under its source key with the document key replaced by key; nil when
// nothing was recorded under key.
func (w *work) recordedUnder(ctx context.Context, res *mapping.Result, key string) ([]ledger.Movement, error) {
	l := w.g.Ledger
	if posted, err := l.HasSourcePrefix(ctx, key+"|"); err != nil || !posted {
		return nil, err
	}
	keys := make([]string, len(res.Movements))
	for i := range res.Movements {
		keys[i] = key + strings.TrimPrefix(res.Movements[i].SourceKey, res.Key)
	}
	return l.SourceMovements(ctx, keys)
}

// compareRecorded counts the movements of ms recorded before (rec, from
// recordedUnder), and returns the index of the first whose record
// differs from it, or -1.
func compareRecorded(rec, ms []ledger.Movement) (found, differ int) {
	for i := range rec {
		if rec[i].ID == 0 {
			continue
		}
		if !sameMovement(&rec[i], &ms[i]) {
			return found, i
		}
		found++
	}
	return found, -1
}

// collisionError is a document whose key (partner, control numbers,
// interchange date and time) was posted before with other content. It
// wraps ErrCollision.
type collisionError struct {
	document       string
	recorded, ours ledger.Movement
	byNumber       bool // keyed by the partner's document number, not control numbers
}

func (e *collisionError) Error() string {
	r, o := &e.recorded, &e.ours
	ask := "Ask the partner to send it again under a new interchange control number"
	if e.byNumber {
		ask = "The partner sent other lines under the same document number: ask it which is right, and correct the ledger by hand"
	}
	return fmt.Sprintf("%v: document %s was posted before (movement %d, recorded %s) with other content: "+
		"%s %d of %s at %s, now %s %d of %s at %s; nothing of it was posted. %s",
		ErrCollision, e.document, r.ID, r.Recorded.Format(time.RFC3339), r.Kind, r.Quantity, r.SKU, r.Location,
		o.Kind, o.Quantity, o.SKU, o.Location, ask)
}

// Unwrap returns ErrCollision.
func (e *collisionError) Unwrap() error { return ErrCollision }

// sameMovement reports whether a recorded movement is what m would post.
func sameMovement(rec, m *ledger.Movement) bool {
	bucket := m.Bucket
	if m.Kind == ledger.KindSnapshot && bucket == 0 {
		bucket = ledger.BucketOnHand // as the ledger records it
	}
	return rec.SKU == m.SKU && rec.Location == m.Location && rec.Kind == m.Kind && rec.Quantity == m.Quantity &&
		rec.Bucket == bucket && rec.Effective.Equal(m.Effective) && rec.Expected.Equal(m.Expected) &&
		rec.TakeInTransit == m.TakeInTransit && rec.Reference.Order == m.Reference.Order
}
