package ledger

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Movements are stored in chunks of consecutive IDs from one posting: key
// = ID of the chunk's first movement (8 bytes BE), value = uvarint count,
// then per movement a uvarint length and the record (encodeMovement). One
// Put per chunk instead of one per movement keeps large postings cheap.
const (
	maxChunkMovements = 256
	maxChunkBytes     = 32 << 10
)

// chunkBuilder gathers the records of one chunk.
type chunkBuilder struct {
	first   uint64 // ID of the first movement; 0 when empty
	n       int    // movements gathered
	records []byte // length-prefixed records
	scratch []byte // for encoding one record
}

// add appends movement m (whose ID must follow the previous one).
func (c *chunkBuilder) add(m *Movement) {
	if c.n == 0 {
		c.first = m.ID
	}
	c.scratch = encodeMovement(c.scratch, m)
	c.records = binary.AppendUvarint(c.records, uint64(len(c.scratch)))
	c.records = append(c.records, c.scratch...)
	c.n++
}

// full reports whether the chunk should be written now.
func (c *chunkBuilder) full() bool {
	return c.n >= maxChunkMovements || len(c.records) >= maxChunkBytes
}

// flush writes the chunk, if any, to b and empties it. The value is freshly
// allocated: bbolt keeps it until the transaction ends.
func (c *chunkBuilder) flush(b *bolt.Bucket) error {
	if c.n == 0 {
		return nil
	}
	v := make([]byte, 0, binary.MaxVarintLen64+len(c.records))
	v = binary.AppendUvarint(v, uint64(c.n))
	v = append(v, c.records...)
	if err := b.Put(idKey(c.first), v); err != nil {
		return fmt.Errorf("writing movements %d+%d: %w", c.first, c.n, err)
	}
	c.first, c.n, c.records = 0, 0, c.records[:0]
	return nil
}

// eachInChunk decodes the movements of a chunk whose first ID is first,
// starting with the one of ID from, until fn returns false.
func eachInChunk(first uint64, v []byte, from uint64, fn func(Movement) bool) (bool, error) {
	count, n := binary.Uvarint(v)
	if n <= 0 || count == 0 || count > maxChunkMovements {
		return false, fmt.Errorf("%w: movement chunk %d header", ErrCorrupt, first)
	}
	v = v[n:]
	for i := range count {
		size, n := binary.Uvarint(v)
		if n <= 0 || size > uint64(len(v)-n) {
			return false, fmt.Errorf("%w: movement %d framing", ErrCorrupt, first+i)
		}
		rec := v[n : n+int(size)]
		v = v[n+int(size):]
		if first+i < from {
			continue
		}
		m, err := decodeMovement(first+i, rec)
		if err != nil {
			return false, err
		}
		if !fn(m) {
			return false, nil
		}
	}
	if len(v) != 0 {
		return false, fmt.Errorf("%w: %d trailing bytes in movement chunk %d", ErrCorrupt, len(v), first)
	}
	return true, nil
}

// chunkCount returns the number of movements in a chunk value.
func chunkCount(v []byte) uint64 {
	count, n := binary.Uvarint(v)
	if n <= 0 {
		return 0
	}
	return count
}

// movementReader reads movements by ID from the movements bucket.
type movementReader struct {
	c *bolt.Cursor
}

func newMovementReader(tx *bolt.Tx) movementReader {
	return movementReader{c: tx.Bucket(bktMovements).Cursor()}
}

// chunkOf positions on the chunk holding id.
func (r movementReader) chunkOf(id uint64) (first uint64, v []byte, ok bool) {
	k, v := r.c.Seek(idKey(id))
	if k == nil {
		k, v = r.c.Last()
	} else if binary.BigEndian.Uint64(k) != id {
		k, v = r.c.Prev()
	}
	if len(k) != 8 {
		return 0, nil, false
	}
	first = binary.BigEndian.Uint64(k)
	if first > id || id-first >= chunkCount(v) {
		return 0, nil, false
	}
	return first, v, true
}

// get returns movement id; ok is false when there is none.
func (r movementReader) get(id uint64) (m Movement, ok bool, err error) {
	first, v, found := r.chunkOf(id)
	if !found {
		return Movement{}, false, nil
	}
	_, err = eachInChunk(first, v, id, func(x Movement) bool {
		m, ok = x, true
		return false
	})
	return m, ok, err
}

// each calls fn on the movements from ID from on, in ID order, until fn
// returns false.
func (r movementReader) each(from uint64, fn func(Movement) bool) error {
	first, v, found := r.chunkOf(from)
	if !found {
		return nil
	}
	for k := idKey(first); k != nil; k, v = r.c.Next() {
		more, err := eachInChunk(binary.BigEndian.Uint64(k), v, from, fn)
		if err != nil || !more {
			return err
		}
	}
	return nil
}
