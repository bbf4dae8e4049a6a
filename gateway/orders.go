package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	bolt "go.etcd.io/bbolt"
)

var bucketOrders = []byte("orders") // partner 0 number (a shipment: partner 0 "shipment" 0 number) → mapping.OrderState JSON

// orderBook keeps every order's state (open or cancelled, its lines, the
// document that set it), so that an order document is settled against
// its order (partner + order number), not only its control numbers.
//
// The book and the ledger are two files. The next state is written before
// the ledger posting, with the state it replaces kept aside as pending
// (bucket "pending"); once posted, the pending mark is removed. A crash
// in between leaves the mark: the next read of the order asks the ledger
// whether the document was posted, and keeps the next state or puts the
// previous one back. So a message settled after the crash (the partner's
// resend of an order it had no acknowledgement for, say) sees the order
// as the ledger has it, and the interrupted message processed again
// settles to the same movements, which the ledger reports as duplicates.
type orderBook struct {
	db     *bolt.DB
	ledger *ledger.Ledger
	mu     sync.Mutex // one order document settled and posted at a time
	// afterPost, when set (tests), runs between a posting and the
	// removal of its pending mark; an error stops there, as a crash would.
	afterPost func() error
}

var (
	bucketOrdersMeta    = []byte("meta")
	bucketOrdersPending = []byte("pending") // order key → pendingOrder JSON
	keySeeded           = []byte("seeded")  // set once the book was filled from the ledger
)

// pendingOrder is the mark of a state written before its posting: the
// state it replaces (nil: the order was unknown) and the ledger document
// keys that show the posting was made.
type pendingOrder struct {
	Prev *mapping.OrderState `json:"prev"`
	Keys []string            `json:"keys"`
}

// openOrderBook opens the order book in the data folder. A new book (a
// data folder of a version without one) is first filled from the
// ledger's 940 postings, so that orders opened before the upgrade are
// known: re-sent, they are duplicates; changed or cancelled, they are
// found.
func openOrderBook(ctx context.Context, data string, l *ledger.Ledger, log *slog.Logger) (*orderBook, error) {
	db, err := bolt.Open(filepath.Join(data, "orders.db"), 0o640, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	b := &orderBook{db: db, ledger: l}
	seeded := false
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketOrders); err != nil {
			return err
		}
		if _, err := tx.CreateBucketIfNotExists(bucketOrdersPending); err != nil {
			return err
		}
		meta, err := tx.CreateBucketIfNotExists(bucketOrdersMeta)
		seeded = err == nil && meta.Get(keySeeded) != nil
		return err
	})
	if err == nil && !seeded {
		err = b.seed(ctx, l, log)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("orders: %w", err)
	}
	return b, nil
}

// seed fills the book from the ledger's postings of 940 movements, in
// order: a document that allocates for an order opens it with those lines
// (an original or a change); one that only releases cancels it. The
// states and the mark that seeding is done are written in one
// transaction: a crash before it seeds again at the next start.
func (b *orderBook) seed(ctx context.Context, l *ledger.Ledger, log *slog.Logger) error {
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
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketOrders)
		for _, st := range states {
			v, err := json.Marshal(st)
			if err != nil {
				return err
			}
			if err := bk.Put(orderKey(st.Kind, st.Partner, st.Number), v); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketOrdersMeta).Put(keySeeded, []byte(time.Now().UTC().Format(time.RFC3339)))
	})
	if err == nil && len(states) > 0 {
		log.Info("order book filled from the ledger's 940 postings", "orders", len(states), "postings read", seq)
	}
	return err
}

// seedChange applies one posting's 940 movements to states.
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
		if r.DocumentType != "940" || r.Order == "" || (m.Kind != ledger.KindAllocate && m.Kind != ledger.KindRelease) {
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
		key := string(orderKey(mapping.KindOrder, d.partner, d.order))
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

func (b *orderBook) close() error { return b.db.Close() }

// orderKey is where the book keeps an order (or a shipment: kind).
func orderKey(kind mapping.OrderKind, partner, number string) []byte {
	k := append([]byte(partner), 0)
	if kind != mapping.KindOrder {
		k = append(append(k, kind...), 0)
	}
	return append(k, number...)
}

// get returns an order's state, or nil when it is unknown. A state
// written before a posting that a crash interrupted is settled first
// (see orderBook).
func (b *orderBook) get(ctx context.Context, kind mapping.OrderKind, partner, number string) (*mapping.OrderState, error) {
	key := orderKey(kind, partner, number)
	var st *mapping.OrderState
	var pend *pendingOrder
	err := b.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketOrdersPending).Get(key); v != nil {
			pend = &pendingOrder{}
			if err := json.Unmarshal(v, pend); err != nil {
				return err
			}
		}
		v := tx.Bucket(bucketOrders).Get(key)
		if v == nil {
			return nil
		}
		st = &mapping.OrderState{}
		return json.Unmarshal(v, st)
	})
	if err == nil && pend != nil {
		st, err = b.settlePending(ctx, key, st, pend)
	}
	if err != nil {
		return nil, fmt.Errorf("orders: reading order %s of %s: %w", number, partner, err)
	}
	return st, nil
}

// settlePending keeps st when the ledger holds the posting it was written
// for, else puts the previous state back; either way the mark goes.
func (b *orderBook) settlePending(ctx context.Context, key []byte, st *mapping.OrderState, pend *pendingOrder) (*mapping.OrderState, error) {
	posted := false
	for _, k := range pend.Keys {
		var err error
		if posted, err = b.ledger.HasSourcePrefix(ctx, k+"|"); err != nil {
			return nil, err
		}
		if posted {
			break
		}
	}
	if !posted {
		st = pend.Prev
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		if !posted {
			if err := putState(tx, key, st); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketOrdersPending).Delete(key)
	})
	return st, err
}

// putState writes st under key; nil deletes it.
func putState(tx *bolt.Tx, key []byte, st *mapping.OrderState) error {
	if st == nil {
		return tx.Bucket(bucketOrders).Delete(key)
	}
	v, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketOrders).Put(key, v)
}

// begin writes the steps' next states before their postings, each
// marked pending with the state it replaces and the ledger document keys
// of its posting, in one transaction.
func (b *orderBook) begin(steps []orderStep) error {
	err := b.db.Update(func(tx *bolt.Tx) error {
		for _, st := range steps {
			key := orderKey(st.next.Kind, st.next.Partner, st.next.Number)
			mark, err := json.Marshal(pendingOrder{Prev: st.prev, Keys: []string{st.res.Key, st.res.LegacyKey}})
			if err != nil {
				return err
			}
			if err := putState(tx, key, st.next); err != nil {
				return err
			}
			if err := tx.Bucket(bucketOrdersPending).Put(key, mark); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("orders: recording %d orders: %w", len(steps), err)
	}
	return nil
}

// end removes the pending marks of the steps once posted, and puts the
// previous state back for those notPosted names (the ledger refused
// them), in one transaction.
func (b *orderBook) end(steps []orderStep, notPosted map[*mapping.Result]bool) error {
	err := b.db.Update(func(tx *bolt.Tx) error {
		for _, st := range steps {
			key := orderKey(st.next.Kind, st.next.Partner, st.next.Number)
			if notPosted[st.res] {
				if err := putState(tx, key, st.prev); err != nil {
					return err
				}
			}
			if err := tx.Bucket(bucketOrdersPending).Delete(key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("orders: recording %d orders: %w", len(steps), err)
	}
	return nil
}

func (b *orderBook) put(st *mapping.OrderState) error {
	err := b.db.Update(func(tx *bolt.Tx) error {
		return putState(tx, orderKey(st.Kind, st.Partner, st.Number), st)
	})
	if err != nil {
		return fmt.Errorf("orders: recording order %s of %s: %w", st.Number, st.Partner, err)
	}
	return nil
}

// postOrders settles each order document against its order and posts
// it. Documents of other orders are settled one after the other, their
// next states written in one transaction, posted together (the ledger's
// group commit shares the fsyncs) and their pending marks removed in one
// transaction; a document naming an order settled earlier in the batch
// waits until that one is posted. Two messages never interleave (the
// book's lock).
func (w *work) postOrders(ctx context.Context, docs []*mapping.Result) error {
	book := w.g.orders
	book.mu.Lock()
	defer book.mu.Unlock()
	var batch []orderStep
	inBatch := map[string]bool{}
	flush := func() error {
		err := w.postOrderBatch(ctx, batch)
		batch = batch[:0]
		clear(inBatch)
		return err
	}
	for _, res := range docs {
		o := res.Order
		key := string(orderKey(o.Kind, o.Partner, o.Number))
		if inBatch[key] {
			if err := flush(); err != nil {
				return err
			}
		}
		prev, err := book.get(ctx, o.Kind, o.Partner, o.Number)
		if err != nil {
			return err
		}
		if superseded, err := w.superseded(ctx, res, prev); err != nil || superseded {
			if err != nil {
				return err
			}
			w.res.Documents = append(w.res.Documents, res.Key)
			w.res.Duplicates += max(len(o.Lines), 1)
			w.orderDup, w.orderDupOf = true, prev.By.Message
			w.g.log.Info("order document applied before and superseded since: nothing posted", "partner", o.Partner, "order", o.Number,
				"action", o.Action, "message", w.msg.ID, "superseded by", prev.By.String())
			continue
		}
		by := mapping.Origin{Document: res.Key, Message: w.msg.ID, Name: w.msg.Name}
		next, dup, err := res.SettleOrder(prev, by)
		var oe *mapping.OrderError
		switch {
		case errors.As(err, &oe):
			w.res.Documents = append(w.res.Documents, res.Key)
			w.fail(fmt.Sprintf("%s: %s %s", w.msg.Name, orderNoun(o.Kind), o.Number), "", "%v", err)
			w.refuse(res, err)
			continue
		case err != nil:
			return err
		case dup:
			w.res.Documents = append(w.res.Documents, res.Key)
			w.res.Duplicates += max(len(o.Lines), 1)
			w.orderDup, w.orderDupOf = true, prev.By.Message
			w.g.log.Info("order document repeats the order as it stands: nothing posted", "partner", o.Partner, "order", o.Number,
				"action", o.Action, "message", w.msg.ID, "set by", prev.By.String())
			continue
		}
		next.Updated = w.g.now().UTC()
		batch = append(batch, orderStep{res: res, prev: prev, next: next})
		inBatch[key] = true
	}
	return flush()
}

// orderStep is an order document settled and not yet posted: the state
// it replaces and the one it makes.
type orderStep struct {
	res        *mapping.Result
	prev, next *mapping.OrderState
}

// postOrderBatch writes the steps' next states (marked pending), posts
// their documents and removes the marks; an order whose posting the
// ledger refused gets its previous state back.
func (w *work) postOrderBatch(ctx context.Context, steps []orderStep) error {
	if len(steps) == 0 {
		return nil
	}
	book := w.g.orders
	if err := book.begin(steps); err != nil {
		return err
	}
	docs := make([]*mapping.Result, len(steps))
	for i := range steps {
		docs[i] = steps[i].res
	}
	if err := w.postAll(ctx, docs); err != nil {
		return err // interrupted: the marks stay, settled at the next read
	}
	if h := book.afterPost; h != nil {
		if err := h(); err != nil {
			return err
		}
	}
	return book.end(steps, w.notPosted)
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
		return 0, &collisionError{document: res.Key, recorded: rec[differ], ours: res.Movements[differ]}
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
}

func (e *collisionError) Error() string {
	r, o := &e.recorded, &e.ours
	return fmt.Sprintf("%v: document %s was posted before (movement %d, recorded %s) with other content: "+
		"%s %d of %s at %s, now %s %d of %s at %s; nothing of it was posted. Ask the partner to send it again under a new interchange control number",
		ErrCollision, e.document, r.ID, r.Recorded.Format(time.RFC3339), r.Kind, r.Quantity, r.SKU, r.Location,
		o.Kind, o.Quantity, o.SKU, o.Location)
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
