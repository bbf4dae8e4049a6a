package inbox

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The inbox keeps secondary indexes beside the records, so that searches
// and the dashboard's figures do not read every message:
//
//   - bucketIndex: one key per (index, value, message), value empty:
//     kind byte + value + 0 + received time (8 bytes, Unix ns, big
//     endian) + id (8 bytes). Within one index value the keys sort by
//     (received time, id): a search reads one key range backwards, and a
//     time range is a sub-range. Kinds: 'a' every message (no value), 's'
//     state, 'p' partner, 'q' partner + 0 + state, 'c' control number
//     (ISA13, GS06, ST02, leading zeros trimmed), 'd' document type.
//   - bucketCounts: counters kept exact by the same writes: 'P' partner +
//     0 + state, and 'H' hour (8 bytes, Unix s) + state: messages received
//     in that hour, by current state.
//   - bucketIndexed: id → the index and counter keys of the message as
//     last written, so that an update removes exactly what it replaces.
//
// putMessage, the only writer of records, keeps the three in step in the
// record's transaction.
var (
	bucketIndex   = []byte("index")
	bucketCounts  = []byte("counts")
	bucketIndexed = []byte("indexed")
	bucketMeta    = []byte("meta")
	keyIndexVer   = []byte("index-version")
	// keyIndexProgress is the next id an interrupted index build reads.
	keyIndexProgress = []byte("index-progress")
)

// indexVersion changes when the index layout does: Open rebuilds the
// indexes of a store written with another version.
const indexVersion = "1"

// maxIndexedValues bounds the control numbers and document types indexed
// per message (a file of thousands of sets): past it, a search by
// control number finds the message through its first ones only.
const maxIndexedValues = 512

// Index kinds.
const (
	ixAll           = 'a'
	ixState         = 's'
	ixPartner       = 'p'
	ixPartnerState  = 'q'
	ixControl       = 'c'
	ixDocType       = 'd'
	cntPartnerState = 'P'
	cntHourState    = 'H'
)

// indexPrefix is the key prefix of one index value.
func indexPrefix(kind byte, value ...string) []byte {
	k := []byte{kind}
	for _, v := range value {
		k = append(k, v...)
		k = append(k, 0)
	}
	return k
}

func timeKey(t time.Time) uint64 {
	if t.Before(time.Unix(0, 0)) {
		return 0
	}
	return uint64(t.UnixNano())
}

func indexKey(prefix []byte, at time.Time, id uint64) []byte {
	k := make([]byte, 0, len(prefix)+16)
	k = append(k, prefix...)
	k = binary.BigEndian.AppendUint64(k, timeKey(at))
	return binary.BigEndian.AppendUint64(k, id)
}

// splitIndexKey returns the time and id at the end of an index key.
func splitIndexKey(k []byte) (uint64, uint64) {
	n := len(k)
	return binary.BigEndian.Uint64(k[n-16 : n-8]), binary.BigEndian.Uint64(k[n-8:])
}

// trimControl is a control number as indexed and searched: leading zeros
// trimmed (ISA13 000001001 and GS06 1001 are both found by "1001").
func trimControl(c string) string {
	if t := strings.TrimLeft(strings.TrimSpace(c), "0"); t != "" {
		return t
	}
	return strings.TrimSpace(c)
}

// derivedKeys are the index keys (first) and counter keys of m.
func derivedKeys(m *Message) (index, counts [][]byte) {
	at, id, st := m.ReceivedAt, m.ID, string(m.State)
	index = append(index,
		indexKey(indexPrefix(ixAll), at, id),
		indexKey(indexPrefix(ixState, st), at, id),
		indexKey(indexPrefix(ixPartner, m.Partner), at, id),
		indexKey(indexPrefix(ixPartnerState, m.Partner, st), at, id))
	controls, docTypes := SearchKeys(m)
	for _, c := range controls {
		index = append(index, indexKey(indexPrefix(ixControl, c), at, id))
	}
	for _, d := range docTypes {
		index = append(index, indexKey(indexPrefix(ixDocType, d), at, id))
	}
	hour := uint64(max(0, m.ReceivedAt.Truncate(time.Hour).Unix()))
	counts = append(counts,
		indexPrefix(cntPartnerState, m.Partner, st),
		append(binary.BigEndian.AppendUint64([]byte{cntHourState}, hour), st...))
	return index, counts
}

// encodeKeys packs keys as length-prefixed strings; the index keys are
// marked 'i', the counter keys 'n'.
func encodeKeys(index, counts [][]byte) []byte {
	var b []byte
	for _, set := range []struct {
		mark byte
		keys [][]byte
	}{{'i', index}, {'n', counts}} {
		for _, k := range set.keys {
			b = append(b, set.mark)
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
		}
	}
	return b
}

func decodeKeys(b []byte) (index, counts [][]byte) {
	for len(b) > 1 {
		mark := b[0]
		n, w := binary.Uvarint(b[1:])
		if w <= 0 || uint64(len(b)-1-w) < n {
			break
		}
		k := b[1+w : 1+w+int(n)]
		if mark == 'i' {
			index = append(index, k)
		} else {
			counts = append(counts, k)
		}
		b = b[1+w+int(n):]
	}
	return index, counts
}

// reindex brings the indexes and counters of m up to date in tx.
func reindex(tx *bolt.Tx, m *Message) error {
	idx, cnt, done := tx.Bucket(bucketIndex), tx.Bucket(bucketCounts), tx.Bucket(bucketIndexed)
	newIdx, newCnt := derivedKeys(m)
	oldIdx, oldCnt := decodeKeys(done.Get(idKey(m.ID)))
	for _, k := range minus(oldIdx, newIdx) {
		if err := idx.Delete(k); err != nil {
			return err
		}
	}
	for _, k := range minus(newIdx, oldIdx) {
		if err := idx.Put(k, nil); err != nil {
			return err
		}
	}
	for _, k := range minus(oldCnt, newCnt) {
		if err := addCount(cnt, k, -1); err != nil {
			return err
		}
	}
	for _, k := range minus(newCnt, oldCnt) {
		if err := addCount(cnt, k, 1); err != nil {
			return err
		}
	}
	return done.Put(idKey(m.ID), encodeKeys(newIdx, newCnt))
}

// minus returns the keys of a not in b.
func minus(a, b [][]byte) [][]byte {
	var out [][]byte
next:
	for _, k := range a {
		for _, o := range b {
			if bytes.Equal(k, o) {
				continue next
			}
		}
		out = append(out, k)
	}
	return out
}

func addCount(b *bolt.Bucket, k []byte, d int64) error {
	var n int64
	if v := b.Get(k); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	n += d
	if n <= 0 {
		return b.Delete(k)
	}
	return b.Put(k, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// indexBatch is how many records one transaction of an index build
// reads (a large inbox is indexed in many commits, not one huge one).
const indexBatch = 10_000

// buildIndex creates the index buckets and, when they were written by
// another version (or not at all), builds them from the records, batch
// records per transaction. An interrupted build goes on where it stopped
// at the next Open (keyIndexProgress holds the next id).
func buildIndex(db *bolt.DB, batch int) error {
	var next uint64
	done := false
	err := db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucketIfNotExists(bucketMessages); err != nil {
			return err
		}
		if string(meta.Get(keyIndexVer)) == indexVersion && tx.Bucket(bucketIndex) != nil {
			done = true
			return nil
		}
		if p := meta.Get(keyIndexProgress); len(p) == 8 && tx.Bucket(bucketIndex) != nil {
			next = binary.BigEndian.Uint64(p)
			return nil
		}
		for _, name := range [][]byte{bucketIndex, bucketCounts, bucketIndexed} {
			if tx.Bucket(name) != nil {
				if err := tx.DeleteBucket(name); err != nil {
					return err
				}
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return meta.Put(keyIndexProgress, idKey(0))
	})
	for err == nil && !done {
		err = db.Update(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			c := tx.Bucket(bucketMessages).Cursor()
			k, v := c.Seek(idKey(next))
			for n := 0; k != nil && n < batch; k, v = c.Next() {
				var m Message
				if err := json.Unmarshal(v, &m); err != nil {
					return fmt.Errorf("message %d: decoding record: %w", binary.BigEndian.Uint64(k), err)
				}
				if err := reindex(tx, &m); err != nil {
					return err
				}
				n++
			}
			if k == nil {
				done = true
				if err := meta.Delete(keyIndexProgress); err != nil {
					return err
				}
				return meta.Put(keyIndexVer, []byte(indexVersion))
			}
			next = binary.BigEndian.Uint64(k)
			return meta.Put(keyIndexProgress, idKey(next))
		})
	}
	if err != nil {
		return fmt.Errorf("indexing messages: %w", err)
	}
	return nil
}

// HourCount is how many messages were received in one hour, by their
// current state.
type HourCount struct {
	Start   time.Time
	ByState map[State]int
}

// Hourly returns the messages received from since (rounded down to the
// hour) to until, per hour that has any, oldest first. It reads counters,
// not messages.
func (s *Store) Hourly(since, until time.Time) ([]HourCount, error) {
	var out []HourCount
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketCounts).Cursor()
		start := binary.BigEndian.AppendUint64([]byte{cntHourState}, uint64(max(0, since.Truncate(time.Hour).Unix())))
		for k, v := c.Seek(start); k != nil && k[0] == cntHourState && len(k) >= 9; k, v = c.Next() {
			at := time.Unix(int64(binary.BigEndian.Uint64(k[1:9])), 0).UTC()
			if !until.IsZero() && !at.Before(until) {
				break
			}
			if len(out) == 0 || !out[len(out)-1].Start.Equal(at) {
				out = append(out, HourCount{Start: at, ByState: map[State]int{}})
			}
			out[len(out)-1].ByState[State(k[9:])] += int(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return out, err
}

// Counts returns the number of messages per partner and state. It reads
// counters, not messages.
func (s *Store) Counts() (map[string]map[State]int, error) {
	out := map[string]map[State]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketCounts).Cursor()
		for k, v := c.Seek([]byte{cntPartnerState}); k != nil && k[0] == cntPartnerState; k, v = c.Next() {
			parts := bytes.Split(k[1:len(k)-1], []byte{0})
			if len(parts) != 2 || len(v) != 8 {
				continue
			}
			partner, st := string(parts[0]), State(parts[1])
			if out[partner] == nil {
				out[partner] = map[State]int{}
			}
			out[partner][st] += int(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return out, err
}
