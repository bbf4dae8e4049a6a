package divergence

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Reported is a partner's own figure for a SKU at one of our locations.
type Reported struct {
	Partner  string    `json:"partner"`
	SKU      string    `json:"sku"`
	Location string    `json:"location"`
	Quantity int64     `json:"quantity"`
	At       time.Time `json:"at"` // when the partner reported it
}

// Store keeps the partners' reported figures and when each divergence
// was first seen. BoltStore is the embedded implementation.
type Store interface {
	// Report keeps a partner's figures; a later figure for the same SKU
	// and location replaces the earlier one.
	Report(figures []Reported) error
	// Reported returns every partner's latest figures.
	Reported() ([]Reported, error)
	// Track stamps each row with the time its divergence was first seen
	// (now for a new one) and forgets the divergences not in rows (they
	// ended).
	Track(rows []Row, now time.Time) error
	// Close closes the store.
	Close() error
}

var (
	bucketReported = []byte("reported") // partner 0 sku 0 location → Reported JSON
	bucketSince    = []byte("since")    // row key → RFC 3339 time
)

// BoltStore is the Store in a bbolt file of the data folder.
type BoltStore struct {
	db *bolt.DB
}

var _ Store = (*BoltStore)(nil)

// OpenStore opens (creating) the divergence store in dir.
func OpenStore(dir string) (*BoltStore, error) {
	db, err := bolt.Open(filepath.Join(dir, "divergence.db"), 0o640, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("divergence: opening store: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketReported, bucketSince} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("divergence: %w", err)
	}
	return &BoltStore{db: db}, nil
}

// Close closes the store.
func (s *BoltStore) Close() error { return s.db.Close() }

// Report keeps a partner's figures.
func (s *BoltStore) Report(figures []Reported) error {
	if len(figures) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReported)
		for _, f := range figures {
			v, err := json.Marshal(f)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(f.Partner+"\x00"+f.SKU+"\x00"+f.Location), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Reported returns every partner's latest figures.
func (s *BoltStore) Reported() ([]Reported, error) {
	var out []Reported
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketReported).ForEach(func(_, v []byte) error {
			var r Reported
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("divergence: reported figure: %w", err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// Track stamps rows with when each divergence was first seen.
func (s *BoltStore) Track(rows []Row, now time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSince)
		keep := make(map[string]bool, len(rows))
		for i := range rows {
			k := rows[i].Key()
			keep[k] = true
			if v := b.Get([]byte(k)); v != nil {
				if t, err := time.Parse(time.RFC3339Nano, string(v)); err == nil {
					rows[i].Since = t
					continue
				}
			}
			rows[i].Since = now.UTC()
			if err := b.Put([]byte(k), []byte(rows[i].Since.Format(time.RFC3339Nano))); err != nil {
				return err
			}
		}
		var gone [][]byte
		b.ForEach(func(k, _ []byte) error {
			if !keep[string(k)] {
				gone = append(gone, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range gone {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Key identifies a row's divergence across reports.
func (r *Row) Key() string {
	return strings.Join([]string{string(r.Kind), r.Partner, r.SKU, r.Location}, "\x00")
}
