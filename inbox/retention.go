package inbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Purge removes the stored bytes of messages that are done or duplicates
// and were last updated before cutoff. Records stay; bytes shared with a
// message that is kept stay too. Bytes of a message that is not done are
// never removed. It returns how many messages lost their bytes.
func (s *Store) Purge(cutoff time.Time) (int, error) {
	s.blobMu.Lock()
	defer s.blobMu.Unlock()
	var remove []string
	n := 0
	err := s.tx.Update(func(tx *bolt.Tx) error {
		remove = nil // a shared commit may run this again
		var expired []*Message
		err := tx.Bucket(bucketMessages).ForEach(func(_, v []byte) error {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			if !m.Purged && (m.State == Done || m.State == Duplicate) && m.UpdatedAt.Before(cutoff) {
				expired = append(expired, &m)
			}
			return nil
		})
		if err != nil {
			return err
		}
		refs := tx.Bucket(bucketBlobRefs)
		for _, m := range expired {
			m.Purged = true
			if err := putMessage(tx, m); err != nil {
				return err
			}
			if err := addBlobRef(tx, m.SHA256, -1); err != nil {
				return err
			}
			if refs.Get([]byte(m.SHA256)) == nil {
				if err := tx.Bucket(bucketBodies).Delete([]byte(m.SHA256)); err != nil {
					return err
				}
				remove = append(remove, m.SHA256)
			}
		}
		n = len(expired)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("inbox: purge: %w", err)
	}
	for _, sum := range remove {
		if err := os.Remove(s.blobPath(sum)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, fmt.Errorf("inbox: purge: %w", err)
		}
	}
	return n, nil
}
