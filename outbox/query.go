package outbox

import (
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

// List returns the messages that match f, newest first.
func (s *Store) List(f Filter) ([]*Message, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []*Message
	err := s.db.View(func(tx *bolt.Tx) error {
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
			if (f.State == "" || m.State == f.State) && (f.Partner == "" || m.Partner == f.Partner) &&
				(f.AckState == "" || m.AckState == f.AckState) && (f.Kind == "" || m.Kind == f.Kind) {
				out = append(out, &m)
			}
		}
		return nil
	})
	return out, err
}

// Backlog returns how many messages are not yet delivered (queued,
// sending, sent or failed), and how many are dead.
func (s *Store) Backlog() (pending, dead int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMessages).ForEach(func(_, v []byte) error {
			var m struct{ State State }
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			switch m.State {
			case Dead:
				dead++
			case Queued, Sending, Sent, Failed:
				pending++
			}
			return nil
		})
	})
	return pending, dead, err
}
