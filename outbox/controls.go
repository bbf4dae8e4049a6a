package outbox

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Control number kinds.
const (
	ControlInterchange = "isa" // ISA13
	ControlGroup       = "gs"  // GS06
	ControlSet         = "st"  // ST02
)

// maxControl is the largest ISA13 (nine digits).
const maxControl = 999_999_999

// NextControl returns the next control number of the given kind for a
// partner, persisted before it is returned: never the same twice.
func (s *Store) NextControl(partner, kind string) (int64, error) {
	return s.ReserveControls(partner, kind, 1)
}

// ReserveControls reserves n consecutive control numbers of the given kind
// for a partner and returns the first; they are never handed out again.
func (s *Store) ReserveControls(partner, kind string, n int) (int64, error) {
	if n < 1 {
		return 0, fmt.Errorf("outbox: reserving %d control numbers", n)
	}
	var first uint64
	err := s.tx.Update(func(tx *bolt.Tx) error {
		var err error
		first, err = reserve(tx, partner, kind, n)
		return err
	})
	return int64(first), err
}

// reserve reserves n control numbers in tx and returns the first.
func reserve(tx *bolt.Tx, partner, kind string, n int) (uint64, error) {
	b := tx.Bucket(bucketControls)
	k := pairKey(partner, kind)
	var last uint64
	if v := b.Get(k); v != nil {
		last = binary.BigEndian.Uint64(v)
	}
	if last+uint64(n) > maxControl {
		return 0, fmt.Errorf("%s %s: %w", partner, kind, ErrControlExhausted)
	}
	return last + 1, b.Put(k, binary.BigEndian.AppendUint64(nil, last+uint64(n)))
}

// EnqueueNumbered reserves n consecutive control numbers of kind for
// partner and queues what build makes of the first (messages sharing one
// body: an acknowledgement for each outbound transport, say), in one
// commit instead of ReserveControls then Enqueue. Messages are keyed as
// in Enqueue: the id of a message already stored under a key is
// returned in its place. When build fails, nothing is reserved nor
// queued and its error is returned as it is. build may run more than
// once (a shared commit): it must depend on first only.
func (s *Store) EnqueueNumbered(partner, kind string, n int, build func(first int64) ([]*Message, []byte, error)) (first int64, ids []uint64, err error) {
	if n < 1 {
		return 0, nil, fmt.Errorf("outbox: reserving %d control numbers", n)
	}
	now := s.opts.Now().UTC()
	var buildErr error
	stored := false
	err = s.tx.Update(func(tx *bolt.Tx) error {
		ids, buildErr, stored = nil, nil, false
		f, err := reserve(tx, partner, kind, n)
		if err != nil {
			return err
		}
		first = int64(f)
		ms, body, err := build(first)
		if err != nil {
			buildErr = err
			return err
		}
		for _, m := range ms {
			existing, err := s.enqueue(tx, m, body, now)
			if err != nil {
				return err
			}
			if existing == 0 {
				existing, stored = m.ID, true
			}
			ids = append(ids, existing)
		}
		return nil
	})
	switch {
	case buildErr != nil:
		return 0, nil, buildErr
	case err != nil:
		return 0, nil, fmt.Errorf("outbox: enqueue: %w", err)
	}
	if stored {
		s.wake()
	}
	return first, ids, nil
}
