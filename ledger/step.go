package ledger

import (
	"fmt"
	"math"
	"time"
)

// This file holds the rules of Post for stores other than the bbolt file
// (package ledger/postgres): a pure step from the current state of the
// positions a document touches, and the document, to the new states, the
// movements to record, and the result — or the error that refuses the
// document. The bbolt writer applies the very same rules (applyRules); a
// store only loads, locks and writes.

// PositionState is what a store keeps of one (SKU, location) besides its
// movements: the figures, the in-transit schedule, and the effective time
// of the newest snapshot applied to each bucket.
type PositionState struct {
	Quantities
	// Seq is the sequence number of the last posting that recorded a
	// movement here.
	Seq uint64
	// Incoming splits InTransit by due date, as in Balance.
	Incoming []Incoming
	// Snapshots holds, per bucket (indexed by Bucket), the effective time
	// of the newest snapshot applied to it; the zero time when none was.
	Snapshots [bucketEnd]time.Time
	// Latest is the newest effective time of the movements recorded here,
	// the zero time when the store does not know it. A snapshot at or
	// after it has no stored movement after it: StepInput.Later need not
	// hold its time. In Stepper.Changed it is the newest with the
	// transaction's movements (zero when the stored one was not known).
	Latest time.Time
}

// state returns the rules' form of a stored state.
func (p *PositionState) state() posState {
	s := posState{q: p.Quantities, seq: p.Seq}
	for b := BucketOnHand; b < bucketEnd; b++ {
		if t := p.Snapshots[b]; !t.IsZero() {
			s.snapMask |= 1 << b
			s.snapAt[b] = t.UnixNano()
		}
	}
	if len(p.Incoming) > 0 {
		s.incoming = make([]incomingSlot, len(p.Incoming))
		for i, in := range p.Incoming {
			s.incoming[i] = slotFor(in.Due)
			s.incoming[i].qty = in.Quantity
		}
	}
	return s
}

// positionState returns the stored form of a rules' state.
func positionState(s *posState) PositionState {
	b := s.balance("", "")
	p := PositionState{Quantities: s.q, Seq: s.seq, Incoming: b.Incoming}
	for k := BucketOnHand; k < bucketEnd; k++ {
		if s.snapMask&(1<<k) != 0 {
			p.Snapshots[k] = fromNanos(s.snapAt[k])
		}
	}
	return p
}

// OrderAllocation names an order's allocation at a position: Order is
// the key the rules keep it under (movementOrder). Order "" is the
// position's unnamed slot, where allocated snapshots' adjustments go.
type OrderAllocation struct {
	Position
	Order string
}

// SnapshotTime is a snapshot's position and effective time: what the
// store sums the later movements at (StepInput.Later).
type SnapshotTime struct {
	Position
	At time.Time
}

// Prepared is a checked, normalized document, with what a store must
// load before it steps it: the positions, allocations and snapshot times
// its new movements touch.
type Prepared struct {
	// Key is the document's key.
	Key string
	// Movements are normalized: times in UTC, the effective time of the
	// Post call filled in, snapshot buckets filled in, output fields
	// cleared.
	Movements []Movement
	// Repeats marks movements that repeat an earlier movement's source key
	// in the same document: duplicates whatever the store holds.
	Repeats []bool
}

// Prepare checks a document (the checks of Post that need no stored
// state) and normalizes its movements; now is the time of the Post call,
// the effective time of movements that give none. The result no longer
// refers to doc.Movements.
func Prepare(doc Document, now time.Time) (*Prepared, error) {
	if err := checkDocument(&doc); err != nil {
		return nil, err
	}
	p := &Prepared{Key: doc.Key, Movements: make([]Movement, len(doc.Movements)), Repeats: make([]bool, len(doc.Movements))}
	seen := make(map[string]struct{}, len(doc.Movements))
	for i := range doc.Movements {
		p.Movements[i] = normalize(&doc.Movements[i], now)
		if _, ok := seen[p.Movements[i].SourceKey]; ok {
			p.Repeats[i] = true
		} else {
			seen[p.Movements[i].SourceKey] = struct{}{}
		}
	}
	return p, nil
}

// SourceKeys returns the document's source keys, without repeats.
func (p *Prepared) SourceKeys() []string {
	keys := make([]string, 0, len(p.Movements))
	for i := range p.Movements {
		if !p.Repeats[i] {
			keys = append(keys, p.Movements[i].SourceKey)
		}
	}
	return keys
}

// Needs returns what a store must load to step the movements that are
// not duplicates (dup marks those whose source key the store holds; nil
// means none): the positions, the allocations, and the snapshot times.
func (p *Prepared) Needs(dup func(i int) bool) (positions []Position, allocs []OrderAllocation, snaps []SnapshotTime) {
	posSet := make(map[Position]struct{})
	allocSet := make(map[OrderAllocation]struct{})
	for i := range p.Movements {
		if p.Repeats[i] || (dup != nil && dup(i)) {
			continue
		}
		m := &p.Movements[i]
		pos := Position{m.SKU, m.Location}
		posSet[pos] = struct{}{}
		switch {
		case m.Kind == KindShipment || m.Kind == KindAllocate || m.Kind == KindRelease:
			if order, ok := movementOrder(m); ok {
				allocSet[OrderAllocation{pos, order}] = struct{}{}
				allocSet[OrderAllocation{pos, ""}] = struct{}{} // an absorbed change shifts the unnamed slot
			}
		case m.Kind == KindSnapshot:
			if m.Bucket == BucketAllocated {
				allocSet[OrderAllocation{pos, ""}] = struct{}{}
			}
			snaps = append(snaps, SnapshotTime{pos, m.Effective})
		}
	}
	for pos := range posSet {
		positions = append(positions, pos)
	}
	for a := range allocSet {
		allocs = append(allocs, a)
	}
	return positions, allocs, snaps
}

// StepInput is what the store loaded for a Stepper: the state of
// everything the documents of one transaction need (Prepared.Needs), read
// with the positions locked.
type StepInput struct {
	// Positions holds the current state of every position needed (absent:
	// a new position, all zero).
	Positions map[Position]PositionState
	// Allocations holds the current allocation of every OrderAllocation
	// needed (absent: zero).
	Allocations map[OrderAllocation]int64
	// Later holds, for every SnapshotTime needed, the sum of the deltas of
	// the stored movements at its position effective after At: at a
	// stored position whose Latest is not known or is after At (elsewhere
	// there are none).
	Later map[SnapshotTime]Quantities
	// Recorded is the transaction's recording time.
	Recorded time.Time
	// Seq is the sequence number of the transaction's first posting, and
	// ID its first movement's ID: the stored sequence number and last
	// movement ID plus one, read with the sequence locked.
	Seq, ID uint64
}

// StepOutput is what a Stepper decided for one document: what the store
// writes.
type StepOutput struct {
	// Result is Post's result.
	Result PostResult
	// Movements are the movements to record, in document order, with
	// every output field filled in.
	Movements []Movement
}

// stepPos is a position the Stepper has touched: its state, what was
// stored of it, and the transaction's movements there when a snapshot
// may need them (the first inline).
type stepPos struct {
	s       posState
	stored  bool  // found in StepInput.Positions
	known   bool  // before is known (a new position: no stored movements)
	before  int64 // newest effective time of the stored movements (UnixNano)
	latest  int64 // newest effective time of the transaction's movements
	pending int   // the transaction's movements: first, then more
	first   tlEntry
	more    []tlEntry
}

// add records a movement of the transaction at the position.
func (p *stepPos) add(e tlEntry) {
	if p.pending == 0 {
		p.first = e
	} else {
		p.more = append(p.more, e)
	}
	p.pending++
	p.latest = max(p.latest, e.eff)
}

// Stepper applies the documents of one transaction, one after the other,
// to the state a store loaded, with the rules of Post: as if each had
// been posted alone, in order. When a document fails, the Stepper is
// spent: start a new one on the same input and step the documents again
// without the failed one (the input is only read, and stepping is cheap
// beside the store's round trips), so the others are applied as if it
// had not been posted.
type Stepper struct {
	in       *StepInput
	recorded time.Time
	seq, id  uint64
	states   map[Position]*stepPos
	slab     []stepPos // where the next stepPos come from
	cur      *stepPos  // the position of the movement being applied
	allocs   map[OrderAllocation]int64
	sources  map[string]struct{} // source keys recorded by earlier documents, once there are two
	done     []*StepOutput       // the documents applied
	spent    bool
}

// NewStepper starts a transaction's documents on loaded state.
func NewStepper(in *StepInput) *Stepper {
	st := &Stepper{
		in: in, recorded: in.Recorded.Round(0).UTC(), seq: in.Seq, id: in.ID,
		states: make(map[Position]*stepPos, len(in.Positions)), allocs: make(map[OrderAllocation]int64),
	}
	return st
}

// position returns the Stepper's state of pos, from what was stored the
// first time.
func (st *Stepper) position(pos Position) *stepPos {
	if p, ok := st.states[pos]; ok {
		return p
	}
	if len(st.slab) == 0 {
		st.slab = make([]stepPos, 1024)
	}
	p := &st.slab[0]
	st.slab = st.slab[1:]
	stored, ok := st.in.Positions[pos]
	p.s, p.stored = stored.state(), ok
	p.before, p.latest, p.known = math.MinInt64, math.MinInt64, !ok
	if ok && !stored.Latest.IsZero() {
		p.before, p.known = stored.Latest.UnixNano(), true
	}
	st.states[pos] = p
	return p
}

// Seq returns the next sequence number: after the transaction, what the
// store records as its last one plus one.
func (st *Stepper) Seq() uint64 { return st.seq }

// ID returns the next movement ID.
func (st *Stepper) ID() uint64 { return st.id }

func (st *Stepper) allocation(sku, loc, order string) (int64, error) {
	k := OrderAllocation{Position{sku, loc}, order}
	if n, ok := st.allocs[k]; ok {
		return n, nil
	}
	return st.in.Allocations[k], nil
}

func (st *Stepper) setAllocation(sku, loc, order string, n int64) {
	st.allocs[OrderAllocation{Position{sku, loc}, order}] = n
}

func (st *Stepper) asOf(sku, loc string, s *posState, at int64) (Quantities, error) {
	pos := Position{sku, loc}
	p := st.cur
	if p == nil || &p.s != s {
		p = st.states[pos]
	}
	var later Quantities
	if p.stored && !(p.known && p.before <= at) { // else no stored movement here is after at
		var ok bool
		if later, ok = st.in.Later[SnapshotTime{pos, fromNanos(at)}]; !ok {
			return Quantities{}, fmt.Errorf("%w: the store did not load the movements after %v at %q/%q", ErrCorrupt, fromNanos(at), sku, loc)
		}
	}
	if p.pending > 0 {
		if p.first.eff > at {
			later = later.add(p.first.delta)
		}
		for _, e := range p.more {
			if e.eff > at {
				later = later.add(e.delta)
			}
		}
	}
	return s.q.sub(later), nil
}

// recordedHere reports whether an earlier document of the transaction
// recorded key.
func (st *Stepper) recordedHere(key string) bool {
	if len(st.done) == 0 {
		return false
	}
	if st.sources == nil {
		st.sources = make(map[string]struct{})
		for _, o := range st.done {
			for i := range o.Movements {
				st.sources[o.Movements[i].SourceKey] = struct{}{}
			}
		}
	}
	_, ok := st.sources[key]
	return ok
}

// Step applies one prepared document; dup marks the movements whose
// source key the store held before the transaction (nil: none). It
// returns a *MovementError when the document cannot be posted; the
// Stepper is then spent (see Stepper).
func (st *Stepper) Step(p *Prepared, dup []bool) (*StepOutput, error) {
	if st.spent {
		return nil, fmt.Errorf("ledger: a Stepper is spent after a document fails")
	}
	out := &StepOutput{Result: PostResult{Recorded: st.recorded}, Movements: make([]Movement, 0, len(p.Movements))}
	id := st.id
	for i := range p.Movements {
		key := p.Movements[i].SourceKey
		if p.Repeats[i] || (dup != nil && dup[i]) || st.recordedHere(key) {
			out.Result.Duplicates = append(out.Result.Duplicates, key)
			continue
		}
		m := p.Movements[i]
		m.ID, m.Seq, m.Recorded, m.Document = id, st.seq, st.recorded, p.Key
		sp := st.position(Position{m.SKU, m.Location})
		st.cur = sp
		fe := applyRules(&m, &sp.s, st)
		st.cur = nil
		if fe != nil {
			st.spent = true
			return nil, &MovementError{Document: p.Key, Index: i, SourceKey: m.SourceKey, Field: fe.field, Err: fe.err, Msg: fe.msg}
		}
		sp.add(tlEntry{eff: m.Effective.UnixNano(), id: m.ID, delta: m.Delta})
		out.Movements = append(out.Movements, m)
		if m.Absorbed {
			out.Result.Absorbed = append(out.Result.Absorbed, m.SourceKey)
		}
		if m.Stale {
			out.Result.Stale = append(out.Result.Stale, m.SourceKey)
		} else {
			out.Result.Posted++
		}
		id++
	}
	if len(out.Movements) == 0 {
		return out, nil
	}
	if st.sources != nil {
		for i := range out.Movements {
			st.sources[out.Movements[i].SourceKey] = struct{}{}
		}
	}
	st.done = append(st.done, out)
	out.Result.Seq = st.seq
	out.Result.FirstID, out.Result.LastID = st.id, id-1
	st.seq++
	st.id = id
	return out, nil
}

// Changed returns the new states of the positions the transaction
// changed, and its new allocations.
func (st *Stepper) Changed() (positions []Position, states []PositionState, allocs map[OrderAllocation]int64) {
	positions = make([]Position, 0, len(st.states))
	states = make([]PositionState, 0, len(st.states))
	for pos, p := range st.states {
		positions = append(positions, pos)
		ps := positionState(&p.s)
		if p.known {
			ps.Latest = fromNanos(max(p.before, p.latest))
		}
		states = append(states, ps)
	}
	return positions, states, st.allocs
}
