package reservations

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketReservations = []byte("reservations") // key → Record JSON

// Bolt is the Store in reservations.db of the data folder.
type Bolt struct {
	db *bolt.DB
}

var _ Store = (*Bolt)(nil)

// OpenBolt opens (creating) reservations.db in the data folder dir.
func OpenBolt(dir string) (*Bolt, error) {
	db, err := bolt.Open(filepath.Join(dir, "reservations.db"), 0o640, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("reservations: %w", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketReservations)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("reservations: %w", err)
	}
	return &Bolt{db: db}, nil
}

// Close implements Store.
func (s *Bolt) Close() error { return s.db.Close() }

func decode(key, v []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("reservations: record %q: %w", key, err)
	}
	return r, nil
}

// Get implements Store.
func (s *Bolt) Get(_ context.Context, key string) (Record, error) {
	var r Record
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketReservations).Get([]byte(key))
		if v == nil {
			return fmt.Errorf("%w: %q", ErrNotFound, key)
		}
		var err error
		r, err = decode([]byte(key), v)
		return err
	})
	return r, err
}

// Create implements Store; the check and the write are one bbolt
// transaction.
func (s *Bolt) Create(_ context.Context, r Record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("reservations: %w", err)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReservations)
		if b.Get([]byte(r.Key)) != nil {
			return fmt.Errorf("%w: %q", ErrExists, r.Key)
		}
		return b.Put([]byte(r.Key), v)
	})
}

// Release implements Store.
func (s *Bolt) Release(_ context.Context, key string, at time.Time) (Record, error) {
	var r Record
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReservations)
		v := b.Get([]byte(key))
		if v == nil {
			return fmt.Errorf("%w: %q", ErrNotFound, key)
		}
		var err error
		if r, err = decode([]byte(key), v); err != nil || !r.Released.IsZero() {
			return err
		}
		r.Released = at.UTC()
		if v, err = json.Marshal(r); err != nil {
			return err
		}
		return b.Put([]byte(key), v)
	})
	return r, err
}

// List implements Store.
func (s *Bolt) List(_ context.Context, after string, limit int) ([]Record, error) {
	var out []Record
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketReservations).Cursor()
		k, v := c.Seek([]byte(after))
		if k != nil && bytes.Equal(k, []byte(after)) {
			k, v = c.Next()
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			r, err := decode(k, v)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}
