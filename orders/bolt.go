package orders

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/dockside-edi/dockside/internal/txgroup"
	"github.com/dockside-edi/dockside/mapping"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketOrders      = []byte("orders")      // KindKey(kind, partner, number) → Record JSON
	bucketMeta        = []byte("meta")        // keySeeded → time
	bucketByWarehouse = []byte("bywarehouse") // Key(warehouse, order) → Key(partner, number)
	bucketPending     = []byte("pending")     // KindKey(kind, partner, number) → Change JSON (Prev, Keys)
	keySeeded         = []byte("seeded")
)

// Bolt is the bbolt Store: orders.db in the data folder. A data folder
// of the version before this package holds the same buckets (orders,
// meta, pending), whose order states read as records without a life.
type Bolt struct {
	db    *bolt.DB
	tx    *txgroup.Group // writes: concurrent ones share commits (nil: read-only)
	ended endedMarks     // marks ended for readers, removed from the file by the next commit
}

var _ Store = (*Bolt)(nil)

// OpenBolt opens (creating if needed) the store in file.
func OpenBolt(file string) (*Bolt, error) {
	db, err := bolt.Open(file, 0o640, &bolt.Options{Timeout: 5 * time.Second,
		// As the ledger, inbox and outbox: the freelist is rebuilt at open
		// instead of written by every commit (two a 945), and the map is
		// large enough that growing the file rarely waits for readers.
		FreelistType: bolt.FreelistMapType, NoFreelistSync: true, InitialMmapSize: 64 << 20})
	if err != nil {
		return nil, fmt.Errorf("orders: opening %s: %w", filepath.Base(file), err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketOrders, bucketMeta, bucketByWarehouse, bucketPending} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("orders: %w", err)
	}
	return &Bolt{db: db, tx: txgroup.New(db)}, nil
}

// update runs fn in a write transaction, shared with the concurrent
// writers' (fn may run more than once: txgroup). The transaction also
// removes the marks ended since the last commit (endedMarks).
func (s *Bolt) update(fn func(*bolt.Tx) error) error {
	if s.tx == nil {
		return s.db.Update(fn)
	}
	var taken map[string]uint64
	err := s.tx.Update(func(tx *bolt.Tx) error {
		var err error
		if taken, err = s.ended.drop(tx); err != nil {
			return err
		}
		return fn(tx)
	})
	if err == nil {
		s.ended.removed(taken)
	}
	return err
}

// flushEnded commits the removal of ended marks no other commit took
// along (endedMarks); a failure arms it again.
func (s *Bolt) flushEnded() {
	if !s.ended.fired() {
		return
	}
	if err := s.update(func(*bolt.Tx) error { return nil }); err != nil {
		s.ended.rearm(s.flushEnded)
	}
}

// OpenBoltReadOnly opens an existing store for reading only (another
// process may read it too; none may write it meanwhile): Put, Delete
// and Seed fail. It waits a few seconds at most for a writer (serve) to
// let go of the file.
func OpenBoltReadOnly(file string) (*Bolt, error) {
	db, err := bolt.Open(file, 0o640, &bolt.Options{Timeout: 3 * time.Second, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("orders: opening %s: %w", filepath.Base(file), err)
	}
	return &Bolt{db: db}, nil
}

// Close closes the database.
// Close commits the removal of the marks ended since the last commit
// and closes the file.
func (s *Bolt) Close() error {
	s.ended.close()
	var err error
	if s.tx != nil {
		if err = s.update(func(*bolt.Tx) error { return nil }); err != nil {
			err = fmt.Errorf("orders: removing ended marks: %w", err)
		}
	}
	return errors.Join(err, s.db.Close())
}

func decode(v []byte) (*Record, error) {
	r := &Record{}
	if err := json.Unmarshal(v, r); err != nil {
		return nil, err
	}
	return r, nil
}

// Get implements Store.
func (s *Bolt) Get(_ context.Context, kind mapping.OrderKind, partner, number string) (*Record, error) {
	var r *Record
	err := s.db.View(func(tx *bolt.Tx) error {
		var v []byte
		if b := tx.Bucket(bucketOrders); b != nil {
			v = b.Get(KindKey(kind, partner, number))
		}
		if v == nil {
			return fmt.Errorf("%s %s of %s: %w", noun(kind), number, partner, ErrNotFound)
		}
		var err error
		r, err = decode(v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	return r, nil
}

// Put implements Store.
func (s *Bolt) Put(_ context.Context, r *Record) error {
	err := s.update(func(tx *bolt.Tx) error { return put(tx, r) })
	if err != nil {
		return fmt.Errorf("orders: recording order %s of %s: %w", r.Number, r.Partner, err)
	}
	return nil
}

func put(tx *bolt.Tx, r *Record) error {
	key := r.key()
	orders, idx := tx.Bucket(bucketOrders), tx.Bucket(bucketByWarehouse)
	if err := unindex(tx, key); err != nil {
		return err
	}
	for _, d := range r.Dispatches {
		wk := Key(d.Warehouse, d.Order)
		if v := idx.Get(wk); v != nil && !bytes.Equal(v, key) {
			return fmt.Errorf("order %s at %s is held by %s: %w", d.Order, d.Warehouse, bytes.ReplaceAll(v, []byte{0}, []byte(" order ")), ErrOrderTaken)
		}
		if err := idx.Put(wk, key); err != nil {
			return err
		}
	}
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return orders.Put(key, v)
}

// unindex removes the warehouse index entries of the record under key.
func unindex(tx *bolt.Tx, key []byte) error {
	old := tx.Bucket(bucketOrders).Get(key)
	if old == nil {
		return nil
	}
	var r struct { // its index entries only: a record can hold 100,000 lines
		Dispatches []struct{ Warehouse, Order string } `json:"dispatches"`
	}
	if err := json.Unmarshal(old, &r); err != nil {
		return err
	}
	idx := tx.Bucket(bucketByWarehouse)
	for _, d := range r.Dispatches {
		wk := Key(d.Warehouse, d.Order)
		if bytes.Equal(idx.Get(wk), key) {
			if err := idx.Delete(wk); err != nil {
				return err
			}
		}
	}
	return nil
}

// Delete implements Store.
func (s *Bolt) Delete(_ context.Context, kind mapping.OrderKind, partner, number string) error {
	key := KindKey(kind, partner, number)
	ended := s.ended.forget(key)
	err := s.update(func(tx *bolt.Tx) error {
		if err := remove(tx, key); err != nil {
			return err
		}
		return tx.Bucket(bucketPending).Delete(key)
	})
	if err != nil {
		s.ended.add(ended, s.flushEnded)
		return fmt.Errorf("orders: deleting %s %s of %s: %w", noun(kind), number, partner, err)
	}
	return nil
}

// remove deletes the record under key and its index entries.
func remove(tx *bolt.Tx, key []byte) error {
	if err := unindex(tx, key); err != nil {
		return err
	}
	return tx.Bucket(bucketOrders).Delete(key)
}

// noun names a kind of record, for errors.
func noun(kind mapping.OrderKind) string {
	if kind == mapping.KindOrder {
		return "order"
	}
	return string(kind)
}

// ByWarehouse implements Store.
func (s *Bolt) ByWarehouse(_ context.Context, warehouse, order string) (*Record, error) {
	var r *Record
	err := s.db.View(func(tx *bolt.Tx) error {
		var key, v []byte
		if b := tx.Bucket(bucketByWarehouse); b != nil {
			key = b.Get(Key(warehouse, order))
		}
		if key != nil {
			v = tx.Bucket(bucketOrders).Get(key)
		}
		if v == nil {
			return fmt.Errorf("order %s at warehouse %s: %w", order, warehouse, ErrNotFound)
		}
		var err error
		r, err = decode(v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	return r, nil
}

// List implements Store.
func (s *Bolt) List(ctx context.Context, f Filter) ([]*Record, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []*Record
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOrders)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		var prefix []byte
		if f.Partner != "" {
			prefix = append([]byte(f.Partner), 0)
		}
		k, v := c.Seek(prefix)
		if f.After != nil {
			k, v = c.Seek(f.After)
			if bytes.Equal(k, f.After) {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			if !bytes.HasPrefix(k, prefix) {
				break
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			r, err := decode(v)
			if err != nil {
				return fmt.Errorf("order %q: %w", k, err)
			}
			if r.Kind != mapping.KindOrder {
				continue // a shipment
			}
			if f.Match == nil || f.Match(r) {
				out = append(out, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("orders: listing: %w", err)
	}
	return out, nil
}

// Seed implements Store.
func (s *Bolt) Seed(_ context.Context, rs []*Record) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, r := range rs {
			if err := put(tx, r); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySeeded, []byte(time.Now().UTC().Format(time.RFC3339)))
	})
	if err != nil {
		return fmt.Errorf("orders: seeding: %w", err)
	}
	return nil
}

// Seeded implements Store.
func (s *Bolt) Seeded(context.Context) (bool, error) {
	seeded := false
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		seeded = b != nil && b.Get(keySeeded) != nil
		return nil
	})
	return seeded, err
}

// Begin implements Store.
func (s *Bolt) Begin(_ context.Context, cs []Change) error {
	// A mark ended but still in the file is written over here: its
	// removal must not come after (endedMarks.forget).
	keys := make([][]byte, len(cs))
	for i, c := range cs {
		keys[i] = c.Next.key()
	}
	ended := s.ended.forget(keys...)
	err := s.update(func(tx *bolt.Tx) error {
		for _, c := range cs {
			mark, err := json.Marshal(c)
			if err != nil {
				return err
			}
			if err := put(tx, c.Next); err != nil {
				return fmt.Errorf("%s %s of %s: %w", noun(c.Next.Kind), c.Next.Number, c.Next.Partner, err)
			}
			if err := tx.Bucket(bucketPending).Put(c.Next.key(), mark); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.ended.add(ended, s.flushEnded)
		return fmt.Errorf("orders: recording %d orders before their posting: %w", len(cs), err)
	}
	return nil
}

// Mark implements Store.
func (s *Bolt) Mark(_ context.Context, kind mapping.OrderKind, partner, number string) (*Change, error) {
	key := KindKey(kind, partner, number)
	if s.ended.has(key) {
		return nil, nil
	}
	var c *Change
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPending)
		if b == nil {
			return nil
		}
		v := b.Get(key)
		if v == nil {
			return nil
		}
		c = &Change{}
		if err := json.Unmarshal(v, c); err != nil {
			return err
		}
		if v := tx.Bucket(bucketOrders).Get(key); v != nil {
			var err error
			c.Next, err = decode(v)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("orders: reading the pending mark of %s %s of %s: %w", noun(kind), number, partner, err)
	}
	return c, nil
}

// End implements Store.
//
// A posting made whose record stays (no Record in its outcome) ends its
// mark for readers at once and in the file with the store's next commit
// (endedMarks); the others are committed before End returns.
func (s *Bolt) End(_ context.Context, os []Outcome) error {
	if s.tx != nil {
		var later [][]byte
		var now []Outcome
		for _, o := range os {
			if o.Posted && o.Record == nil {
				later = append(later, KindKey(o.Kind, o.Partner, o.Number))
			} else {
				now = append(now, o)
			}
		}
		s.ended.add(later, s.flushEnded)
		if os = now; len(os) == 0 {
			return nil
		}
	}
	err := s.update(func(tx *bolt.Tx) error {
		pending := tx.Bucket(bucketPending)
		for _, o := range os {
			key := KindKey(o.Kind, o.Partner, o.Number)
			v := pending.Get(key)
			var err error
			switch {
			case o.Posted && o.Record != nil:
				err = put(tx, o.Record)
			case o.Posted || v == nil:
				// the record stays: the mark's previous record is not read
			default:
				var mark Change
				if err := json.Unmarshal(v, &mark); err != nil {
					return err
				}
				if mark.Prev != nil {
					err = put(tx, mark.Prev)
				} else {
					err = remove(tx, key)
				}
			}
			if err != nil {
				return fmt.Errorf("%s %s of %s: %w", noun(o.Kind), o.Number, o.Partner, err)
			}
			if err := pending.Delete(key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("orders: settling %d orders after their posting: %w", len(os), err)
	}
	return nil
}

// Marked implements Store.
func (s *Bolt) Marked(ctx context.Context) ([]*Record, error) {
	var out []*Record
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPending)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if s.ended.has(k) {
				return nil
			}
			v := tx.Bucket(bucketOrders).Get(k)
			if v == nil {
				return nil // a mark without its record: nothing to settle
			}
			r, err := decode(v)
			if err != nil {
				return fmt.Errorf("order %q: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("orders: listing pending records: %w", err)
	}
	return out, nil
}
