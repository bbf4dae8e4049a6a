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

// DropIndexes removes the state indexes, as a file written before them.
func DropIndexes(s *Store) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketStateOf, bucketByState, bucketByAck} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		return nil
	})
}
