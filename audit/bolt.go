package audit

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketEntries = []byte("entries") // id → Entry JSON

// maxScan bounds the entries one filtered List reads.
const maxScan = 100_000

// Bolt is the audit log in a bbolt file.
type Bolt struct {
	db  *bolt.DB
	now func() time.Time
}

var _ Store = (*Bolt)(nil)

// Open opens (creating if needed) the audit log at path; now is the
// clock (nil: time.Now).
func Open(path string, now func() time.Time) (*Bolt, error) {
	db, err := bolt.Open(path, 0o640, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("audit: opening %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketEntries)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("audit: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Bolt{db: db, now: now}, nil
}

// Record implements Store.
func (b *Bolt) Record(ctx context.Context, e Entry) (Entry, error) {
	if e.Action == "" || e.Who == "" {
		return e, fmt.Errorf("%w: action %q by %q", ErrInvalid, e.Action, e.Who)
	}
	if err := ctx.Err(); err != nil {
		return e, err
	}
	if e.Time.IsZero() {
		e.Time = b.now().UTC()
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketEntries)
		id, err := bk.NextSequence()
		if err != nil {
			return err
		}
		e.ID = id
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		return bk.Put(binary.BigEndian.AppendUint64(nil, id), v)
	})
	if err != nil {
		return e, fmt.Errorf("audit: recording %s: %w", e.Action, err)
	}
	return e, nil
}

// List implements Store.
func (b *Bolt) List(ctx context.Context, f Filter) ([]Entry, uint64, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	out := []Entry{}
	var next uint64
	err := b.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEntries).Cursor()
		var k, v []byte
		if f.Before > 0 {
			if k, _ = c.Seek(binary.BigEndian.AppendUint64(nil, f.Before)); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		} else {
			k, v = c.Last()
		}
		for scanned := 0; k != nil; k, v = c.Prev() {
			if scanned++; scanned > maxScan || len(out) == limit {
				next = binary.BigEndian.Uint64(k) + 1
				return nil
			}
			if scanned%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("audit: entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if (f.Action == "" || e.Action == f.Action) && (f.Who == "" || e.Who == f.Who) && (f.Target == "" || e.Target == f.Target) {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, next, err
}

// Close implements Store.
func (b *Bolt) Close() error { return b.db.Close() }
