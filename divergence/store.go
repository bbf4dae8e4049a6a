package divergence

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
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
// was first seen. BoltStore is the embedded implementation;
// divergence/postgres keeps it in PostgreSQL. Every implementation
// passes the contract suite in divergence/divergencetest.
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

// AlertStore is a Store that several gateway nodes share and that keeps
// which divergences were told of (Monitor's WARN and webhook), so that
// an incident is told of once in a cluster, also after another node took
// the alerts over. divergence/postgres implements it; with a Store that
// does not (bbolt: one node), the Monitor remembers in memory.
type AlertStore interface {
	// MarkAlerted marks the divergences of rows as told of and returns
	// the keys (Row.Key) of those that were not marked before: the
	// caller tells of these. A divergence that Track forgets (it ended)
	// loses its mark. On a shared database a call by leader-only work
	// (ctx carries a cluster.Term) is fenced: a deposed leader's fails
	// with an error wrapping cluster.ErrFenced and marks nothing.
	MarkAlerted(ctx context.Context, rows []Row) ([]string, error)
}

var (
	bucketReported = []byte("reported") // partner 0 location → figures (see encodeReported)
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

// Report keeps a partner's figures. They are stored as one value per
// partner and location (a 3PL's 846 of 100,000 items is one write, not
// 100,000 B-tree inserts).
func (s *BoltStore) Report(figures []Reported) error {
	if len(figures) == 0 {
		return nil
	}
	groups := map[string][]Reported{}
	for _, f := range figures {
		k := f.Partner + "\x00" + f.Location
		groups[k] = append(groups[k], f)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReported)
		for k, add := range groups {
			cur, err := decodeReported(add[0].Partner, add[0].Location, b.Get([]byte(k)))
			if err != nil {
				return err
			}
			for _, f := range add {
				cur[f.SKU] = f
			}
			if err := b.Put([]byte(k), encodeReported(cur)); err != nil {
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
		return tx.Bucket(bucketReported).ForEach(func(k, v []byte) error {
			partner, loc, _ := strings.Cut(string(k), "\x00")
			figs, err := decodeReported(partner, loc, v)
			if err != nil {
				return err
			}
			for _, f := range figs {
				out = append(out, f)
			}
			return nil
		})
	})
	slices.SortFunc(out, func(a, b Reported) int {
		return strings.Compare(a.Partner+"\x00"+a.SKU+"\x00"+a.Location, b.Partner+"\x00"+b.SKU+"\x00"+b.Location)
	})
	return out, err
}

// encodeReported encodes one partner's figures at one location: per SKU
// its length, its bytes, the quantity and the report time (unix
// nanoseconds), as varints.
func encodeReported(figs map[string]Reported) []byte {
	b := make([]byte, 0, len(figs)*24)
	for sku, f := range figs {
		b = binary.AppendUvarint(b, uint64(len(sku)))
		b = append(b, sku...)
		b = binary.AppendVarint(b, f.Quantity)
		b = binary.AppendVarint(b, f.At.UnixNano())
	}
	return b
}

func decodeReported(partner, loc string, b []byte) (map[string]Reported, error) {
	out := map[string]Reported{}
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, fmt.Errorf("divergence: corrupt figures of %s at %s", partner, loc)
		}
		sku := string(b[k : k+int(n)])
		b = b[k+int(n):]
		q, k1 := binary.Varint(b)
		if k1 <= 0 {
			return nil, fmt.Errorf("divergence: corrupt figures of %s at %s", partner, loc)
		}
		at, k2 := binary.Varint(b[k1:])
		if k2 <= 0 {
			return nil, fmt.Errorf("divergence: corrupt figures of %s at %s", partner, loc)
		}
		b = b[k1+k2:]
		out[sku] = Reported{Partner: partner, SKU: sku, Location: loc, Quantity: q, At: time.Unix(0, at).UTC()}
	}
	return out, nil
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

// Tracked returns when each divergence still tracked was first seen, by
// Row.Key: with Reported, everything the store holds (for a copy into
// another implementation, `dockside migrate --from`).
func (s *BoltStore) Tracked() (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSince).ForEach(func(k, v []byte) error {
			t, err := time.Parse(time.RFC3339Nano, string(v))
			if err != nil {
				return fmt.Errorf("divergence: since of %q: %w", k, err)
			}
			out[string(k)] = t
			return nil
		})
	})
	return out, err
}
