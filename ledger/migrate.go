package ledger

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bktRebuild is where a migration writes a bucket's new content before it
// replaces the old one (bbolt cannot rename buckets).
var bktRebuild = []byte("rebuild")

// migrate2to3 upgrades a schema-2 file in the open transaction: source
// keys, stored one per key, are gathered into blocks (sources.go), and
// each position's timeline, stored one entry per key, moves into its
// balance record and spilled blocks (timeline.go). Movements, postings and
// allocations are unchanged. It runs in one transaction, so a crash leaves
// the file as it was.
func migrate2to3(tx *bolt.Tx) error {
	if err := rebuild(tx, bktSources, 1.0, migrateSources); err != nil {
		return fmt.Errorf("ledger: upgrading source keys: %w", err)
	}
	if err := rebuild(tx, bktPositions, positionsFill, migratePositions); err != nil {
		return fmt.Errorf("ledger: upgrading positions: %w", err)
	}
	return tx.Bucket(bktMeta).Put(keySchema, idKey(schemaVersion))
}

// rebuild writes a bucket's new content with convert into a scratch
// bucket, then replaces the bucket with a copy of it.
func rebuild(tx *bolt.Tx, name []byte, fill float64, convert func(old *bolt.Bucket, put func(k, v []byte) error) error) error {
	tmp, err := tx.CreateBucket(bktRebuild)
	if err != nil {
		return err
	}
	tmp.FillPercent = 1.0
	old := tx.Bucket(name)
	if old == nil {
		return fmt.Errorf("%w: bucket %q missing", ErrNotLedger, name)
	}
	if err := convert(old, tmp.Put); err != nil {
		return err
	}
	if err := tx.DeleteBucket(name); err != nil {
		return err
	}
	fresh, err := tx.CreateBucket(name)
	if err != nil {
		return err
	}
	fresh.FillPercent = fill
	c := tmp.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := fresh.Put(k, v); err != nil {
			return err
		}
	}
	return tx.DeleteBucket(bktRebuild)
}

// migrateSources turns source key → uvarint ID into blocks.
func migrateSources(old *bolt.Bucket, put func(k, v []byte) error) error {
	var block []sourceEntry
	flush := func() error {
		if len(block) == 0 {
			return nil
		}
		err := put(block[0].key, encodeSourceBlock(nil, block))
		block = block[:0]
		return err
	}
	c := old.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		id, n := binary.Uvarint(v)
		if n <= 0 || n != len(v) || id == 0 {
			return fmt.Errorf("%w: source key %q = %x", ErrCorrupt, k, v)
		}
		block = append(block, sourceEntry{bytes.Clone(k), id})
		if len(block) == sourceBlockMax {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// migratePositions moves each position's timeline entries into its
// balance record, spilling the older ones to blocks.
func migratePositions(old *bolt.Bucket, put func(k, v []byte) error) error {
	var entries []tlEntry
	var allocs []kv
	var mem arena
	c := old.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		prefix, kind := parsePositionKey(k)
		switch kind {
		case keyTimeline:
			d, err := decodeDeltas(v)
			if err != nil {
				return fmt.Errorf("timeline entry %x: %w", k, err)
			}
			eff, id := splitTimelineKey(k)
			entries = append(entries, tlEntry{eff: eff, id: id, delta: d})
		case keyAllocation:
			allocs = append(allocs, kv{bytes.Clone(k), bytes.Clone(v)})
		case keyBalance:
			s, err := decodePosState(v)
			if err != nil {
				return fmt.Errorf("balance %x: %w", k, err)
			}
			s.tl.set(entries)
			blocks, err := spill(&mem, prefix, &s)
			if err != nil {
				return err
			}
			for _, e := range blocks {
				if err := put(e.key, e.val); err != nil {
					return err
				}
			}
			for _, e := range allocs {
				if err := put(e.key, e.val); err != nil {
					return err
				}
			}
			if err := put(bytes.Clone(k), encodePosState(nil, &s)); err != nil {
				return err
			}
			entries, allocs, mem = entries[:0], allocs[:0], arena{}
		default:
			return fmt.Errorf("%w: positions key %x", ErrCorrupt, k)
		}
	}
	if len(entries) > 0 || len(allocs) > 0 {
		return fmt.Errorf("%w: timeline entries or allocations without a balance", ErrCorrupt)
	}
	return nil
}
