package inbox

import (
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestIndexRebuiltOnOpen: a store written before the indexes (or by
// another index version) is indexed when opened.
func TestIndexRebuiltOnOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	receive(t, s, "acme", "a.edi", "one")
	receive(t, s, "beta", "b.edi", "two")
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketIndex, bucketCounts, bucketIndexed, bucketMeta} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer checkAndClose(t, s)
	if ms, err := s.List(Filter{Partner: "beta"}); err != nil || len(ms) != 1 || ms[0].Name != "b.edi" {
		t.Errorf("after reopening: %v %v", ms, err)
	}
	if c, err := s.Counts(); err != nil || c["acme"][Received] != 1 {
		t.Errorf("counts %v %v", c, err)
	}
	// A build one record per transaction, interrupted after the first
	// (the progress key left as a crash would), goes on at the next build.
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketIndex, bucketCounts, bucketIndexed} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		meta.Delete(keyIndexVer)
		return meta.Put(keyIndexProgress, idKey(2))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := buildIndex(s.db, 1); err != nil {
		t.Fatal(err)
	}
	if ms, err := s.List(Filter{}); err != nil || len(ms) != 1 || ms[0].Name != "b.edi" {
		t.Errorf("an interrupted build goes on from its progress (message 1 was not to be read again): %v %v", ms, err)
	}
	if err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta).Get(keyIndexProgress) != nil || string(tx.Bucket(bucketMeta).Get(keyIndexVer)) != indexVersion {
			t.Errorf("build not marked done")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
