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
	var n uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketControls)
		k := pairKey(partner, kind)
		if v := b.Get(k); v != nil {
			n = binary.BigEndian.Uint64(v)
		}
		if n >= maxControl {
			return fmt.Errorf("%s %s: %w", partner, kind, ErrControlExhausted)
		}
		n++
		return b.Put(k, binary.BigEndian.AppendUint64(nil, n))
	})
	return int64(n), err
}
