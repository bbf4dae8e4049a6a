package orders

import bolt "go.etcd.io/bbolt"

// CopyTo writes the file as committed now to path: what a crash at this
// point would leave.
func (s *Bolt) CopyTo(path string) error {
	return s.db.View(func(tx *bolt.Tx) error { return tx.CopyFile(path, 0o600) })
}
