package outbox

import bolt "go.etcd.io/bbolt"

// Check returns what bbolt finds inconsistent in the store's file.
func Check(s *Store) []error {
	var errs []error
	s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return nil
	})
	return errs
}
