package broadcast

import (
	"context"
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
	bucketBelieves   = []byte("believes")   // partner → figures: as of the last delivered advice per SKU
	bucketUnknown    = []byte("unknown")    // partner → figures: SKUs whose delivered advice was rejected
	bucketOpen       = []byte("open")       // id → partner: broadcasts whose fate may still change
	bucketPartners   = []byte("partners")   // partner → PartnerState JSON
)

// BoltStore is the Store in a bbolt file of the data folder.
type BoltStore struct {
	db *bolt.DB
}

var _ Store = (*BoltStore)(nil)

// OpenStore opens (creating) the broadcast store in dir.
func OpenStore(dir string) (*BoltStore, error) {
	db, err := bolt.Open(filepath.Join(dir, "broadcast.db"), 0o640, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("broadcast: opening store: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketBroadcasts, bucketTold, bucketBelieves, bucketUnknown, bucketOpen, bucketPartners} {
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
	return &BoltStore{db: db}, nil
}

// Close closes the store.
func (s *BoltStore) Close() error { return s.db.Close() }

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

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
			return ps, fmt.Errorf("broadcast: partner %s: %w", partner, err)
		}
	}
	return ps, nil
}

func getBroadcast(tx *bolt.Tx, id uint64) (Broadcast, error) {
	var b Broadcast
	v := tx.Bucket(bucketBroadcasts).Get(u64(id))
	if v == nil {
		return b, fmt.Errorf("broadcast %d: %w", id, ErrNotFound)
	}
	if err := json.Unmarshal(v, &b); err != nil {
		return b, fmt.Errorf("broadcast %d: %w", id, err)
	}
	return b, nil
}

// putBroadcast stores b with its summary state and keeps the open index
// in step.
func putBroadcast(tx *bolt.Tx, b *Broadcast) error {
	b.State = b.Summary()
	if err := putJSON(tx.Bucket(bucketBroadcasts), u64(b.ID), b); err != nil {
		return err
	}
	if b.open() {
		return tx.Bucket(bucketOpen).Put(u64(b.ID), []byte(b.Partner))
	}
	return tx.Bucket(bucketOpen).Delete(u64(b.ID))
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

// Record stores a new broadcast and the figures it told.
func (s *BoltStore) Record(ctx context.Context, b *Broadcast, lines []mapping.AdviceLine) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("broadcast: recording a broadcast for %s: %w", b.Partner, err)
	}
	told := encodeLines(lines)
	return s.db.Update(func(tx *bolt.Tx) error {
		id, err := tx.Bucket(bucketBroadcasts).NextSequence()
		if err != nil {
			return err
		}
		b.ID = id
		if b.Delivery == "" {
			b.Delivery = DeliveryNotSent
		}
		if err := putBroadcast(tx, b); err != nil {
			return err
		}
		if err := tx.Bucket(bucketTold).Put(u64(id), told); err != nil {
			return err
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

// SetOutbox records the outbox messages that carry a broadcast.
func (s *BoltStore) SetOutbox(id uint64, outbox []uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := getBroadcast(tx, id)
		if err != nil {
			return err
		}
		b.Outbox = slices.Clone(outbox)
		if err := putBroadcast(tx, &b); err != nil {
			return err
		}
		if b.Delivery == DeliveryNotSent || len(outbox) == 0 {
			return nil
		}
		ps, err := partnerState(tx, b.Partner)
		if err != nil {
			return err
		}
		ps.LastSent, ps.Examined = max(ps.LastSent, id), max(ps.Examined, b.Seq)
		return putJSON(tx.Bucket(bucketPartners), []byte(b.Partner), ps)
	})
}

// Examined records that a partner's figures were examined up to seq.
func (s *BoltStore) Examined(partner string, seq uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		ps, err := partnerState(tx, partner)
		if err != nil {
			return err
		}
		if seq <= ps.Examined {
			return nil
		}
		ps.Examined = seq
		return putJSON(tx.Bucket(bucketPartners), []byte(partner), ps)
	})
}

// Update records what the outbox knows of a broadcast.
func (s *BoltStore) Update(id uint64, f Fate) error {
	return s.UpdateMany([]FateUpdate{{ID: id, Fate: f}})
}

// UpdateMany applies updates in order, in one transaction.
func (s *BoltStore) UpdateMany(updates []FateUpdate) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, u := range updates {
			if err := s.update(tx, u.ID, u.Fate); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *BoltStore) update(tx *bolt.Tx, id uint64, f Fate) error {
	b, err := getBroadcast(tx, id)
	if err != nil {
		return err
	}
	if b.Delivery == DeliveryNotSent {
		return fmt.Errorf("broadcast %d was not sent: %w", id, ErrState)
	}
	wasDelivered, wasRejected := b.Delivery == DeliveryDelivered, b.Ack == AckRejected
	if wasDelivered && f.Delivery != DeliveryDelivered {
		f.Delivery, f.DeliveredAt = b.Delivery, b.DeliveredAt // delivery is final
	}
	b.Delivery, b.DeliveredAt, b.Ack, b.AckAt = f.Delivery, f.DeliveredAt.UTC(), f.Ack, f.AckAt.UTC()
	if err := putBroadcast(tx, &b); err != nil {
		return err
	}
	told := tx.Bucket(bucketTold).Get(u64(id))
	if b.Delivery == DeliveryDelivered && !wasDelivered {
		if err := s.delivered(tx, &b, told); err != nil {
			return err
		}
	}
	if b.Delivery == DeliveryDelivered && b.Ack == AckRejected && !wasRejected {
		return s.rejected(tx, &b, told)
	}
	return nil
}

// delivered makes a delivered broadcast's figures what the channel holds:
// a full advice replaces them, a delta updates them; the SKUs it carries
// are no longer unknown.
func (s *BoltStore) delivered(tx *bolt.Tx, b *Broadcast, told []byte) error {
	key := []byte(b.Partner)
	add, err := decodeFigures(told)
	if err != nil {
		return err
	}
	held := add
	if b.Mode != ModeFull {
		if held, err = getFigures(tx, bucketBelieves, key); err != nil {
			return err
		}
		for sku, q := range add {
			held[sku] = q
		}
	}
	if err := tx.Bucket(bucketBelieves).Put(key, encodeFigures(held)); err != nil {
		return err
	}
	unknown, err := getFigures(tx, bucketUnknown, key)
	if err != nil || len(unknown) == 0 {
		return err
	}
	if b.Mode == ModeFull {
		return tx.Bucket(bucketUnknown).Delete(key)
	}
	for sku := range add {
		delete(unknown, sku)
	}
	return tx.Bucket(bucketUnknown).Put(key, encodeFigures(unknown))
}

// rejected makes the SKUs whose held figure a rejected advice set unknown:
// the channel may have refused the figure and kept any earlier one.
func (s *BoltStore) rejected(tx *bolt.Tx, b *Broadcast, told []byte) error {
	key := []byte(b.Partner)
	figures, err := decodeFigures(told)
	if err != nil {
		return err
	}
	held, err := getFigures(tx, bucketBelieves, key)
	if err != nil {
		return err
	}
	unknown, err := getFigures(tx, bucketUnknown, key)
	if err != nil {
		return err
	}
	for sku, q := range figures {
		if h, ok := held[sku]; ok && h == q {
			unknown[sku] = q
		}
	}
	return tx.Bucket(bucketUnknown).Put(key, encodeFigures(unknown))
}

// Partner returns what the store keeps for a partner.
func (s *BoltStore) Partner(partner string) (PartnerState, error) {
	var ps PartnerState
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ps, err = partnerState(tx, partner)
		return err
	})
	return ps, err
}

// Get returns a broadcast.
func (s *BoltStore) Get(id uint64) (Broadcast, error) {
	var b Broadcast
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		b, err = getBroadcast(tx, id)
		return err
	})
	return b, err
}

// List returns a partner's broadcasts (all partners when empty), newest
// first, at most limit.
func (s *BoltStore) List(partner string, limit int) ([]Broadcast, error) {
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

// Open returns the broadcasts whose fate may still change, oldest first.
func (s *BoltStore) Open() ([]Broadcast, error) {
	var out []Broadcast
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOpen).ForEach(func(k, _ []byte) error {
			b, err := getBroadcast(tx, binary.BigEndian.Uint64(k))
			if err != nil {
				return err
			}
			out = append(out, b)
			return nil
		})
	})
	return out, err
}

// Told returns the figures a broadcast told, by SKU.
func (s *BoltStore) Told(id uint64) (map[string]int64, error) {
	var out map[string]int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = getFigures(tx, bucketTold, u64(id))
		return err
	})
	return out, err
}

// Believes returns what a channel holds: the figure of the last delivered
// advice, by SKU.
func (s *BoltStore) Believes(partner string) (map[string]int64, error) {
	var out map[string]int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = getFigures(tx, bucketBelieves, []byte(partner))
		return err
	})
	return out, err
}

// Beliefs returns everything the channel may hold.
func (s *BoltStore) Beliefs(partner string) (*Beliefs, error) {
	out := &Beliefs{Possible: map[string][]int64{}, Unknown: map[string]bool{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		if out.Held, err = getFigures(tx, bucketBelieves, []byte(partner)); err != nil {
			return err
		}
		unknown, err := getFigures(tx, bucketUnknown, []byte(partner))
		if err != nil {
			return err
		}
		for sku := range unknown {
			out.Unknown[sku] = true
		}
		return tx.Bucket(bucketOpen).ForEach(func(k, v []byte) error {
			if string(v) != partner {
				return nil
			}
			b, err := getBroadcast(tx, binary.BigEndian.Uint64(k))
			if err != nil || !b.pending() {
				return err
			}
			told, err := getFigures(tx, bucketTold, k)
			if err != nil {
				return err
			}
			for sku, q := range told {
				if !slices.Contains(out.Possible[sku], q) {
					out.Possible[sku] = append(out.Possible[sku], q)
				}
			}
			return nil
		})
	})
	return out, err
}
