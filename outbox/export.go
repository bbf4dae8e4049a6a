package outbox

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Messages returns up to limit messages with IDs after `after`, oldest
// first: with Body, Refs and Controls, everything a Store holds that
// another Storage must hold to carry on (for a copy, `dockside migrate
// --from`; the due, acknowledgement and state indexes follow from the
// messages).
func (s *Store) Messages(after uint64, limit int) ([]*Message, error) {
	var out []*Message
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketMessages).Cursor()
		for k, v := c.Seek(idKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			m := &Message{}
			if err := json.Unmarshal(v, m); err != nil {
				return fmt.Errorf("message %d: %w", beUint64(k), err)
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return out, nil
}

// Ref is the message that last carried a partner's control number or
// file name.
type Ref struct {
	Partner string
	Kind    byte // 'i': ISA13, 'g': GS06, 'n': file name (pickups)
	Value   string
	ID      uint64
}

// Control is the last control number handed out for a partner and kind.
type Control struct {
	Partner, Kind string
	Last          int64
}

// Refs returns every control number and file name reference, by kind,
// then partner and value.
func (s *Store) Refs() ([]Ref, error) {
	var out []Ref
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, b := range []struct {
			kind   byte
			bucket []byte
		}{{'g', bucketByGroup}, {'i', bucketByICN}, {'n', bucketByName}} {
			if err := tx.Bucket(b.bucket).ForEach(func(k, v []byte) error {
				partner, value, _ := bytes.Cut(k, []byte{0})
				out = append(out, Ref{Partner: string(partner), Kind: b.kind, Value: string(value), ID: beUint64(v)})
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return out, nil
}

// Controls returns the last control number of each partner and kind.
func (s *Store) Controls() ([]Control, error) {
	var out []Control
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketControls).ForEach(func(k, v []byte) error {
			partner, kind, _ := bytes.Cut(k, []byte{0})
			out = append(out, Control{Partner: string(partner), Kind: string(kind), Last: int64(binary.BigEndian.Uint64(v))})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return out, nil
}
