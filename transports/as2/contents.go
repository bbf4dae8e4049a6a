package as2

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Contents is everything a Store holds: what a copy into another Records
// implementation must hold (transports/as2/postgres.CopyFrom, `dockside
// migrate --from`).
type Contents struct {
	Received []*ReceivedRecord // in key order: partner, then Message-ID
	Pending  []*PendingRecord  // in our Message-ID's order
	Negative map[uint64]string // outbox id → reason of a negative asynchronous MDN, not taken yet
}

// Contents reads the whole store in one read transaction.
func (s *Store) Contents(ctx context.Context) (Contents, error) {
	c := Contents{Negative: map[uint64]string{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketReceived).ForEach(func(k, v []byte) error {
			r, err := decodeReceived(v)
			if err != nil {
				return fmt.Errorf("received %q: %w", k, err)
			}
			c.Received = append(c.Received, r)
			return ctx.Err()
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketPending).ForEach(func(k, v []byte) error {
			p := new(PendingRecord)
			if err := json.Unmarshal(v, p); err != nil {
				return fmt.Errorf("pending %q: %w", k, err)
			}
			c.Pending = append(c.Pending, p)
			return ctx.Err()
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketNegative).ForEach(func(k, v []byte) error {
			c.Negative[binary.BigEndian.Uint64(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		return c, fmt.Errorf("as2: store: %w", err)
	}
	return c, nil
}
