package ledger

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Page fill on splits for the randomly keyed buckets. Positions keep
// bbolt's default, which leaves room for the timeline entries each
// position gains later; raising it made the file larger, not smaller.
const (
	sourcesFill   = 0.9
	positionsFill = 0.5
)

// writer applies documents inside one write transaction.
//
// bbolt splits nodes only when it commits, so many random inserts into one
// transaction each shift a growing node (quadratic), and even sorted ones
// pay for a binary search per Put. The writer therefore keeps the randomly
// keyed writes (source keys, timeline entries, balances, allocations) in
// memory, reads through them, and puts them in key order when the
// transaction is done (flush), each document's keys sorted beforehand by
// orderOf. Movements (in chunks) and postings have increasing keys and are
// appended directly.
type writer struct {
	now       time.Time
	movements *bolt.Bucket
	sources   *bolt.Bucket
	positions *bolt.Bucket
	postings  *bolt.Bucket

	mem        arena                // keys and values put in this transaction
	chunk      chunkBuilder         // movements of the current posting
	states     map[string]*posState // balances touched in this transaction, by balance key
	newSources map[string]uint64    // source keys recorded in this transaction
	newAllocs  map[string]int64     // allocations changed (zero: delete)
	srcRuns    [][]kv               // per posting: source key → ID, sorted
	tlRuns     [][]kv               // per posting: timeline entries, sorted
	keyBuf     []byte               // scratch for map lookups
}

func newWriter(tx *bolt.Tx, now time.Time) (*writer, error) {
	w := &writer{
		now:        now.Round(0).UTC(),
		movements:  tx.Bucket(bktMovements),
		sources:    tx.Bucket(bktSources),
		positions:  tx.Bucket(bktPositions),
		postings:   tx.Bucket(bktPostings),
		states:     make(map[string]*posState),
		newSources: make(map[string]uint64),
		newAllocs:  make(map[string]int64),
	}
	if w.movements == nil || w.sources == nil || w.positions == nil || w.postings == nil {
		return nil, ErrNotLedger
	}
	// IDs and sequence numbers only grow: fill pages completely. A
	// document's source keys usually share a prefix (partner, interchange,
	// ...) and arrive as one sorted run: fill pages mostly.
	w.movements.FillPercent = 1.0
	w.postings.FillPercent = 1.0
	w.sources.FillPercent = sourcesFill
	w.positions.FillPercent = positionsFill
	return w, nil
}

// seen reports whether a source key has been recorded.
func (w *writer) seen(key string) bool {
	if _, ok := w.newSources[key]; ok {
		return true
	}
	w.keyBuf = append(w.keyBuf[:0], key...)
	return w.sources.Get(w.keyBuf) != nil
}

// recorded is what post learns of a movement it recorded.
type recorded struct {
	id    uint64 // zero for a duplicate
	delta Quantities
}

// post applies one document. On error the transaction must be rolled back:
// part of the document may have been applied.
func (w *writer) post(r *postRequest) (PostResult, error) {
	doc := &r.doc
	res := PostResult{Recorded: w.now}
	seq := w.postings.Sequence() + 1
	nextID := w.movements.Sequence() + 1
	done := make([]recorded, len(doc.Movements))
	for i := range doc.Movements {
		m := doc.Movements[i] // a copy: the request may be applied again after a rollback
		if w.seen(m.SourceKey) {
			res.Duplicates = append(res.Duplicates, m.SourceKey)
			continue
		}
		m.ID, m.Seq, m.Recorded = nextID, seq, w.now
		if err := w.apply(&m); err != nil {
			return PostResult{}, &MovementError{Document: doc.Key, Index: i, SourceKey: m.SourceKey, Field: err.field, Err: err.err, Msg: err.msg}
		}
		if err := w.record(&m); err != nil {
			return PostResult{}, fmt.Errorf("ledger: document %q movement %d: %w", doc.Key, i, err)
		}
		done[i] = recorded{id: m.ID, delta: m.Delta}
		if m.Absorbed {
			res.Absorbed = append(res.Absorbed, m.SourceKey)
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
	if err := w.chunk.flush(w.movements); err != nil {
		return PostResult{}, fmt.Errorf("ledger: document %q: %w", doc.Key, err)
	}
	<-r.ordered
	w.queueRuns(doc, &r.ord, done)
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

// queueRuns adds the document's source keys and timeline entries, in key
// order, for flush.
func (w *writer) queueRuns(doc *Document, ord *docOrder, done []recorded) {
	n := 0
	for _, d := range done {
		if d.id != 0 {
			n++
		}
	}
	src := make([]kv, 0, n)
	for _, i := range ord.bySource {
		if d := done[i]; d.id != 0 {
			val := binary.AppendUvarint(w.mem.alloc(binary.MaxVarintLen64), d.id)
			src = append(src, kv{ord.srcKeys[i], val})
		}
	}
	tl := make([]kv, 0, n)
	for _, i := range ord.byTimeline {
		if d := done[i]; d.id != 0 {
			key := ord.tlKeys[i]
			binary.BigEndian.PutUint64(key[len(key)-8:], d.id) // was the index: same order
			val := encodeDeltas(w.mem.alloc(1+5*binary.MaxVarintLen64), d.delta)
			tl = append(tl, kv{key, val})
		}
	}
	w.srcRuns = append(w.srcRuns, src)
	w.tlRuns = append(w.tlRuns, tl)
}

// position returns the state of (sku, loc), loading it once per
// transaction.
func (w *writer) position(sku, loc string) (*posState, error) {
	w.keyBuf = append(append(append(append(append(w.keyBuf[:0], sku...), 0), loc...), 0), balanceMark)
	if s, ok := w.states[string(w.keyBuf)]; ok {
		return s, nil
	}
	s := new(posState)
	if v := w.positions.Get(w.keyBuf); v != nil {
		st, err := decodePosState(v)
		if err != nil {
			return nil, fmt.Errorf("balance %q at %q: %w", sku, loc, err)
		}
		*s = st
	}
	w.states[string(w.keyBuf)] = s
	return s, nil
}

// flush writes what the transaction keeps in memory, each bucket in key
// order.
func (w *writer) flush() error {
	for _, e := range mergeRuns(w.srcRuns) {
		if err := w.sources.Put(e.key, e.val); err != nil {
			return fmt.Errorf("ledger: writing source key: %w", err)
		}
	}
	// Every changed balance has a timeline entry in this transaction, and
	// sorts right after its position's entries and allocations: put each
	// balance after them, and the bucket receives one sorted stream.
	var last []byte
	for _, e := range mergeRuns(append(w.tlRuns, w.allocationRun())) {
		prefix, _ := parsePositionKey(e.key)
		if last != nil && !bytes.Equal(prefix, last) {
			if err := w.putBalance(append(w.mem.alloc(len(last)+1), last...)); err != nil {
				return err
			}
		}
		last = prefix
		var err error
		if e.val == nil {
			err = w.positions.Delete(e.key) // an allocation come to zero
		} else {
			err = w.positions.Put(e.key, e.val)
		}
		if err != nil {
			return fmt.Errorf("ledger: writing positions: %w", err)
		}
	}
	if last != nil {
		if err := w.putBalance(append(w.mem.alloc(len(last)+1), last...)); err != nil {
			return err
		}
	}
	var rest []string
	for k, s := range w.states {
		if s.dirty {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		if err := w.putBalance([]byte(k[:len(k)-1])); err != nil {
			return err
		}
	}
	return nil
}

// putBalance writes the balance of a position (prefix sku 0 loc 0, with
// room for one more byte) if it changed.
func (w *writer) putBalance(prefix []byte) error {
	key := append(prefix, balanceMark)
	s := w.states[string(key)]
	if s == nil || !s.dirty {
		return nil
	}
	s.dirty = false
	if err := w.positions.Put(key, encodePosState(w.mem.alloc(64), s)); err != nil {
		return fmt.Errorf("ledger: writing balance: %w", err)
	}
	return nil
}

// allocationRun returns the changed allocations in key order; a nil value
// deletes.
func (w *writer) allocationRun() []kv {
	run := make([]kv, 0, len(w.newAllocs))
	for k, n := range w.newAllocs {
		e := kv{key: w.mem.copyOf([]byte(k))}
		if n != 0 {
			e.val = binary.AppendVarint(w.mem.alloc(binary.MaxVarintLen64), n)
		}
		run = append(run, e)
	}
	slices.SortFunc(run, func(a, b kv) int { return bytes.Compare(a.key, b.key) })
	return run
}

// record adds a movement to the current chunk and marks its source key
// taken.
func (w *writer) record(m *Movement) error {
	w.chunk.add(m)
	if w.chunk.full() {
		if err := w.chunk.flush(w.movements); err != nil {
			return err
		}
	}
	w.newSources[m.SourceKey] = m.ID
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
	// Allocations are kept per order. An allocated snapshot's adjustment
	// goes to the position's unnamed slot (order ""), which may be
	// negative; no movement can name that order.
	var order string     // the allocation m changes
	var useOrder bool    // whether m changes one
	var orderDelta int64 // by how much
	var alloc int64      // the allocation before m
	switch {
	case m.Kind == KindShipment || m.Kind == KindAllocate || m.Kind == KindRelease:
		order, useOrder = m.Reference.Order, m.Reference.Order != ""
	case m.Kind == KindSnapshot && m.Bucket == BucketAllocated:
		order, useOrder = "", true
	}
	if useOrder {
		if alloc, err = w.allocation(m.SKU, m.Location, order); err != nil {
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
		if m.RequireAvailable {
			if avail := s.q.OnHand - s.q.Allocated - s.q.Damaged - s.q.Quarantined; avail < q {
				return &fieldError{"quantity", ErrInsufficient, fmt.Sprintf("%d available at %s/%s, %d asked", max(avail, 0), m.SKU, m.Location, q)}
			}
		}
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
			s.seq = m.Seq
			return nil
		}
		asOf, err := w.asOf(m.SKU, m.Location, s, at)
		if err != nil {
			return &fieldError{"effective", ErrCorrupt, err.Error()}
		}
		delta := q - asOf.Get(m.Bucket)
		*d.ptr(m.Bucket) = delta
		switch m.Bucket {
		case BucketInTransit:
			incoming = addIncoming(s.incoming, m.Expected, delta)
		case BucketAllocated:
			orderDelta = delta
		}
	}
	if m.Kind != KindSnapshot && absorb(s, m.Effective.UnixNano(), &d) {
		// A later snapshot already counted what this movement did to some
		// buckets: their change is recorded as zero.
		m.Absorbed = true
		if d.InTransit == 0 {
			incoming = s.incoming
		}
		if useOrder && d.Allocated == 0 && orderDelta != 0 {
			// The order's allocation still moves (it is that order's), and
			// the unnamed slot, where allocated snapshots' adjustments go,
			// takes the opposite: the orders still add up to the bucket.
			if err := w.shiftUnnamed(m.SKU, m.Location, -orderDelta); err != nil {
				return err
			}
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
		if v := alloc + orderDelta; v > MaxQuantity || v < -MaxQuantity {
			return &fieldError{"quantity", ErrOverflow, fmt.Sprintf("allocation of order %q would become %d", order, v)}
		}
		w.newAllocs[string(allocationKey(m.SKU, m.Location, order))] = alloc + orderDelta
	}
	if m.Kind == KindSnapshot {
		s.snapMask |= 1 << m.Bucket
		s.snapAt[m.Bucket] = m.Effective.UnixNano()
	}
	s.q = next
	s.incoming = incoming
	s.dirty = true
	s.seq = m.Seq
	s.pending = append(s.pending, pendingDelta{effective: m.Effective.UnixNano(), delta: d})
	m.Delta = d
	return nil
}

// absorb zeroes the changes of d to buckets whose newest applied snapshot
// is later than effective (UnixNano): that count already included the
// movement, which only arrived after it. Movements at exactly the
// snapshot's time stay applied (a date-only shipment dated the day of a
// midnight count happened after it). It reports whether it zeroed any.
func absorb(s *posState, effective int64, d *Quantities) bool {
	absorbed := false
	for b := BucketOnHand; b < bucketEnd; b++ {
		if p := d.ptr(b); *p != 0 && s.snapMask&(1<<b) != 0 && effective < s.snapAt[b] {
			*p = 0
			absorbed = true
		}
	}
	return absorbed
}

// shiftUnnamed adds n to the unnamed allocation slot of a position.
func (w *writer) shiftUnnamed(sku, loc string, n int64) *fieldError {
	cur, err := w.allocation(sku, loc, "")
	if err != nil {
		return &fieldError{"reference.order", ErrCorrupt, err.Error()}
	}
	if v := cur + n; v > MaxQuantity || v < -MaxQuantity {
		return &fieldError{"quantity", ErrOverflow, fmt.Sprintf("unnamed allocation would become %d", v)}
	}
	w.newAllocs[string(allocationKey(sku, loc, ""))] = cur + n
	return nil
}

// asOf returns the position's figures as of time at (UnixNano), movements
// effective at exactly that time included: the current figures minus the
// deltas of every movement effective later.
func (w *writer) asOf(sku, loc string, s *posState, at int64) (Quantities, error) {
	later, err := sumAfter(w.positions.Cursor(), positionPrefix(sku, loc), at)
	if err != nil {
		return Quantities{}, err
	}
	for _, p := range s.pending {
		if p.effective > at {
			later = later.add(p.delta)
		}
	}
	return s.q.sub(later), nil
}

// sumAfter adds up the deltas of a position's timeline entries effective
// after at.
func sumAfter(c *bolt.Cursor, prefix []byte, at int64) (Quantities, error) {
	var sum Quantities
	if at >= maxTime.UnixNano() {
		return sum, nil
	}
	seek := timelineKey(prefix, at+1, 0)
	for k, v := c.Seek(seek); k != nil && isTimelineOf(k, prefix); k, v = c.Next() {
		d, err := decodeDeltas(v)
		if err != nil {
			return Quantities{}, fmt.Errorf("timeline entry %x: %w", k, err)
		}
		sum = sum.add(d)
	}
	return sum, nil
}

// allocationKey is sku 0 loc 0 0xFE order.
func allocationKey(sku, loc, order string) []byte {
	return append(append(positionPrefix(sku, loc), allocationMark), order...)
}

// allocation returns what an order has allocated at a position.
func (w *writer) allocation(sku, loc, order string) (int64, error) {
	k := allocationKey(sku, loc, order)
	if n, ok := w.newAllocs[string(k)]; ok {
		return n, nil
	}
	v := w.positions.Get(k)
	if v == nil {
		return 0, nil
	}
	n, size := binary.Varint(v)
	if size <= 0 || size != len(v) {
		return 0, fmt.Errorf("%w: allocation of order %q", ErrCorrupt, order)
	}
	return n, nil
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
