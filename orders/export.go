package orders

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Entry is one key and value as a store keeps them.
type Entry struct {
	Key, Value []byte
}

// Part names one part of a Bolt store's contents, for Entries.
type Part int

// The parts of a Bolt store: with the seeded mark (SeededAt), everything
// it holds.
const (
	PartRecords     Part = iota // KindKey(kind, partner, number) → Record JSON
	PartByWarehouse             // Key(warehouse, order) → the record's KindKey
	PartPending                 // KindKey → pending mark (Change JSON: Prev, Keys)
)

func (p Part) bucket() ([]byte, error) {
	switch p {
	case PartRecords:
		return bucketOrders, nil
	case PartByWarehouse:
		return bucketByWarehouse, nil
	case PartPending:
		return bucketPending, nil
	}
	return nil, fmt.Errorf("orders: no part %d", p)
}

// Entries returns up to limit entries of part with keys after `after`
// (nil: from the first), in key order, as stored: what a copy into
// another implementation must hold (orders/postgres.CopyFrom, `dockside
// migrate --from`), a page at a time.
func (s *Bolt) Entries(ctx context.Context, part Part, after []byte, limit int) ([]Entry, error) {
	name, err := part.bucket()
	if err != nil {
		return nil, err
	}
	var out []Entry
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(name)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.First()
		if after != nil {
			if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			out = append(out, Entry{bytes.Clone(k), bytes.Clone(v)})
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	return out, nil
}

// Entry returns the value of part under key as stored, nil when there
// is none.
func (s *Bolt) Entry(part Part, key []byte) ([]byte, error) {
	name, err := part.bucket()
	if err != nil {
		return nil, err
	}
	var v []byte
	err = s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(name); b != nil {
			v = bytes.Clone(b.Get(key))
		}
		return nil
	})
	return v, err
}

// SeededAt returns when Seed ran (RFC 3339), as stored; nil when it did
// not.
func (s *Bolt) SeededAt() ([]byte, error) {
	var at []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketMeta); b != nil {
			at = bytes.Clone(b.Get(keySeeded))
		}
		return nil
	})
	return at, err
}
