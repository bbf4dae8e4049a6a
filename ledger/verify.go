package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// maxVerifyErrors caps the problems Verify reports.
const maxVerifyErrors = 50

// Verify checks the whole file: bbolt's own consistency check (Tx.Check),
// then the ledger's invariants: every movement decodes and is indexed by
// its source key, and no source key appears twice; every timeline entry
// matches its movement; every balance equals the sum of its movements'
// deltas, its allocations and its incoming schedule; postings cover the
// movements exactly, in order. It reads everything in one read transaction,
// so on a large ledger it takes a while. Problems come back joined, each
// wrapping ErrCorrupt (or bbolt's error).
func (l *Ledger) Verify(ctx context.Context) error {
	var errs []error
	report := func(err error) bool {
		errs = append(errs, err)
		return len(errs) < maxVerifyErrors
	}
	err := l.view(ctx, func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			if !report(fmt.Errorf("bbolt check: %w", err)) {
				return nil
			}
		}
		v := verifier{tx: tx, report: report}
		_ = v.movements(ctx) && v.timeline() && v.balances() && v.postings()
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledger: verify: %w", err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("ledger: verify %s: %w", l.path, errors.Join(errs...))
	}
	return nil
}

// verifier holds what the checks learn from one another.
type verifier struct {
	tx     *bolt.Tx
	report func(error) bool // false: stop checking
	moves  map[uint64]movementFacts
	sums   map[string]Quantities // position prefix → sum of timeline deltas
	states map[string]posState   // position prefix → balance
	allocs map[string]int64      // position prefix → sum of its allocations
	lastID uint64
	count  uint64
}

// movementFacts is what the timeline check needs of a movement.
type movementFacts struct {
	pos       string // balance key
	effective int64
	delta     Quantities
	seq       uint64
	seen      bool // has a timeline entry
}

func (v *verifier) fail(format string, args ...any) bool {
	return v.report(fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...)))
}

// movements checks every movement against the source index.
func (v *verifier) movements(ctx context.Context) bool {
	v.moves = make(map[uint64]movementFacts)
	sources := v.tx.Bucket(bktSources).Cursor()
	c := v.tx.Bucket(bktMovements).Cursor()
	next := uint64(1)
	for k, val := c.First(); k != nil; k, val = c.Next() {
		if ctx.Err() != nil {
			v.report(ctx.Err())
			return false
		}
		if len(k) != 8 || binary.BigEndian.Uint64(k) != next {
			if !v.fail("movement chunk key %x, expected movement %d", k, next) {
				return false
			}
		}
		first := binary.BigEndian.Uint64(k)
		next = first + chunkCount(val)
		ok := true
		_, err := eachInChunk(first, val, first, func(m Movement) bool {
			v.count++
			v.lastID = m.ID
			got, err := lookupSource(sources, []byte(m.SourceKey))
			if err != nil {
				ok = v.report(err)
			} else if got != m.ID {
				ok = v.fail("source key %q indexes movement %d, not %d (posted twice?)", m.SourceKey, got, m.ID)
			}
			v.moves[m.ID] = movementFacts{pos: string(positionPrefix(m.SKU, m.Location)), effective: m.Effective.UnixNano(), delta: m.Delta, seq: m.Seq}
			return ok
		})
		if err != nil && !v.report(err) || !ok {
			return false
		}
	}
	if n, ok := v.sourceBlocks(); !ok {
		return false
	} else if n != v.count {
		return v.fail("%d source keys for %d movements", n, v.count)
	}
	if seq := v.tx.Bucket(bktMovements).Sequence(); seq != v.lastID {
		return v.fail("movement sequence %d, last movement %d", seq, v.lastID)
	}
	return true
}

// sourceBlocks checks that the source blocks are in order and do not
// overlap, and counts their keys.
func (v *verifier) sourceBlocks() (uint64, bool) {
	var n uint64
	var last []byte
	c := v.tx.Bucket(bktSources).Cursor()
	for k, val := c.First(); k != nil; k, val = c.Next() {
		if last != nil && bytes.Compare(k, last) <= 0 {
			if !v.fail("source block %q overlaps the one before (ending %q)", k, last) {
				return n, false
			}
		}
		err := eachSource(k, val, func(key []byte, id uint64) bool {
			n++
			last = append(last[:0], key...)
			return true
		})
		if err != nil && !v.report(err) {
			return n, false
		}
	}
	return n, true
}

// positionFacts is what the timeline check gathers of one position.
type positionFacts struct {
	spilledMax tlEntry // newest spilled entry seen
	blocks     int
}

// timeline checks every timeline entry (spilled and inline) against its
// movement, sums the deltas per position, and reads the balances.
func (v *verifier) timeline() bool {
	v.sums = make(map[string]Quantities)
	v.states = make(map[string]posState)
	v.allocs = make(map[string]int64)
	facts := make(map[string]*positionFacts)
	c := v.tx.Bucket(bktPositions).Cursor()
	var buf []tlEntry
	for k, val := c.First(); k != nil; k, val = c.Next() {
		pos, kind := parsePositionKey(k)
		switch kind {
		case keyBad:
			if !v.fail("positions key %x", k) {
				return false
			}
		case keyAllocation:
			n, nn := binary.Varint(val)
			unnamed := len(k) == len(pos)+1 // order "": allocated snapshots, may be negative
			if nn <= 0 || nn != len(val) || n == 0 || (n < 0 && !unnamed) {
				if !v.fail("allocation %q = %x", k, val) {
					return false
				}
				continue
			}
			v.allocs[string(pos)] += n
		case keyBalance:
			s, err := decodePosState(val)
			if err != nil {
				sku, loc := prefixParts(pos)
				if !v.report(fmt.Errorf("balance %q at %q: %w", sku, loc, err)) {
					return false
				}
				continue
			}
			v.states[string(pos)] = s
			recent, err := s.tl.list()
			if err != nil {
				sku, loc := prefixParts(pos)
				if !v.report(fmt.Errorf("timeline of %q at %q: %w", sku, loc, err)) {
					return false
				}
				continue
			}
			if !v.entries(string(pos), recent) || !v.horizon(string(pos), recent, &s, facts[string(pos)]) {
				return false
			}
		case keyTimeline:
			var err error
			if buf, err = decodeBlock(k, val, buf[:0]); err != nil {
				if !v.report(err) {
					return false
				}
				continue
			}
			f := facts[string(pos)]
			if f == nil {
				f = new(positionFacts)
				facts[string(pos)] = f
			}
			if f.blocks > 0 && !f.spilledMax.before(buf[0].eff, buf[0].id) && !v.fail("timeline block %x overlaps the one before", k) {
				return false
			}
			f.blocks++
			f.spilledMax = buf[len(buf)-1]
			if !v.entries(string(pos), buf) {
				return false
			}
		}
	}
	for id, f := range v.moves {
		if !f.seen && !v.fail("movement %d has no timeline entry", id) {
			return false
		}
	}
	return true
}

// entries checks timeline entries of a position against their movements
// and adds them to its sum.
func (v *verifier) entries(pos string, entries []tlEntry) bool {
	for _, e := range entries {
		f, found := v.moves[e.id]
		switch {
		case !found:
			if !v.fail("timeline entry at %q names missing movement %d", pos, e.id) {
				return false
			}
			continue
		case f.seen:
			if !v.fail("movement %d has two timeline entries", e.id) {
				return false
			}
		case f.pos != pos || f.effective != e.eff || f.delta != e.delta:
			if !v.fail("timeline entry of movement %d does not match it", e.id) {
				return false
			}
		}
		f.seen = true
		v.moves[e.id] = f
		v.sums[pos] = v.sums[pos].add(e.delta)
	}
	return true
}

// horizon checks that a position's blocks end at its horizon and its
// inline entries come after it.
func (v *verifier) horizon(pos string, recent []tlEntry, s *posState, f *positionFacts) bool {
	switch {
	case !s.spilled && f != nil:
		return v.fail("position %q has timeline blocks but no horizon", pos)
	case s.spilled && f == nil:
		return v.fail("position %q has a horizon but no timeline blocks", pos)
	case s.spilled && (f.spilledMax.eff != s.horizonEff || f.spilledMax.id != s.horizonID):
		return v.fail("position %q: horizon (%d, %d), newest spilled entry (%d, %d)", pos, s.horizonEff, s.horizonID, f.spilledMax.eff, f.spilledMax.id)
	case s.spilled && len(recent) > 0 && recent[0].before(s.horizonEff, s.horizonID+1):
		return v.fail("position %q: inline entry (%d, %d) not after the horizon", pos, recent[0].eff, recent[0].id)
	}
	return true
}

// balances checks every balance against the timeline sums, allocations
// and incoming schedule.
func (v *verifier) balances() bool {
	for k, s := range v.states {
		sku, loc := prefixParts([]byte(k))
		if sum := v.sums[k]; sum != s.q {
			if !v.fail("balance %q at %q is %+v, its movements add up to %+v", sku, loc, s.q, sum) {
				return false
			}
		}
		if a := v.allocs[k]; a != s.q.Allocated {
			if !v.fail("balance %q at %q: allocated %d, orders hold %d", sku, loc, s.q.Allocated, a) {
				return false
			}
		}
		var in int64
		for _, slot := range s.incoming {
			in += slot.qty
		}
		if in != s.q.InTransit {
			if !v.fail("balance %q at %q: in_transit %d, schedule adds up to %d", sku, loc, s.q.InTransit, in) {
				return false
			}
		}
	}
	for pos, sum := range v.sums {
		if _, ok := v.states[pos]; !ok && !sum.IsZero() && !v.fail("movements at %q add up to %+v but there is no balance", pos, sum) {
			return false
		}
	}
	return true
}

// postings checks that postings cover the movements exactly, in order.
func (v *verifier) postings() bool {
	next := uint64(1)
	var last uint64
	c := v.tx.Bucket(bktPostings).Cursor()
	for k, val := c.First(); k != nil; k, val = c.Next() {
		seq := binary.BigEndian.Uint64(k)
		p, err := decodePosting(seq, val)
		if err != nil {
			if !v.report(err) {
				return false
			}
			continue
		}
		if seq <= last || p.firstID != next || p.count == 0 {
			if !v.fail("posting %d covers movements %d+%d, expected to start at %d", seq, p.firstID, p.count, next) {
				return false
			}
		}
		for id := p.firstID; id < p.firstID+p.count; id++ {
			if f, ok := v.moves[id]; !ok || f.seq != seq {
				if !v.fail("movement %d is not of posting %d", id, seq) {
					return false
				}
				break
			}
		}
		next = p.firstID + p.count
		last = seq
	}
	if next-1 != v.lastID {
		return v.fail("postings cover movements up to %d, last movement is %d", next-1, v.lastID)
	}
	if seq := v.tx.Bucket(bktPostings).Sequence(); seq != last {
		return v.fail("posting sequence %d, last posting %d", seq, last)
	}
	return true
}
