package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

func openOrderBook(data string) (*orderBook, error) {
	db, err := bolt.Open(filepath.Join(data, "orders.db"), 0o640, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketOrders)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("orders: %w", err)
	}
	return &orderBook{db: db}, nil
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
		by := mapping.Origin{Document: res.Key, Message: w.msg.ID, Name: w.msg.Name}
		next, dup, err := res.SettleOrder(prev, by)
		var oe *mapping.OrderError
		switch {
		case errors.As(err, &oe):
			w.res.Documents = append(w.res.Documents, res.Key)
			w.fail(fmt.Sprintf("%s: order %s", w.msg.Name, o.Number), "", "%v", err)
			continue
		case err != nil:
			return err
		case dup:
			w.res.Documents = append(w.res.Documents, res.Key)
			w.res.Duplicates += max(len(o.Lines), 1)
			w.orderDupOf = prev.By.Message
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

// legacyDuplicates drops the movements of res that a version before the
// interchange date was part of X12 document keys posted already (a message
// processed again after an upgrade: a crash, a replay, or a resend the
// inbox has forgotten), and returns how many it dropped. The old keys are
// looked for with one seek; only a document whose old keys exist is
// compared movement by movement: when every old movement found matches
// its new one, they are the same document; when any differs, the partner
// reused the control numbers for another document, which is posted.
func (w *work) legacyDuplicates(ctx context.Context, res *mapping.Result) (int, error) {
	if res.LegacyKey == res.Key || len(res.Movements) == 0 {
		return 0, nil
	}
	l := w.g.Ledger
	posted, err := l.HasSourcePrefix(ctx, res.LegacyKey+"|")
	if err != nil || !posted {
		return 0, err
	}
	keys := make([]string, len(res.Movements))
	for i := range res.Movements {
		keys[i] = res.LegacyKey + strings.TrimPrefix(res.Movements[i].SourceKey, res.Key)
	}
	old, err := l.SourceMovements(ctx, keys)
	if err != nil {
		return 0, err
	}
	found := 0
	for i := range old {
		if old[i].ID == 0 {
			continue
		}
		if !sameMovement(&old[i], &res.Movements[i]) {
			return 0, nil
		}
		found++
	}
	if found == 0 {
		return 0, nil
	}
	kept := res.Movements[:0]
	for i := range res.Movements {
		if old[i].ID == 0 {
			kept = append(kept, res.Movements[i])
		}
	}
	res.Movements = kept
	w.g.log.Info("document posted before under its legacy key: not posted again", "document", res.Key, "legacy", res.LegacyKey,
		"movements", found, "message", w.msg.ID)
	return found, nil
}

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
