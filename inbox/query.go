package inbox

import (
	"encoding/json"
	"strings"

	bolt "go.etcd.io/bbolt"
)

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
			k, v = c.Seek(idKey(f.Before))
			k, v = c.Prev()
		} else {
			k, v = c.Last()
		}
		for ; k != nil && len(out) < limit; k, v = c.Prev() {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			if f.matches(&m) {
				out = append(out, &m)
			}
		}
		return nil
	})
	return out, err
}

func (f *Filter) matches(m *Message) bool {
	switch {
	case f.State != "" && m.State != f.State,
		f.Partner != "" && m.Partner != f.Partner,
		!f.Since.IsZero() && m.ReceivedAt.Before(f.Since),
		!f.Until.IsZero() && !m.ReceivedAt.Before(f.Until):
		return false
	}
	if f.Text == "" {
		return true
	}
	if strings.Contains(m.Name, f.Text) || strings.Contains(m.Interchange, f.Text) {
		return true
	}
	if r := m.Result; r != nil {
		if strings.Contains(r.DocType, f.Text) {
			return true
		}
		for _, c := range append(r.Controls, r.Documents...) {
			if strings.Contains(c, f.Text) {
				return true
			}
		}
	}
	return false
}

// Counts returns the number of messages per partner and state.
func (s *Store) Counts() (map[string]map[State]int, error) {
	out := map[string]map[State]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMessages).ForEach(func(_, v []byte) error {
			var m struct {
				Partner string
				State   State
			}
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			if out[m.Partner] == nil {
				out[m.Partner] = map[State]int{}
			}
			out[m.Partner][m.State]++
			return nil
		})
	})
	return out, err
}

// Waiting returns how many messages wait in the queue.
func (s *Store) Waiting() (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketQueue).Stats().KeyN
		return nil
	})
	return n, err
}
