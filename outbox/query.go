package outbox

import (
	"bytes"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// Filter selects messages in List.
type Filter struct {
	State    State
	Partner  string
	AckState AckState
	Kind     string
	Before   uint64 // page: ids below this (0 = newest first)
	Limit    int    // default 100
}

// Get returns message id.
func (s *Store) Get(id uint64) (*Message, error) {
	var m *Message
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		m, err = getMessage(tx, id)
		return err
	})
	return m, err
}

// List returns the messages that match f, newest first. A state or ack
// state filter reads its index; other filters read every message.
func (s *Store) List(f Filter) ([]*Message, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []*Message
	match := func(m *Message) bool {
		return (f.State == "" || m.State == f.State) && (f.Partner == "" || m.Partner == f.Partner) &&
			(f.AckState == "" || m.AckState == f.AckState) && (f.Kind == "" || m.Kind == f.Kind)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		var index *bolt.Bucket
		var prefix []byte
		switch {
		case f.State != "":
			index, prefix = tx.Bucket(bucketByState), append([]byte(f.State), 0)
		case f.AckState != "":
			index, prefix = tx.Bucket(bucketByAck), append([]byte(f.AckState), 0)
		}
		if index != nil {
			var err error
			eachIndexed(index, prefix, f.Before, func(id uint64) bool {
				var m *Message
				if m, err = getMessage(tx, id); err != nil {
					return false
				}
				if match(m) {
					out = append(out, m)
				}
				return len(out) < limit
			})
			return err
		}
		c := tx.Bucket(bucketMessages).Cursor()
		var k, v []byte
		if f.Before > 0 {
			c.Seek(idKey(f.Before))
			k, v = c.Prev()
		} else {
			k, v = c.Last()
		}
		for ; k != nil && len(out) < limit; k, v = c.Prev() {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			if match(&m) {
				out = append(out, &m)
			}
		}
		return nil
	})
	return out, err
}

// eachIndexed calls fn with the ids under prefix in an index bucket,
// newest first, below before (0: all), until fn returns false.
func eachIndexed(b *bolt.Bucket, prefix []byte, before uint64, fn func(id uint64) bool) {
	c := b.Cursor()
	seek := append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	if before > 0 {
		seek = append(bytes.Clone(prefix), idKey(before)...)
	}
	k, _ := c.Seek(seek)
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Prev() {
		if !fn(beUint64(k[len(prefix):])) {
			return
		}
	}
}

// Backlog returns how many messages are not yet delivered (queued,
// sending, sent or failed), and how many are dead, from the state index.
func (s *Store) Backlog() (pending, dead int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketByState).Cursor()
		for _, st := range []State{Queued, Sending, Sent, Failed, Dead} {
			prefix := append([]byte(st), 0)
			n := 0
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				n++
			}
			if st == Dead {
				dead = n
			} else {
				pending += n
			}
		}
		return nil
	})
	return pending, dead, err
}
