package ledger

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// A position's timeline is every movement recorded at it, in time order
// (effective time, then ID): what BalanceAsOf subtracts, what History
// lists, and what a snapshot's adjustment is computed against. It is kept
// in two parts so that a movement costs no write of its own:
//
//   - the newest entries (at most inlineMax) live in the position's
//     balance record, which every movement rewrites anyway;
//   - older ones are spilled, a block at a time, to keys
//     P effective(8) id(8) → block, named by the block's first entry.
//
// Blocks never overlap and every spilled entry is older than every inline
// one: the balance record keeps the newest spilled entry (the horizon). A
// late movement older than the horizon (a receipt dated last month) is
// merged into the block that covers its time at once, so the invariant
// holds at every moment of a transaction.

// Timeline sizes.
const (
	inlineMax   = 32  // entries kept in the balance record before a spill
	inlineKeep  = 8   // entries left inline by a spill
	blockMax    = 128 // entries per block written by a spill
	blockSplit  = 256 // a block grown past this by late entries is split
	blockFormat = 1   // first byte of a block value
)

// tlEntry is one timeline entry: a movement's effective time (UnixNano),
// its ID and what it changed.
type tlEntry struct {
	eff   int64
	id    uint64
	delta Quantities
}

// before reports whether e sorts before (eff, id).
func (e tlEntry) before(eff int64, id uint64) bool {
	return e.eff < eff || (e.eff == eff && e.id < id)
}

// compareEntries orders entries by time, then ID.
func compareEntries(a, b tlEntry) int {
	return cmp.Or(cmp.Compare(a.eff, b.eff), cmp.Compare(a.id, b.id))
}

// encodeEntries appends entries (sorted) as a count and then, per entry,
// the effective time and ID as differences from the previous entry, and
// the deltas.
func encodeEntries(e *encoder, entries []tlEntry) {
	e.uvarint(uint64(len(entries)))
	var eff int64
	var id uint64
	for _, t := range entries {
		e.varint(t.eff - eff)
		e.varint(int64(t.id - id))
		e.quantities(t.delta)
		eff, id = t.eff, t.id
	}
}

// decodeEntries reads what encodeEntries wrote, appending to dst.
func decodeEntries(d *decoder, dst []tlEntry) []tlEntry {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("timeline count")
		return dst
	}
	dst = slices.Grow(dst, int(n))
	var eff int64
	var id uint64
	for i := uint64(0); i < n && d.err == nil; i++ {
		eff += d.varint()
		id += uint64(d.varint())
		dst = append(dst, tlEntry{eff: eff, id: id, delta: d.quantities()})
	}
	return dst
}

// encodeBlock encodes a spilled block.
func encodeBlock(buf []byte, entries []tlEntry) []byte {
	e := encoder{b: buf[:0]}
	e.byte(blockFormat)
	encodeEntries(&e, entries)
	return e.b
}

// decodeBlock decodes a spilled block stored under key k, appending its
// entries to dst. The key must name the block's first entry.
func decodeBlock(k, v []byte, dst []tlEntry) ([]tlEntry, error) {
	d := decoder{b: v}
	if f := d.byte(); d.err == nil && f != blockFormat {
		return dst, fmt.Errorf("%w: timeline block %x format %d", ErrCorrupt, k, f)
	}
	start := len(dst)
	dst = decodeEntries(&d, dst)
	if err := d.done("timeline block"); err != nil {
		return dst, fmt.Errorf("timeline block %x: %w", k, err)
	}
	got := dst[start:]
	eff, id := splitTimelineKey(k)
	if len(got) == 0 || got[0].eff != eff || got[0].id != id || !slices.IsSortedFunc(got, compareEntries) {
		return dst, fmt.Errorf("%w: timeline block %x does not match its key", ErrCorrupt, k)
	}
	return dst, nil
}

// insertEntry inserts e into sorted entries; new entries are usually the
// newest, so it searches from the end.
func insertEntry(entries []tlEntry, e tlEntry) []tlEntry {
	i := len(entries)
	for i > 0 && compareEntries(e, entries[i-1]) < 0 {
		i--
	}
	return slices.Insert(entries, i, e)
}

// mergeLate puts e into the spilled block that covers its time (or the
// first block, when e is older than all of them), splitting the block when
// it grows too large. key is scratch space for a key.
func mergeLate(b *bolt.Bucket, key, prefix []byte, e tlEntry) error {
	c := b.Cursor()
	seek := timelineKeyInto(key, prefix, e.eff, e.id)
	k, v := c.Seek(seek)
	if k == nil || !isTimelineOf(k, prefix) || !bytes.Equal(k, seek) {
		// The block before e, if any, covers it; else the first one after.
		if pk, pv := c.Prev(); pk != nil && isTimelineOf(pk, prefix) {
			k, v = pk, pv
		} else {
			k, v = c.Seek(prefix) // blocks sort first among a position's keys
		}
	}
	if k == nil || !isTimelineOf(k, prefix) {
		return fmt.Errorf("%w: position %q has a horizon but no timeline block", ErrCorrupt, prefix)
	}
	entries, err := decodeBlock(k, v, nil)
	if err != nil {
		return err
	}
	if err := b.Delete(k); err != nil {
		return err
	}
	entries = insertEntry(entries, e)
	for len(entries) > 0 {
		n := len(entries)
		if n > blockSplit {
			n = n / 2
		}
		if err := putBlock(b, prefix, entries[:n]); err != nil {
			return err
		}
		entries = entries[n:]
	}
	return nil
}

// putBlock writes entries (sorted, not empty) as one block.
func putBlock(b *bolt.Bucket, prefix []byte, entries []tlEntry) error {
	k := timelineKey(prefix, entries[0].eff, entries[0].id)
	if err := b.Put(k, encodeBlock(nil, entries)); err != nil {
		return fmt.Errorf("ledger: writing timeline block: %w", err)
	}
	return nil
}

// spill moves all but the newest inlineKeep entries of a position that
// has more than inlineMax inline into new blocks, and returns them as
// key-value pairs in key order (after every existing block).
func spill(mem *arena, prefix []byte, s *posState) ([]kv, error) {
	if s.tl.count() <= inlineMax {
		return nil, nil
	}
	entries, err := s.tl.list()
	if err != nil {
		return nil, err
	}
	old := entries[:len(entries)-inlineKeep]
	var out []kv
	for len(old) > 0 {
		n := min(len(old), blockMax)
		key := timelineKeyInto(mem.alloc(len(prefix)+16), prefix, old[0].eff, old[0].id)
		val := encodeBlock(mem.alloc(1+n*12), old[:n])
		out = append(out, kv{key, val})
		old = old[n:]
	}
	last := entries[len(entries)-inlineKeep-1]
	s.spilled, s.horizonEff, s.horizonID = true, last.eff, last.id
	s.tl.set(slices.Clone(entries[len(entries)-inlineKeep:]))
	return out, nil
}

// timelineKeyInto writes prefix effective id into buf.
func timelineKeyInto(buf, prefix []byte, effective int64, id uint64) []byte {
	buf = append(buf[:0], prefix...)
	buf = putU64(buf, timeKey(effective))
	return putU64(buf, id)
}

// sumLater adds up the deltas of a position's entries effective after at
// (UnixNano): inline ones, and spilled ones when the horizon is later than
// at. c must be a cursor on the positions bucket.
func sumLater(c *bolt.Cursor, prefix []byte, s *posState, at int64) (Quantities, error) {
	var sum Quantities
	if eff, ok := s.tl.newest(); ok && eff > at {
		entries, err := s.tl.list()
		if err != nil {
			return Quantities{}, err
		}
		for i := len(entries) - 1; i >= 0 && entries[i].eff > at; i-- {
			sum = sum.add(entries[i].delta)
		}
	}
	if !s.spilled || s.horizonEff <= at {
		return sum, nil
	}
	// Blocks named after at hold only later entries; the one before may
	// hold some.
	seek := timelineKey(prefix, at+1, 0)
	k, v := c.Seek(seek)
	if pk, pv := c.Prev(); pk != nil && isTimelineOf(pk, prefix) {
		k, v = pk, pv
	} else {
		k, v = c.Seek(seek)
	}
	var buf []tlEntry
	for ; k != nil && isTimelineOf(k, prefix); k, v = c.Next() {
		var err error
		if buf, err = decodeBlock(k, v, buf[:0]); err != nil {
			return Quantities{}, err
		}
		for _, e := range buf {
			if e.eff > at {
				sum = sum.add(e.delta)
			}
		}
	}
	return sum, nil
}

// entriesBefore returns up to limit (no cap when limit ≤ 0) of a
// position's entries older than (eff, id), newest first.
func entriesBefore(c *bolt.Cursor, prefix []byte, s *posState, eff int64, id uint64, limit int) ([]tlEntry, error) {
	var out []tlEntry
	if m := maxTime.UnixNano(); eff > m {
		eff, id = m, ^uint64(0) // no entry is later: keep the key below the balance's
	}
	full := func() bool { return limit > 0 && len(out) >= limit }
	entries, err := s.tl.list()
	if err != nil {
		return nil, err
	}
	for i := len(entries) - 1; i >= 0 && !full(); i-- {
		if entries[i].before(eff, id) {
			out = append(out, entries[i])
		}
	}
	if !s.spilled || full() {
		return out, nil
	}
	// The block holding (eff, id) or the newest before it, then older ones.
	// (The position's balance key sorts after every block, so the seek
	// always finds a key; the one before it is the block wanted, if any.)
	if k, _ := c.Seek(timelineKey(prefix, eff, id)); k == nil {
		return nil, fmt.Errorf("%w: position %q has a horizon but no balance", ErrCorrupt, prefix)
	}
	k, v := c.Prev()
	var buf []tlEntry
	for ; k != nil && isTimelineOf(k, prefix) && !full(); k, v = c.Prev() {
		var err error
		if buf, err = decodeBlock(k, v, buf[:0]); err != nil {
			return nil, err
		}
		for i := len(buf) - 1; i >= 0 && !full(); i-- {
			if buf[i].before(eff, id) {
				out = append(out, buf[i])
			}
		}
	}
	return out, nil
}
