package orders

import (
	"bytes"
	"context"

	bolt "go.etcd.io/bbolt"
)

// Entry is one key and value as a store keeps them.
type Entry struct {
	Key, Value []byte
}

// Contents is everything a Bolt store holds, as stored, each part in key
// order: what a copy into another implementation must hold
// (orders/postgres.CopyFrom, `dockside migrate --from`).
type Contents struct {
	Records     []Entry // KindKey(kind, partner, number) → Record JSON
	ByWarehouse []Entry // Key(warehouse, order) → the record's KindKey
	Pending     []Entry // KindKey → pending mark (Change JSON: Prev, Keys)
	Seeded      []byte  // when Seed ran (RFC 3339); nil: it did not
}

// Contents reads the whole store in one read transaction.
func (s *Bolt) Contents(ctx context.Context) (Contents, error) {
	var c Contents
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, p := range []struct {
			bucket []byte
			into   *[]Entry
		}{{bucketOrders, &c.Records}, {bucketByWarehouse, &c.ByWarehouse}, {bucketPending, &c.Pending}} {
			b := tx.Bucket(p.bucket)
			if b == nil {
				continue
			}
			if err := b.ForEach(func(k, v []byte) error {
				*p.into = append(*p.into, Entry{bytes.Clone(k), bytes.Clone(v)})
				return ctx.Err()
			}); err != nil {
				return err
			}
		}
		if b := tx.Bucket(bucketMeta); b != nil {
			c.Seeded = bytes.Clone(b.Get(keySeeded))
		}
		return nil
	})
	return c, err
}
