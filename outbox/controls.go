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
		b := tx.Bucket(bucketControls)
		k := pairKey(partner, kind)
		var last uint64
		if v := b.Get(k); v != nil {
			last = binary.BigEndian.Uint64(v)
		}
		if last+uint64(n) > maxControl {
			return fmt.Errorf("%s %s: %w", partner, kind, ErrControlExhausted)
		}
		first = last + 1
		return b.Put(k, binary.BigEndian.AppendUint64(nil, last+uint64(n)))
	})
	return int64(first), err
}
