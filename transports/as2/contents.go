package as2

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Contents is what a Store holds besides the received messages' records
// (ReceivedAfter pages those): what a copy into another Records
// implementation must hold (transports/as2/postgres.CopyFrom, `dockside
// migrate --from`).
type Contents struct {
	Pending  []*PendingRecord  // in our Message-ID's order
	Negative map[uint64]string // outbox id → reason of a negative asynchronous MDN, not taken yet
}

// ReceivedAfter returns up to limit records of received messages after
// the given partner and Message-ID ("", "": from the first), in key
// order (partner, then Message-ID, by bytes).
func (s *Store) ReceivedAfter(ctx context.Context, partner, messageID string, limit int) ([]*ReceivedRecord, error) {
	var out []*ReceivedRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketReceived).Cursor()
		k, v := c.First()
		if partner != "" || messageID != "" {
			after := receivedKey(partner, messageID)
			if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			r, err := decodeReceived(v)
			if err != nil {
				return fmt.Errorf("received %q: %w", k, err)
			}
			out = append(out, r)
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("as2: store: %w", err)
	}
	return out, nil
}

// Contents reads the pending MDNs and negative reasons in one read
// transaction.
func (s *Store) Contents(ctx context.Context) (Contents, error) {
	c := Contents{Negative: map[uint64]string{}}
	err := s.db.View(func(tx *bolt.Tx) error {
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
