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

var bucketOrders = []byte("orders") // partner 0 number → mapping.OrderState JSON

// orderBook keeps every order's state (open or cancelled, its lines, the
// document that set it), so that an order document is settled against
// its order (partner + order number), not only its control numbers. The
// state is written after the ledger posting: a crash in between leaves
// the old state, and the message processed again settles to the same
// movements, which the ledger reports as duplicates.
type orderBook struct {
	db *bolt.DB
	mu sync.Mutex // one order document settled and posted at a time
}

var (
	bucketOrdersMeta = []byte("meta")
	keySeeded        = []byte("seeded") // set once the book was filled from the ledger
)

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
	b := &orderBook{db: db}
	seeded := false
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketOrders); err != nil {
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
			if err := bk.Put(orderKey(st.Partner, st.Number), v); err != nil {
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
		key := string(orderKey(d.partner, d.order))
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

func orderKey(partner, number string) []byte {
	return append(append([]byte(partner), 0), number...)
}

// get returns an order's state, or nil when it is unknown.
func (b *orderBook) get(partner, number string) (*mapping.OrderState, error) {
	var st *mapping.OrderState
	err := b.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketOrders).Get(orderKey(partner, number))
		if v == nil {
			return nil
		}
		st = &mapping.OrderState{}
		return json.Unmarshal(v, st)
	})
	if err != nil {
		return nil, fmt.Errorf("orders: reading order %s of %s: %w", number, partner, err)
	}
	return st, nil
}

func (b *orderBook) put(st *mapping.OrderState) error {
	v, err := json.Marshal(st)
	if err != nil {
		return err
	}
	err = b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOrders).Put(orderKey(st.Partner, st.Number), v)
	})
	if err != nil {
		return fmt.Errorf("orders: recording order %s of %s: %w", st.Number, st.Partner, err)
	}
	return nil
}

// postOrders settles each order document against its order and posts it,
// one at a time: two messages naming the same order never interleave.
func (w *work) postOrders(ctx context.Context, docs []*mapping.Result) error {
	book := w.g.orders
	book.mu.Lock()
	defer book.mu.Unlock()
	for _, res := range docs {
		o := res.Order
		prev, err := book.get(o.Partner, o.Number)
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
			w.fail(fmt.Sprintf("%s: order %s", w.msg.Name, o.Number), "", "%s", oe.Brief())
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
		failed := len(w.out.Errors)
		if err := w.postAll(ctx, []*mapping.Result{res}); err != nil {
			return err
		}
		if len(w.out.Errors) > failed {
			continue // not posted: the order stays as it was
		}
		next.Updated = w.g.now().UTC()
		if err := book.put(next); err != nil {
			return err
		}
	}
	return nil
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
