package ledger

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Page fill on splits for the randomly keyed buckets. Positions keep
// bbolt's default, which leaves room for the records to grow as their
// inline timelines do.
const (
	sourcesFill   = 0.9
	positionsFill = 0.5
)

// writer applies documents inside one write transaction.
//
// bbolt splits nodes only when it commits, so many random inserts into one
// transaction each shift a growing node (quadratic), and even sorted ones
// pay for a binary search per Put. The writer therefore keeps what it
// changes in memory (balances with their inline timelines, allocations,
// source keys), reads through it, and puts it in key order when the
// transaction is done (flush). A movement then costs no Put of its own:
// its timeline entry rides in its position's balance record and its source
// key in a block of the document's keys. Movements (in chunks) and
// postings have increasing keys and are appended directly.
type writer struct {
	now       time.Time
	movements *bolt.Bucket
	sources   *bolt.Bucket
	positions *bolt.Bucket
	postings  *bolt.Bucket
	srcCursor *bolt.Cursor

	mem       arena        // keys and values put in this transaction
	chunk     chunkBuilder // movements of the current posting
	seed      maphash.Seed // for byHash
	hash      func(maphash.Seed, []byte) uint64
	byHash    map[uint64]int32     // balances touched in this transaction: hash of the key → index in loaded
	collided  map[string]*posState // those whose hash another key took first
	loaded    [][]byte             // balance keys of the states, in the order loaded
	loadedSt  []*posState          // the states, in the same order
	posCursor *bolt.Cursor         // walks the positions bucket for loads in key order
	posLast   []byte               // the key posCursor is on; nil: seek
	slab      []posState           // where states are allocated
	newAllocs map[string]int64     // allocations changed (zero: delete)
	srcRuns   [][]sourceEntry      // per posting: source keys recorded, sorted
	srcRanges [][2][]byte          // per posting: its lowest and highest source key
	srcSet    map[string]struct{}  // source keys of this transaction, built when ranges overlap
	keyBuf    []byte               // scratch for a balance key
}

// newWriter starts applying documents in tx; movements is how many the
// documents hold (an upper bound on the positions they touch).
func newWriter(tx *bolt.Tx, now time.Time, movements int) (*writer, error) {
	w := &writer{
		now:       now.Round(0).UTC(),
		movements: tx.Bucket(bktMovements),
		sources:   tx.Bucket(bktSources),
		positions: tx.Bucket(bktPositions),
		postings:  tx.Bucket(bktPostings),
		seed:      maphash.MakeSeed(),
		hash:      maphash.Bytes,
		byHash:    make(map[uint64]int32, movements),
		loaded:    make([][]byte, 0, movements),
		loadedSt:  make([]*posState, 0, movements),
		newAllocs: make(map[string]int64),
	}
	if w.movements == nil || w.sources == nil || w.positions == nil || w.postings == nil {
		return nil, ErrNotLedger
	}
	w.srcCursor = w.sources.Cursor()
	w.posCursor = w.positions.Cursor()
	// IDs and sequence numbers only grow: fill pages completely. A
	// document's source key blocks usually arrive as one sorted run: fill
	// pages mostly.
	w.movements.FillPercent = 1.0
	w.postings.FillPercent = 1.0
	w.sources.FillPercent = sourcesFill
	w.positions.FillPercent = positionsFill
	return w, nil
}

// post applies one document. On error the transaction must be rolled back:
// part of the document may have been applied.
func (w *writer) post(r *postRequest) (PostResult, error) {
	doc := &r.doc
	<-r.ordered
	dup, err := w.duplicates(&r.ord)
	if err != nil {
		return PostResult{}, fmt.Errorf("ledger: document %q: %w", doc.Key, err)
	}
	res := PostResult{Recorded: w.now}
	seq := w.postings.Sequence() + 1
	nextID := w.movements.Sequence() + 1
	ids := make([]uint64, len(doc.Movements)) // per movement its ID; zero for a duplicate
	for i := range doc.Movements {
		if dup[i] {
			res.Duplicates = append(res.Duplicates, doc.Movements[i].SourceKey)
			continue
		}
		// A normalized copy: the request may be applied again after a
		// rollback, and the movements are the caller's.
		m := normalize(&doc.Movements[i], r.now)
		m.ID, m.Seq, m.Recorded = nextID, seq, w.now
		w.keyBuf = append(append(append(append(append(w.keyBuf[:0], m.SKU...), 0), m.Location...), 0), balanceMark)
		s, perr := w.position(w.keyBuf)
		if perr != nil {
			return PostResult{}, &MovementError{Document: doc.Key, Index: i, SourceKey: m.SourceKey, Field: "sku", Err: ErrCorrupt, Msg: perr.Error()}
		}
		if err := w.apply(&m, s); err != nil {
			return PostResult{}, &MovementError{Document: doc.Key, Index: i, SourceKey: m.SourceKey, Field: err.field, Err: err.err, Msg: err.msg}
		}
		if err := w.addEntry(m.SKU, m.Location, s, tlEntry{eff: m.Effective.UnixNano(), id: m.ID, delta: m.Delta}); err != nil {
			return PostResult{}, fmt.Errorf("ledger: document %q movement %d: %w", doc.Key, i, err)
		}
		if err := w.record(&m); err != nil {
			return PostResult{}, fmt.Errorf("ledger: document %q movement %d: %w", doc.Key, i, err)
		}
		ids[i] = m.ID
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
	w.queueSources(&r.ord, ids)
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

// duplicates reports, per movement, whether its source key was recorded
// before: earlier in the document, earlier in this transaction, or in the
// file. When the document's key range meets no stored block and no other
// document of the transaction (the usual case), no key is looked up.
func (w *writer) duplicates(ord *docOrder) ([]bool, error) {
	dup := make([]bool, len(ord.srcKeys))
	for _, i := range ord.repeats {
		dup[i] = true
	}
	if len(ord.bySource) == 0 {
		return dup, nil
	}
	lo, hi := ord.srcKeys[ord.bySource[0]], ord.srcKeys[ord.bySource[len(ord.bySource)-1]]
	inTx := false
	for _, r := range w.srcRanges {
		if bytes.Compare(hi, r[0]) >= 0 && bytes.Compare(lo, r[1]) <= 0 {
			inTx = true
			break
		}
	}
	if inTx && w.srcSet == nil {
		w.srcSet = make(map[string]struct{})
		for _, run := range w.srcRuns {
			for _, e := range run {
				w.srcSet[string(e.key)] = struct{}{}
			}
		}
	}
	free, err := rangeFree(w.srcCursor, lo, hi)
	if err != nil {
		return nil, err
	}
	if free && !inTx {
		return dup, nil
	}
	walk := sourceWalk{c: w.srcCursor}
	for _, i := range ord.bySource { // in key order, for the walk
		if dup[i] {
			continue
		}
		k := ord.srcKeys[i]
		if inTx {
			if _, ok := w.srcSet[string(k)]; ok {
				dup[i] = true
				continue
			}
		}
		if !free {
			id, err := walk.lookup(k)
			if err != nil {
				return nil, err
			}
			dup[i] = id != 0
		}
	}
	return dup, nil
}

// queueSources keeps the document's recorded source keys, in key order,
// for flush.
func (w *writer) queueSources(ord *docOrder, ids []uint64) {
	run := make([]sourceEntry, 0, len(ids))
	for _, i := range ord.bySource {
		if id := ids[i]; id != 0 {
			run = append(run, sourceEntry{ord.srcKeys[i], id})
		}
	}
	if len(run) == 0 {
		return
	}
	w.srcRuns = append(w.srcRuns, run)
	w.srcRanges = append(w.srcRanges, [2][]byte{run[0].key, run[len(run)-1].key})
	if w.srcSet != nil {
		for _, e := range run {
			w.srcSet[string(e.key)] = struct{}{}
		}
	}
}

// position returns the state of the position with balance key bk,
// loading it once per transaction.
func (w *writer) position(bk []byte) (*posState, error) {
	h := w.hash(w.seed, bk)
	if i, ok := w.byHash[h]; ok {
		if bytes.Equal(w.loaded[i], bk) {
			return w.loadedSt[i], nil
		}
		if s, ok := w.collided[string(bk)]; ok {
			return s, nil
		}
	}
	if len(w.slab) == cap(w.slab) {
		w.slab = make([]posState, 0, 256) // states in blocks, not one allocation each
	}
	w.slab = append(w.slab, posState{})
	s := &w.slab[len(w.slab)-1]
	s.tl.raw = w.mem.alloc(24) // room for the entries of a new position
	if v := w.loadPosition(bk); v != nil {
		st, err := decodePosState(v)
		if err != nil {
			sku, loc := prefixParts(bk[:len(bk)-1])
			return nil, fmt.Errorf("balance %q at %q: %w", sku, loc, err)
		}
		*s = st
	}
	key := w.mem.copyOf(bk)
	if _, taken := w.byHash[h]; taken {
		if w.collided == nil {
			w.collided = make(map[string]*posState)
		}
		w.collided[string(key)] = s
	} else {
		w.byHash[h] = int32(len(w.loaded))
	}
	w.loaded = append(w.loaded, key)
	w.loadedSt = append(w.loadedSt, s)
	return s, nil
}

// posWalk is how many keys loadPosition steps forward before it seeks.
const posWalk = 8

// loadPosition returns the stored balance record under key, or nil. A
// document's movements often come in key order (an 846 lists its items by
// SKU), so it steps the cursor forward from the previous key when it can,
// rather than searching from the root every time.
func (w *writer) loadPosition(key []byte) []byte {
	if w.posLast != nil && bytes.Compare(key, w.posLast) > 0 {
		for range posWalk {
			k, v := w.posCursor.Next()
			if k == nil {
				break
			}
			switch c := bytes.Compare(k, key); {
			case c == 0:
				w.posLast = append(w.posLast[:0], k...)
				return v
			case c > 0:
				w.posLast = append(w.posLast[:0], k...)
				return nil
			}
		}
	}
	k, v := w.posCursor.Seek(key)
	if k == nil {
		w.posLast = nil
		return nil
	}
	w.posLast = append(w.posLast[:0], k...)
	if !bytes.Equal(k, key) {
		return nil
	}
	return v
}

// addEntry records a movement's timeline entry at its position.
func (w *writer) addEntry(sku, loc string, s *posState, e tlEntry) error {
	if !s.spilled || !e.before(s.horizonEff, s.horizonID) {
		return s.tl.add(e)
	}
	// Older than what was spilled: into its block, now. (The write moves
	// the bucket under loadPosition's cursor: it seeks next time.)
	w.posLast = nil
	return mergeLate(w.positions, w.mem.alloc(len(sku)+len(loc)+18), positionPrefix(sku, loc), e)
}

// flush writes what the transaction keeps in memory, each bucket in key
// order.
func (w *writer) flush() error {
	// Each document's keys go in on their own, so that no new block spans
	// two documents: a document posted later with keys between theirs
	// (documents of one file commit in any order) still finds its range
	// free.
	for _, run := range w.srcRuns {
		if err := insertSources(w.sources, run); err != nil {
			return err
		}
	}
	// The positions bucket receives one sorted stream: per position its
	// new timeline blocks, its allocations, then its balance. The records
	// are sorted and encoded on another goroutine while this one puts them.
	allocs := w.allocationRun()
	batches := make(chan []kv, 4)
	var encodeErr error
	go func() {
		defer close(batches)
		encodeErr = w.encodePositions(batches) // w.mem is its own until batches closes
	}()
	var putErr error
	put := func(e kv) {
		if putErr != nil {
			return
		}
		if e.val == nil {
			putErr = w.positions.Delete(e.key) // an allocation come to zero
		} else {
			putErr = w.positions.Put(e.key, e.val)
		}
	}
	for batch := range batches {
		for _, e := range batch {
			for len(allocs) > 0 && bytes.Compare(allocs[0].key, e.key) < 0 {
				put(allocs[0])
				allocs = allocs[1:]
			}
			put(e)
		}
	}
	for _, e := range allocs {
		put(e)
	}
	if encodeErr != nil {
		return encodeErr
	}
	if putErr != nil {
		return fmt.Errorf("ledger: writing positions: %w", putErr)
	}
	return nil
}

// positionBatch is how many records encodePositions sends at a time.
const positionBatch = 512

// encodePositions sends the changed positions' new timeline blocks and
// balance records, in key order, in batches; it stops at the first error.
func (w *writer) encodePositions(batches chan<- []kv) error {
	batch := make([]kv, 0, positionBatch)
	for _, i := range inKeyOrder(w.loaded) {
		key, s := w.loaded[i], w.loadedSt[i]
		if !s.dirty {
			continue
		}
		prefix := key[:len(key)-1]
		blocks, err := spill(&w.mem, prefix, s)
		if err != nil {
			return fmt.Errorf("ledger: timeline of %q: %w", prefix, err)
		}
		batch = append(batch, blocks...)
		batch = append(batch, kv{key, encodePosState(w.mem.alloc(48+len(s.tl.raw)+16), s)})
		if len(batch) >= positionBatch {
			batches <- batch
			batch = make([]kv, 0, positionBatch)
		}
	}
	if len(batch) > 0 {
		batches <- batch
	}
	return nil
}

// maxMergeRuns is how many sorted runs inKeyOrder merges rather than
// sorting everything.
const maxMergeRuns = 64

// inKeyOrder returns the indexes of keys (all different) in key order.
// Documents that list their items in key order (an 846 by SKU) load their
// positions in key order, so the keys are often a few sorted runs: those
// are merged; anything else is sorted.
func inKeyOrder(keys [][]byte) []int32 {
	var runs [][]int32
	start := 0
	for i := 1; i <= len(keys); i++ {
		if i == len(keys) || bytes.Compare(keys[i-1], keys[i]) > 0 {
			if len(runs) == maxMergeRuns {
				return sortedIndexes(keys)
			}
			run := make([]int32, i-start)
			for j := range run {
				run[j] = int32(start + j)
			}
			runs = append(runs, run)
			start = i
		}
	}
	for len(runs) > 1 {
		next := runs[:0:0]
		for i := 0; i < len(runs); i += 2 {
			if i+1 == len(runs) {
				next = append(next, runs[i])
				continue
			}
			a, b := runs[i], runs[i+1]
			m := make([]int32, 0, len(a)+len(b))
			for len(a) > 0 && len(b) > 0 {
				if bytes.Compare(keys[b[0]], keys[a[0]]) < 0 {
					m, b = append(m, b[0]), b[1:]
				} else {
					m, a = append(m, a[0]), a[1:]
				}
			}
			next = append(next, append(append(m, a...), b...))
		}
		runs = next
	}
	if len(runs) == 0 {
		return nil
	}
	return runs[0]
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

// record adds a movement to the current chunk.
func (w *writer) record(m *Movement) error {
	w.chunk.add(m)
	if w.chunk.full() {
		return w.chunk.flush(w.movements)
	}
	return nil
}

// apply works out what m does to its position (applyRules).
func (w *writer) apply(m *Movement, s *posState) *fieldError { return applyRules(m, s, w) }

// ruleEnv is what the rules of Post use beside a position's state: the
// allocations per order, and the position's timeline for a snapshot's
// as-of figures. The bbolt writer is one; Stepper (for other stores) is the
// other.
type ruleEnv interface {
	// allocation returns what an order has allocated at a position, as
	// changed so far.
	allocation(sku, loc, order string) (int64, error)
	// setAllocation records an order's new allocation at a position.
	setAllocation(sku, loc, order string, n int64)
	// asOf returns the position's figures as of at (UnixNano), movements
	// effective at exactly that time included.
	asOf(sku, loc string, s *posState, at int64) (Quantities, error)
}

// applyRules works out what m does to its position, checks the result
// stays in range, and updates the position (and the order's allocation).
// It fills m.Delta and m.Stale and m.Absorbed. These are the rules of
// Post, the same for every store.
func applyRules(m *Movement, s *posState, w ruleEnv) *fieldError {
	var err error
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
		order, useOrder = movementOrder(m)
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
			if err := shiftUnnamed(w, m.SKU, m.Location, -orderDelta); err != nil {
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
		w.setAllocation(m.SKU, m.Location, order, alloc+orderDelta)
	}
	if m.Kind == KindSnapshot {
		s.snapMask |= 1 << m.Bucket
		s.snapAt[m.Bucket] = m.Effective.UnixNano()
	}
	s.q = next
	s.incoming = incoming
	s.dirty = true
	s.seq = m.Seq
	m.Delta = d
	return nil
}

// movementOrder returns the allocation a shipment, allocation or release
// changes (the key applyRules reads and writes it under), and whether it
// names one. Stores load allocations by this key (Prepared.Needs), so it
// is the one place that says what identifies an order's allocation.
func movementOrder(m *Movement) (string, bool) {
	return m.Reference.Order, m.Reference.Order != ""
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
func shiftUnnamed(w ruleEnv, sku, loc string, n int64) *fieldError {
	cur, err := w.allocation(sku, loc, "")
	if err != nil {
		return &fieldError{"reference.order", ErrCorrupt, err.Error()}
	}
	if v := cur + n; v > MaxQuantity || v < -MaxQuantity {
		return &fieldError{"quantity", ErrOverflow, fmt.Sprintf("unnamed allocation would become %d", v)}
	}
	w.setAllocation(sku, loc, "", cur+n)
	return nil
}

// setAllocation records an order's new allocation at a position.
func (w *writer) setAllocation(sku, loc, order string, n int64) {
	w.newAllocs[string(allocationKey(sku, loc, order))] = n
}

// asOf returns the position's figures as of time at (UnixNano), movements
// effective at exactly that time included: the current figures minus the
// deltas of every movement effective later.
func (w *writer) asOf(sku, loc string, s *posState, at int64) (Quantities, error) {
	var c *bolt.Cursor
	if s.spilled && s.horizonEff > at {
		c = w.positions.Cursor()
	}
	later, err := sumLater(c, positionPrefix(sku, loc), s, at)
	if err != nil {
		return Quantities{}, err
	}
	return s.q.sub(later), nil
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
