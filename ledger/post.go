package ledger

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// writer applies documents inside one write transaction.
type writer struct {
	now         time.Time
	movements   *bolt.Bucket
	sources     *bolt.Bucket
	timeline    *bolt.Bucket
	balances    *bolt.Bucket
	allocations *bolt.Bucket
	postings    *bolt.Bucket

	positions map[string]*posState // balances touched by the current document
	buf       []byte               // scratch for record encoding
	valBuf    []byte               // scratch for timeline values
}

func newWriter(tx *bolt.Tx, now time.Time) (*writer, error) {
	w := &writer{
		now:         now.Round(0).UTC(),
		movements:   tx.Bucket(bktMovements),
		sources:     tx.Bucket(bktSources),
		timeline:    tx.Bucket(bktTimeline),
		balances:    tx.Bucket(bktBalances),
		allocations: tx.Bucket(bktAllocations),
		postings:    tx.Bucket(bktPostings),
		positions:   make(map[string]*posState),
	}
	if w.movements == nil || w.sources == nil || w.timeline == nil || w.balances == nil || w.allocations == nil || w.postings == nil {
		return nil, ErrNotLedger
	}
	// IDs and sequence numbers only grow: fill pages completely.
	w.movements.FillPercent = 1.0
	w.postings.FillPercent = 1.0
	return w, nil
}

// post applies one document. On error the transaction must be rolled back:
// part of the document may have been written.
func (w *writer) post(doc *Document) (PostResult, error) {
	res := PostResult{Recorded: w.now}
	seq := w.postings.Sequence() + 1
	nextID := w.movements.Sequence() + 1
	clear(w.positions)
	for i := range doc.Movements {
		m := doc.Movements[i] // a copy: the request may be applied again after a rollback
		if w.sources.Get([]byte(m.SourceKey)) != nil {
			res.Duplicates = append(res.Duplicates, m.SourceKey)
			continue
		}
		m.ID, m.Seq, m.Recorded = nextID, seq, w.now
		if m.Effective.IsZero() {
			m.Effective = w.now
		}
		if err := w.apply(&m); err != nil {
			return PostResult{}, &MovementError{Document: doc.Key, Index: i, SourceKey: m.SourceKey, Field: err.field, Err: err.err, Msg: err.msg}
		}
		if err := w.record(&m); err != nil {
			return PostResult{}, fmt.Errorf("ledger: document %q movement %d: %w", doc.Key, i, err)
		}
		if m.Stale {
			res.Stale = append(res.Stale, m.SourceKey)
		} else {
			res.Posted++
		}
		if res.FirstID == 0 {
			res.FirstID = m.ID
		}
		res.LastID = m.ID
		nextID++
	}
	if res.FirstID == 0 {
		return res, nil // all duplicates: nothing changed, no sequence number
	}
	if err := w.flushPositions(seq); err != nil {
		return PostResult{}, err
	}
	p := posting{document: doc.Key, recorded: w.now.UnixNano(), firstID: res.FirstID, count: res.LastID - res.FirstID + 1}
	if err := w.postings.Put(idKey(seq), encodePosting(&p)); err != nil {
		return PostResult{}, fmt.Errorf("ledger: writing posting %d: %w", seq, err)
	}
	if err := w.postings.SetSequence(seq); err != nil {
		return PostResult{}, err
	}
	if err := w.movements.SetSequence(res.LastID); err != nil {
		return PostResult{}, err
	}
	res.Seq = seq
	return res, nil
}

// position returns the state of (sku, loc), loading it once per document.
func (w *writer) position(sku, loc string) (*posState, error) {
	k := balanceKey(sku, loc)
	if s, ok := w.positions[string(k)]; ok {
		return s, nil
	}
	s := new(posState)
	if v := w.balances.Get(k); v != nil {
		st, err := decodePosState(v)
		if err != nil {
			return nil, fmt.Errorf("balance %q at %q: %w", sku, loc, err)
		}
		*s = st
	}
	w.positions[string(k)] = s
	return s, nil
}

// flushPositions writes the balances the document changed, in key order.
func (w *writer) flushPositions(seq uint64) error {
	keys := make([]string, 0, len(w.positions))
	for k, s := range w.positions {
		if s.dirty {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		s := w.positions[k]
		s.seq = seq
		if err := w.balances.Put([]byte(k), encodePosState(nil, s)); err != nil {
			return fmt.Errorf("ledger: writing balance: %w", err)
		}
	}
	return nil
}

// record writes a movement, its source key and its timeline entry.
func (w *writer) record(m *Movement) error {
	id := idKey(m.ID)
	if err := w.movements.Put(id, encodeMovement(nil, m)); err != nil {
		return fmt.Errorf("writing movement: %w", err)
	}
	var v [binary.MaxVarintLen64]byte
	if err := w.sources.Put([]byte(m.SourceKey), v[:binary.PutUvarint(v[:], m.ID)]); err != nil {
		return fmt.Errorf("writing source key: %w", err)
	}
	k := timelineKey(positionPrefix(m.SKU, m.Location), m.Effective.UnixNano(), m.ID)
	if err := w.timeline.Put(k, encodeDeltas(nil, m.Delta)); err != nil {
		return fmt.Errorf("writing timeline: %w", err)
	}
	return nil
}

// apply works out what m does to its position, checks the result stays in
// range, and updates the position (and the order's allocation). It fills
// m.Delta and m.Stale.
func (w *writer) apply(m *Movement) *fieldError {
	s, err := w.position(m.SKU, m.Location)
	if err != nil {
		return &fieldError{"sku", ErrCorrupt, err.Error()}
	}
	var d Quantities
	q := m.Quantity
	var orderDelta int64 // change to the order's allocation
	var alloc int64      // the order's allocation before m
	if m.Reference.Order != "" && (m.Kind == KindShipment || m.Kind == KindAllocate || m.Kind == KindRelease) {
		if alloc, err = w.allocation(m); err != nil {
			return &fieldError{"reference.order", ErrCorrupt, err.Error()}
		}
	}
	incoming := s.incoming
	switch m.Kind {
	case KindReceipt:
		d.OnHand = q
		if m.TakeInTransit {
			var taken int64
			incoming, taken = takeIncoming(s.incoming, q, m.Expected)
			d.InTransit = -taken
		}
	case KindShipment:
		d.OnHand = -q
		orderDelta = -min(q, max(alloc, 0))
		d.Allocated = orderDelta
	case KindAllocate:
		orderDelta = q
		d.Allocated = q
	case KindRelease:
		orderDelta = -min(q, max(alloc, 0))
		d.Allocated = orderDelta
	case KindInTransit:
		d.InTransit = q
		incoming = addIncoming(s.incoming, m.Expected, q)
	case KindAdjust:
		d.OnHand = q
	case KindDamage:
		d.Damaged = q
	case KindQuarantine:
		d.Quarantined = q
	case KindSnapshot:
		at := m.Effective.UnixNano()
		if s.snapMask&(1<<m.Bucket) != 0 && at < s.snapAt[m.Bucket] {
			m.Stale = true
			s.dirty = true // its Seq moves on: a movement was recorded here
			return nil
		}
		asOf, err := w.asOf(m.SKU, m.Location, s.q, at)
		if err != nil {
			return &fieldError{"effective", ErrCorrupt, err.Error()}
		}
		delta := q - asOf.Get(m.Bucket)
		*d.ptr(m.Bucket) = delta
		if m.Bucket == BucketInTransit {
			incoming = addIncoming(s.incoming, m.Expected, delta)
		}
	}
	next := s.q.add(d)
	for b := BucketOnHand; b < bucketEnd; b++ {
		if v := next.Get(b); v > MaxQuantity || v < -MaxQuantity {
			return &fieldError{"quantity", ErrOverflow, fmt.Sprintf("%s would become %d", b, v)}
		}
	}
	for _, in := range incoming {
		if in.qty > MaxQuantity || in.qty < -MaxQuantity {
			return &fieldError{"quantity", ErrOverflow, fmt.Sprintf("in_transit due %s would become %d", fromNanos(in.due), in.qty)}
		}
	}
	if orderDelta != 0 {
		if v := alloc + orderDelta; v > MaxQuantity {
			return &fieldError{"quantity", ErrOverflow, fmt.Sprintf("allocation of order %q would become %d", m.Reference.Order, v)}
		}
		if err := w.setAllocation(m, alloc+orderDelta); err != nil {
			return &fieldError{"reference.order", ErrCorrupt, err.Error()}
		}
	}
	if m.Kind == KindSnapshot {
		s.snapMask |= 1 << m.Bucket
		s.snapAt[m.Bucket] = m.Effective.UnixNano()
	}
	s.q = next
	s.incoming = incoming
	s.dirty = true
	m.Delta = d
	return nil
}

// asOf returns the position's figures as of time at (UnixNano), movements
// effective at exactly that time included: the current figures minus the
// deltas of every movement effective later.
func (w *writer) asOf(sku, loc string, current Quantities, at int64) (Quantities, error) {
	later, err := sumAfter(w.timeline.Cursor(), positionPrefix(sku, loc), at)
	if err != nil {
		return Quantities{}, err
	}
	return current.sub(later), nil
}

// sumAfter adds up the deltas of a position's timeline entries effective
// after at.
func sumAfter(c *bolt.Cursor, prefix []byte, at int64) (Quantities, error) {
	var sum Quantities
	if at == maxTime.UnixNano() {
		return sum, nil
	}
	seek := timelineKey(prefix, at+1, 0)
	for k, v := c.Seek(seek); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		d, err := decodeDeltas(v)
		if err != nil {
			return Quantities{}, fmt.Errorf("timeline entry %x: %w", k, err)
		}
		sum = sum.add(d)
	}
	return sum, nil
}

// allocationKey is sku 0 loc 0 order.
func allocationKey(m *Movement) []byte {
	return append(positionPrefix(m.SKU, m.Location), m.Reference.Order...)
}

// allocation returns what the movement's order has allocated at its
// position.
func (w *writer) allocation(m *Movement) (int64, error) {
	v := w.allocations.Get(allocationKey(m))
	if v == nil {
		return 0, nil
	}
	n, k := binary.Varint(v)
	if k <= 0 || k != len(v) {
		return 0, fmt.Errorf("%w: allocation of order %q", ErrCorrupt, m.Reference.Order)
	}
	return n, nil
}

// setAllocation stores the order's allocation; zero deletes it.
func (w *writer) setAllocation(m *Movement, n int64) error {
	k := allocationKey(m)
	if n == 0 {
		return w.allocations.Delete(k)
	}
	var v [binary.MaxVarintLen64]byte
	return w.allocations.Put(k, v[:binary.PutVarint(v[:], n)])
}

// slotFor returns the slot for a due date (zero time: undated).
func slotFor(due time.Time) incomingSlot {
	if due.IsZero() {
		return incomingSlot{}
	}
	return incomingSlot{dated: true, due: due.UnixNano()}
}

// addIncoming returns a copy of slots with q added at due; slots that come
// to zero are dropped.
func addIncoming(slots []incomingSlot, due time.Time, q int64) []incomingSlot {
	if q == 0 {
		return slots
	}
	at := slotFor(due)
	out := make([]incomingSlot, 0, len(slots)+1)
	added := false
	for _, s := range slots {
		if !added && s.dated == at.dated && s.due == at.due {
			s.qty += q
			added = true
			if s.qty == 0 {
				continue
			}
		} else if !added && at.less(s) {
			at.qty = q
			out = append(out, at)
			added = true
		}
		out = append(out, s)
	}
	if !added {
		at.qty = q
		out = append(out, at)
	}
	return out
}

// takeIncoming takes up to q off the positive slots: the slot due at
// `first` before the others, then earliest first. It never takes more than
// the total in transit, so an expected receipt never drives in_transit below
// zero. It returns the new slots and how much it took.
func takeIncoming(slots []incomingSlot, q int64, first time.Time) ([]incomingSlot, int64) {
	var total int64
	for _, s := range slots {
		total += s.qty
	}
	q = min(q, max(total, 0))
	out := slices.Clone(slots)
	var taken int64
	take := func(i int) {
		if n := min(q-taken, out[i].qty); n > 0 {
			out[i].qty -= n
			taken += n
		}
	}
	if at := slotFor(first); at.dated {
		for i := range out {
			if out[i].dated && out[i].due == at.due {
				take(i)
			}
		}
	}
	for i := range out {
		take(i)
	}
	return slices.DeleteFunc(out, func(s incomingSlot) bool { return s.qty == 0 }), taken
}
