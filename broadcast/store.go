package broadcast

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/mapping"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketBroadcasts = []byte("broadcasts") // id → Broadcast JSON
	bucketTold       = []byte("told")       // id → figures: what a broadcast said
	bucketBelieves   = []byte("believes")   // partner → figures: the latest figure sent per SKU
	bucketAcked      = []byte("acked")      // partner → figures: as of the last accepted advice
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
	// Split is the SKU in the middle of the last full advice: the next
	// full advice lists the ledger in two halves from there.
	Split string `json:"split,omitempty"`
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

// Figures are stored as one value per broadcast or partner: SKUs in
// order, each as its length, its bytes and the quantity (varints). One
// value of 100,000 figures is one write, where a key per SKU would be
// 100,000 B-tree inserts.
func encodeFigures(f map[string]int64) []byte {
	skus := make([]string, 0, len(f))
	for sku := range f {
		skus = append(skus, sku)
	}
	slices.Sort(skus)
	b := make([]byte, 0, len(f)*16)
	for _, sku := range skus {
		b = appendFigure(b, sku, f[sku])
	}
	return b
}

// encodeLines encodes advice lines, which come in SKU order, as figures.
func encodeLines(lines []mapping.AdviceLine) []byte {
	if !slices.IsSortedFunc(lines, func(a, b mapping.AdviceLine) int { return strings.Compare(a.SKU, b.SKU) }) {
		f := make(map[string]int64, len(lines))
		for _, l := range lines {
			f[l.SKU] = l.Quantity
		}
		return encodeFigures(f)
	}
	b := make([]byte, 0, len(lines)*16)
	for _, l := range lines {
		b = appendFigure(b, l.SKU, l.Quantity)
	}
	return b
}

func appendFigure(b []byte, sku string, q int64) []byte {
	b = binary.AppendUvarint(b, uint64(len(sku)))
	b = append(b, sku...)
	return binary.AppendVarint(b, q)
}

func decodeFigures(b []byte) (map[string]int64, error) {
	f := map[string]int64{}
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, fmt.Errorf("broadcast: corrupt figures")
		}
		sku := string(b[k : k+int(n)])
		b = b[k+int(n):]
		q, k := binary.Varint(b)
		if k <= 0 {
			return nil, fmt.Errorf("broadcast: corrupt figures")
		}
		f[sku] = q
		b = b[k:]
	}
	return f, nil
}

func getFigures(tx *bolt.Tx, bucket, key []byte) (map[string]int64, error) {
	return decodeFigures(tx.Bucket(bucket).Get(key))
}

// record stores a new broadcast and the figures it told; what the partner
// believes becomes those figures (a full advice) or is updated by them (a
// delta).
func (s *Store) record(b *Broadcast, lines []mapping.AdviceLine) error {
	told := encodeLines(lines)
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
		if err := tx.Bucket(bucketTold).Put(u64(id), told); err != nil {
			return err
		}
		if b.State != StateNotSent {
			if err := mergeFigures(tx, bucketBelieves, b.Partner, told, b.Mode == ModeFull); err != nil {
				return err
			}
		}
		ps, err := partnerState(tx, b.Partner)
		if err != nil {
			return err
		}
		ps.Last = id
		if b.Mode == ModeFull && len(lines) > 0 {
			ps.Split = lines[len(lines)/2].SKU
		}
		return putJSON(tx.Bucket(bucketPartners), []byte(b.Partner), ps)
	})
}

// Partner returns what the store keeps for a partner.
func (s *Store) Partner(partner string) (PartnerState, error) {
	var ps PartnerState
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ps, err = partnerState(tx, partner)
		return err
	})
	return ps, err
}

// mergeFigures sets a partner's figures in bucket to the encoded figures f
// (replace) or updates them with f.
func mergeFigures(tx *bolt.Tx, bucket []byte, partner string, f []byte, replace bool) error {
	if !replace {
		cur, err := getFigures(tx, bucket, []byte(partner))
		if err != nil {
			return err
		}
		add, err := decodeFigures(f)
		if err != nil {
			return err
		}
		for sku, q := range add {
			cur[sku] = q
		}
		f = encodeFigures(cur)
	}
	return tx.Bucket(bucket).Put([]byte(partner), f)
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
		told := tx.Bucket(bucketTold).Get(u64(id))
		if err := mergeFigures(tx, bucketAcked, b.Partner, told, b.Mode == ModeFull); err != nil {
			return err
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
	var out map[string]int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = getFigures(tx, bucketTold, u64(id))
		return err
	})
	return out, err
}

// Believes returns what a partner was last told for each SKU: what the
// channel believes.
func (s *Store) Believes(partner string) (map[string]int64, error) {
	var out map[string]int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = getFigures(tx, bucketBelieves, []byte(partner))
		return err
	})
	return out, err
}

// acked returns the figures as of the partner's last accepted advice.
func (s *Store) acked(partner string) (map[string]int64, PartnerState, error) {
	var ps PartnerState
	var figures map[string]int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		if figures, err = getFigures(tx, bucketAcked, []byte(partner)); err != nil {
			return err
		}
		ps, err = partnerState(tx, partner)
		return err
	})
	return figures, ps, err
}
