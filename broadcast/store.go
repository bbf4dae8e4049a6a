package broadcast

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketBroadcasts = []byte("broadcasts") // id → Broadcast JSON
	bucketTold       = []byte("told")       // id 0 sku → quantity: what a broadcast said
	bucketBelieves   = []byte("believes")   // partner 0 sku → quantity: the latest figure sent
	bucketAcked      = []byte("acked")      // partner 0 sku → quantity: as of the last accepted advice
	bucketPartners   = []byte("partners")   // partner → PartnerState JSON
)

// State is where a broadcast is.
type State string

// Broadcast states.
const (
	StateQueued         State = "queued"               // in the outbox, awaiting delivery and the partner's ack
	StateAccepted       State = "accepted"             // the partner's 997/999 accepted it
	StateAcceptedErrors State = "accepted_with_errors" // accepted with errors noted
	StateRejected       State = "rejected"             // the partner rejected it
	StateOverdue        State = "overdue"              // no acknowledgement within the partner's window
	StateNotSent        State = "not_sent"             // built only (dockside advice without --send)
)

// Broadcast is one advice sent (or built) for a partner.
type Broadcast struct {
	ID          uint64    `json:"id"`
	Partner     string    `json:"partner"`
	Time        time.Time `json:"time"`
	Mode        string    `json:"mode"` // full or delta
	Seq         uint64    `json:"seq"`  // the ledger change sequence it reflects
	Items       int       `json:"items"`
	Outbox      []uint64  `json:"outbox,omitempty"`
	Interchange string    `json:"interchange,omitempty"`
	Group       string    `json:"group,omitempty"`
	State       State     `json:"state"`
}

// PartnerState is what the store keeps per partner.
type PartnerState struct {
	// AckedSeq is the ledger sequence of the last accepted advice; a
	// delta looks at the changes after it.
	AckedSeq uint64 `json:"acked_seq"`
	// AckedBroadcast is the last accepted advice.
	AckedBroadcast uint64 `json:"acked_broadcast"`
	// Last is the last advice built.
	Last uint64 `json:"last"`
}

// Store keeps the broadcasts and the figures told.
type Store struct {
	db *bolt.DB
}

// OpenStore opens (creating) the broadcast store in dir.
func OpenStore(dir string) (*Store, error) {
	db, err := bolt.Open(filepath.Join(dir, "broadcast.db"), 0o640, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("broadcast: opening store: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketBroadcasts, bucketTold, bucketBelieves, bucketAcked, bucketPartners} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("broadcast: %w", err)
	}
	return &Store{db: db}, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func pairKey(a, b string) []byte { return []byte(a + "\x00" + b) }

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

func partnerState(tx *bolt.Tx, partner string) (PartnerState, error) {
	var ps PartnerState
	if v := tx.Bucket(bucketPartners).Get([]byte(partner)); v != nil {
		if err := json.Unmarshal(v, &ps); err != nil {
			return ps, err
		}
	}
	return ps, nil
}

// record stores a new broadcast and the figures it told.
func (s *Store) record(b *Broadcast, told map[string]int64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		bb := tx.Bucket(bucketBroadcasts)
		id, err := bb.NextSequence()
		if err != nil {
			return err
		}
		b.ID = id
		if err := putJSON(bb, u64(id), b); err != nil {
			return err
		}
		tb, believes := tx.Bucket(bucketTold), tx.Bucket(bucketBelieves)
		// In key order: bbolt inserts into a node's sorted slice, and
		// random order makes a large transaction quadratic.
		skus := make([]string, 0, len(told))
		for sku := range told {
			skus = append(skus, sku)
		}
		slices.Sort(skus)
		tb.FillPercent, believes.FillPercent = 0.9, 0.9
		for _, sku := range skus {
			q := told[sku]
			v := binary.AppendVarint(nil, q)
			if err := tb.Put(append(u64(id), append([]byte{0}, sku...)...), v); err != nil {
				return err
			}
			if b.State != StateNotSent {
				if err := believes.Put(pairKey(b.Partner, sku), v); err != nil {
					return err
				}
			}
		}
		ps, err := partnerState(tx, b.Partner)
		if err != nil {
			return err
		}
		ps.Last = id
		return putJSON(tx.Bucket(bucketPartners), []byte(b.Partner), ps)
	})
}

// setState updates a broadcast's state; an accepted advice becomes the
// partner's baseline for deltas.
func (s *Store) setState(id uint64, st State) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		bb := tx.Bucket(bucketBroadcasts)
		var b Broadcast
		v := bb.Get(u64(id))
		if v == nil {
			return fmt.Errorf("broadcast %d not found", id)
		}
		if err := json.Unmarshal(v, &b); err != nil {
			return err
		}
		b.State = st
		if err := putJSON(bb, u64(id), &b); err != nil {
			return err
		}
		if st != StateAccepted && st != StateAcceptedErrors {
			return nil
		}
		ps, err := partnerState(tx, b.Partner)
		if err != nil || b.Seq < ps.AckedSeq {
			return err
		}
		acked := tx.Bucket(bucketAcked)
		if b.Mode == ModeFull {
			// A full advice replaces the baseline: clear what it did not list.
			c := acked.Cursor()
			prefix := []byte(b.Partner + "\x00")
			var stale [][]byte
			for k, _ := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
				stale = append(stale, append([]byte(nil), k...))
			}
			for _, k := range stale {
				acked.Delete(k)
			}
		}
		c := tx.Bucket(bucketTold).Cursor()
		prefix := append(u64(id), 0)
		for k, v := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			if err := acked.Put(pairKey(b.Partner, string(k[len(prefix):])), v); err != nil {
				return err
			}
		}
		ps.AckedSeq, ps.AckedBroadcast = b.Seq, id
		return putJSON(tx.Bucket(bucketPartners), []byte(b.Partner), ps)
	})
}

// List returns a partner's broadcasts (all partners when empty), newest
// first, at most limit.
func (s *Store) List(partner string, limit int) ([]Broadcast, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []Broadcast
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketBroadcasts).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var b Broadcast
			if err := json.Unmarshal(v, &b); err != nil {
				return err
			}
			if partner == "" || b.Partner == partner {
				out = append(out, b)
			}
		}
		return nil
	})
	return out, err
}

// Told returns the figures a broadcast told, by SKU.
func (s *Store) Told(id uint64) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketTold).Cursor()
		prefix := append(u64(id), 0)
		for k, v := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			q, _ := binary.Varint(v)
			out[string(k[len(prefix):])] = q
		}
		return nil
	})
	return out, err
}

// Believes returns what a partner was last told for each SKU: what the
// channel believes.
func (s *Store) Believes(partner string) (map[string]int64, error) {
	return s.partnerFigures(bucketBelieves, partner)
}

// acked returns the figures as of the partner's last accepted advice.
func (s *Store) acked(partner string) (map[string]int64, PartnerState, error) {
	var ps PartnerState
	figures, err := s.partnerFigures(bucketAcked, partner)
	if err == nil {
		err = s.db.View(func(tx *bolt.Tx) error {
			ps, err = partnerState(tx, partner)
			return err
		})
	}
	return figures, ps, err
}

func (s *Store) partnerFigures(bucket []byte, partner string) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		prefix := []byte(partner + "\x00")
		for k, v := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			q, _ := binary.Varint(v)
			out[string(k[len(prefix):])] = q
		}
		return nil
	})
	return out, err
}
