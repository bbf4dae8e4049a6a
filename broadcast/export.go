package broadcast

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Broadcasts returns up to limit broadcasts with IDs after `after`,
// oldest first: with Told and Partners, everything a BoltStore holds
// (for a copy into another implementation, `dockside migrate --from`).
func (s *BoltStore) Broadcasts(after uint64, limit int) ([]Broadcast, error) {
	var out []Broadcast
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketBroadcasts).Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			var b Broadcast
			if err := json.Unmarshal(v, &b); err != nil {
				return fmt.Errorf("broadcast %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, b)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("broadcast: %w", err)
	}
	return out, nil
}

// PartnerContents is what a store keeps of one partner.
type PartnerContents struct {
	Partner  string
	State    PartnerState
	Believes map[string]int64 // the figure of the last delivered advice, by SKU
	Unknown  map[string]int64 // SKUs whose delivered advice was rejected, with its figure
}

// Partners returns what the store keeps of each partner, in partner
// order, read in one transaction.
func (s *BoltStore) Partners() ([]PartnerContents, error) {
	byPartner := map[string]*PartnerContents{}
	get := func(partner string) *PartnerContents {
		p := byPartner[partner]
		if p == nil {
			p = &PartnerContents{Partner: partner, Believes: map[string]int64{}, Unknown: map[string]int64{}}
			byPartner[partner] = p
		}
		return p
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketPartners).ForEach(func(k, v []byte) error {
			return json.Unmarshal(v, &get(string(k)).State)
		}); err != nil {
			return err
		}
		for _, b := range [][]byte{bucketBelieves, bucketUnknown} {
			if err := tx.Bucket(b).ForEach(func(k, v []byte) error {
				f, err := decodeFigures(v)
				if err != nil {
					return fmt.Errorf("%s of %s: %w", b, k, err)
				}
				if p := get(string(k)); string(b) == string(bucketBelieves) {
					p.Believes = f
				} else {
					p.Unknown = f
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("broadcast: %w", err)
	}
	out := make([]PartnerContents, 0, len(byPartner))
	for _, p := range byPartner {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b PartnerContents) int {
		switch {
		case a.Partner < b.Partner:
			return -1
		case a.Partner > b.Partner:
			return 1
		}
		return 0
	})
	return out, nil
}
