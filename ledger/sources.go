package ledger

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The sources bucket records every source key posted, with the ID of its
// movement, in blocks: the key of a block is its first source key, and its
// value holds its last source key and then every entry in key order, each
// key front-coded against the one before. Blocks never overlap, so the
// only block that can hold a key is the one named by the greatest block
// key not above it.
//
// A document's source keys usually share a prefix no other document has
// (partner, interchange, control numbers): they fall between two existing
// blocks, so one seek shows that none of them was posted before, and they
// are written as a few new blocks rather than one key each.

// Source block sizes.
const (
	sourceBlockMax   = 64  // entries per block written for new keys
	sourceBlockSplit = 256 // a block grown past this by merged keys is split
	sourceFormat     = 1   // first byte of a block value
)

// sourceEntry is a source key and its movement's ID.
type sourceEntry struct {
	key []byte
	id  uint64
}

// encodeSourceBlock encodes entries (sorted, not empty); the first key is
// the block's bbolt key and is not repeated.
func encodeSourceBlock(buf []byte, entries []sourceEntry) []byte {
	e := encoder{b: buf[:0]}
	e.byte(sourceFormat)
	last := entries[len(entries)-1].key
	e.uvarint(uint64(len(last)))
	e.b = append(e.b, last...)
	e.uvarint(uint64(len(entries)))
	prev := entries[0].key
	e.uvarint(entries[0].id)
	for _, s := range entries[1:] {
		shared := commonPrefix(prev, s.key)
		e.uvarint(uint64(shared))
		e.uvarint(uint64(len(s.key) - shared))
		e.b = append(e.b, s.key[shared:]...)
		e.uvarint(s.id)
		prev = s.key
	}
	return e.b
}

// commonPrefix returns the length of the prefix a and b share.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// sourceBlockLast returns the last key of a block value.
func sourceBlockLast(v []byte) ([]byte, error) {
	d := decoder{b: v}
	if f := d.byte(); d.err == nil && f != sourceFormat {
		return nil, fmt.Errorf("%w: source block format %d", ErrCorrupt, f)
	}
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		return nil, fmt.Errorf("%w: source block", ErrCorrupt)
	}
	return d.b[:n], nil
}

// eachSource calls fn with every entry of the block stored under first,
// in key order, until fn returns false. The key passed to fn is only
// valid during the call.
func eachSource(first, v []byte, fn func(key []byte, id uint64) bool) error {
	d := decoder{b: v}
	if f := d.byte(); d.err == nil && f != sourceFormat {
		return fmt.Errorf("%w: source block %q format %d", ErrCorrupt, first, f)
	}
	lastLen := d.uvarint()
	if d.err != nil || lastLen > uint64(len(d.b)) {
		return fmt.Errorf("%w: source block %q", ErrCorrupt, first)
	}
	last := d.b[:lastLen]
	d.b = d.b[lastLen:]
	n := d.uvarint()
	key := append([]byte(nil), first...)
	id := d.uvarint()
	for i := uint64(0); d.err == nil; i++ {
		if !fn(key, id) {
			return nil
		}
		if i+1 == n {
			break
		}
		shared, size := d.uvarint(), d.uvarint()
		if d.err != nil || shared > uint64(len(key)) || size > uint64(len(d.b)) {
			return fmt.Errorf("%w: source block %q entry %d", ErrCorrupt, first, i+1)
		}
		// The keys share key[:shared], so comparing the rest orders
		// them; the new key then overwrites the old one in place (no
		// allocation per entry).
		if bytes.Compare(key[shared:], d.b[:size]) >= 0 {
			return fmt.Errorf("%w: source block %q out of order", ErrCorrupt, first)
		}
		key = append(key[:shared], d.b[:size]...)
		d.b = d.b[size:]
		id = d.uvarint()
	}
	if err := d.done("source block"); err != nil {
		return fmt.Errorf("source block %q: %w", first, err)
	}
	if !bytes.Equal(key, last) {
		return fmt.Errorf("%w: source block %q ends with %q, says %q", ErrCorrupt, first, key, last)
	}
	return nil
}

// decodeSources returns the entries of a block, keys copied.
func decodeSources(first, v []byte) ([]sourceEntry, error) {
	var out []sourceEntry
	err := eachSource(first, v, func(k []byte, id uint64) bool {
		out = append(out, sourceEntry{append([]byte(nil), k...), id})
		return true
	})
	return out, err
}

// blockBefore positions c on the block that may hold key (the greatest
// block key ≤ key) and returns it, or nil.
func blockBefore(c *bolt.Cursor, key []byte) (k, v []byte) {
	k, v = c.Seek(key)
	if k != nil && bytes.Equal(k, key) {
		return k, v
	}
	if k == nil {
		return c.Last()
	}
	return c.Prev()
}

// lookupSource returns the ID recorded for a source key, or 0.
func lookupSource(c *bolt.Cursor, key []byte) (uint64, error) {
	k, v := blockBefore(c, key)
	if k == nil {
		return 0, nil
	}
	last, err := sourceBlockLast(v)
	if err != nil {
		return 0, fmt.Errorf("source block %q: %w", k, err)
	}
	if bytes.Compare(key, last) > 0 {
		return 0, nil
	}
	var found uint64
	err = eachSource(k, v, func(sk []byte, id uint64) bool {
		switch bytes.Compare(sk, key) {
		case 0:
			found = id
			return false
		case 1:
			return false
		}
		return true
	})
	return found, err
}

// rangeFree reports whether no stored block can hold a key in [lo, hi].
func rangeFree(c *bolt.Cursor, lo, hi []byte) (bool, error) {
	k, v := c.Seek(lo)
	if k != nil && bytes.Compare(k, hi) <= 0 {
		return false, nil // a block starts inside the range
	}
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil {
		return true, nil
	}
	last, err := sourceBlockLast(v)
	if err != nil {
		return false, fmt.Errorf("source block %q: %w", k, err)
	}
	return bytes.Compare(last, lo) < 0, nil
}

// insertSources records new source keys (sorted, none recorded before):
// keys that fall inside an existing block are merged into it, the others
// are written as new blocks between the existing ones.
func insertSources(b *bolt.Bucket, entries []sourceEntry) error {
	c := b.Cursor()
	for len(entries) > 0 {
		first := entries[0].key
		k, v := c.Seek(first)
		next := k // the first block after first, if any
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		if k != nil {
			last, err := sourceBlockLast(v)
			if err != nil {
				return fmt.Errorf("source block %q: %w", k, err)
			}
			if bytes.Compare(first, last) <= 0 {
				n := 1
				for n < len(entries) && bytes.Compare(entries[n].key, last) <= 0 {
					n++
				}
				if err := mergeSources(b, k, v, entries[:n]); err != nil {
					return err
				}
				entries = entries[n:]
				continue
			}
		}
		n := 1
		for n < len(entries) && (next == nil || bytes.Compare(entries[n].key, next) < 0) {
			n++
		}
		if err := putSources(b, entries[:n], sourceBlockMax); err != nil {
			return err
		}
		entries = entries[n:]
	}
	return nil
}

// mergeSources rewrites the block stored under k with entries added.
func mergeSources(b *bolt.Bucket, k, v []byte, add []sourceEntry) error {
	old, err := decodeSources(k, v)
	if err != nil {
		return err
	}
	merged := make([]sourceEntry, 0, len(old)+len(add))
	for len(old) > 0 || len(add) > 0 {
		if len(add) == 0 || (len(old) > 0 && bytes.Compare(old[0].key, add[0].key) < 0) {
			merged = append(merged, old[0])
			old = old[1:]
		} else {
			merged = append(merged, add[0])
			add = add[1:]
		}
	}
	if err := b.Delete(k); err != nil {
		return fmt.Errorf("ledger: rewriting source block: %w", err)
	}
	size := len(merged)
	if size > sourceBlockSplit {
		size = sourceBlockSplit / 2
	}
	return putSources(b, merged, size)
}

// putSources writes entries as blocks of at most size entries.
func putSources(b *bolt.Bucket, entries []sourceEntry, size int) error {
	for len(entries) > 0 {
		n := min(len(entries), size)
		if err := b.Put(entries[0].key, encodeSourceBlock(nil, entries[:n])); err != nil {
			return fmt.Errorf("ledger: writing source keys: %w", err)
		}
		entries = entries[n:]
	}
	return nil
}

// sourceWalk looks up source keys given in ascending order with one
// cursor: it seeks only when a key lies past the block it stands on and
// the gap after it, and decodes each block once, however many of the keys
// fall in it (lookupSource seeks and decodes once per key). The bucket
// must not change while it is used.
type sourceWalk struct {
	c       *bolt.Cursor
	placed  bool   // k, last and next are set
	k, v    []byte // the greatest block key not above the last key looked up; nil: none
	last    []byte // k's last key
	next    []byte // the first block key after k; nil: none
	decoded bool   // buf, ends and ids hold k's entries
	buf     []byte
	ends    []int
	ids     []uint64
	pos     int    // entries before pos are below the last key looked up
	prev    []byte // the last key looked up
}

// lookup returns the ID recorded for key, or 0; keys must come in
// ascending order (an out-of-order key is looked up from the start).
func (s *sourceWalk) lookup(key []byte) (uint64, error) {
	if !s.placed || bytes.Compare(key, s.k) < 0 || (s.next != nil && bytes.Compare(key, s.next) >= 0) {
		if err := s.place(key); err != nil {
			return 0, err
		}
	}
	if s.k == nil || bytes.Compare(key, s.last) > 0 {
		return 0, nil // before every block, or in the gap after k
	}
	if !s.decoded {
		s.buf, s.ends, s.ids, s.pos = s.buf[:0], s.ends[:0], s.ids[:0], 0
		err := eachSource(s.k, s.v, func(sk []byte, id uint64) bool {
			s.buf = append(s.buf, sk...)
			s.ends = append(s.ends, len(s.buf))
			s.ids = append(s.ids, id)
			return true
		})
		if err != nil {
			return 0, err
		}
		s.decoded = true
	} else if bytes.Compare(key, s.prev) < 0 {
		s.pos = 0
	}
	s.prev = key
	for ; s.pos < len(s.ends); s.pos++ {
		start := 0
		if s.pos > 0 {
			start = s.ends[s.pos-1]
		}
		switch bytes.Compare(s.buf[start:s.ends[s.pos]], key) {
		case 0:
			return s.ids[s.pos], nil
		case 1:
			return 0, nil
		}
	}
	return 0, nil
}

// place positions the walk on the block that may hold key.
func (s *sourceWalk) place(key []byte) error {
	k, v := blockBefore(s.c, key)
	s.placed, s.k, s.v, s.decoded, s.last, s.next = true, k, v, false, nil, nil
	if k == nil {
		s.next, _ = s.c.First()
		return nil
	}
	last, err := sourceBlockLast(v)
	if err != nil {
		return fmt.Errorf("source block %q: %w", k, err)
	}
	s.last = last
	s.next, _ = s.c.Next()
	return nil
}
