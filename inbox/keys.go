package inbox

import (
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// ByKey returns the live (not failed) message a partner sent with an
// idempotency key (Arrival.Key), or nil when there is none.
func (s *Store) ByKey(partner, key string) (*Message, error) {
	var m *Message
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		m, err = liveByKey(tx, partner, key)
		return err
	})
	return m, err
}

// liveByKey returns the live message sent with the key, or nil.
func liveByKey(tx *bolt.Tx, partner, key string) (*Message, error) {
	v := tx.Bucket(bucketKeys).Get(pairKey(partner, key))
	if len(v) != 8 {
		return nil, nil
	}
	m, err := getMessage(tx, binary.BigEndian.Uint64(v))
	if err != nil || m.State == Failed {
		return nil, nil // the key of a failed message, or of one retention removed: free again
	}
	return m, nil
}
