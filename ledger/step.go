package ledger

import (
	"cmp"
	"fmt"
	"slices"
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

// OrderAllocation names an order's allocation at a position. Order ""
// is the position's unnamed slot, where allocated snapshots' adjustments
// go.
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
// means none): the positions, in (SKU, location) order, which is the
// order to lock them in; the allocations; and the snapshot times.
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
			if m.Reference.Order != "" {
				allocSet[OrderAllocation{pos, m.Reference.Order}] = struct{}{}
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
	slices.SortFunc(positions, comparePositions)
	for a := range allocSet {
		allocs = append(allocs, a)
	}
	slices.SortFunc(allocs, func(a, b OrderAllocation) int {
		return cmp.Or(comparePositions(a.Position, b.Position), cmp.Compare(a.Order, b.Order))
	})
	return positions, allocs, snaps
}

func comparePositions(a, b Position) int {
	return cmp.Or(cmp.Compare(a.SKU, b.SKU), cmp.Compare(a.Location, b.Location))
}

// StepInput is what the store loaded for a Step.
type StepInput struct {
	// Duplicate marks movements whose source key the store already holds
	// (nil: none).
	Duplicate []bool
	// Positions holds the current state of every position of Needs (absent:
	// a new position, all zero).
	Positions map[Position]PositionState
	// Allocations holds the current allocation of every OrderAllocation of
	// Needs (absent: zero).
	Allocations map[OrderAllocation]int64
	// Later holds, for every SnapshotTime of Needs, the sum of the deltas
	// of the stored movements at its position effective after At.
	Later map[SnapshotTime]Quantities
	// Recorded is the posting's recording time.
	Recorded time.Time
}

// StepOutput is what a Step decided: what the store writes.
type StepOutput struct {
	// Result is Post's result, except Seq and the IDs: the store assigns
	// the posting's sequence number and the movement IDs when it writes
	// (Assign).
	Result PostResult
	// Movements are the movements to record, in document order, with
	// Delta, Stale, Absorbed and Recorded filled in; ID is 1, 2, ... until
	// Assign.
	Movements []Movement
	// Positions are the new states of the positions changed, in
	// (SKU, location) order.
	Positions []Position
	States    []PositionState
	// Allocations are the new allocations changed.
	Allocations map[OrderAllocation]int64
}

// Assign numbers the movements firstID, firstID+1, ... and gives them,
// the positions and the result the posting's sequence number.
func (o *StepOutput) Assign(seq, firstID uint64) {
	for i := range o.Movements {
		o.Movements[i].ID = firstID + uint64(i)
		o.Movements[i].Seq = seq
	}
	for i := range o.States {
		o.States[i].Seq = seq
	}
	if len(o.Movements) > 0 {
		o.Result.Seq = seq
		o.Result.FirstID = firstID
		o.Result.LastID = firstID + uint64(len(o.Movements)) - 1
	}
}

// stepEnv is the ruleEnv of a Step.
type stepEnv struct {
	in      *StepInput
	allocs  map[OrderAllocation]int64 // changed
	pending map[Position][]tlEntry    // movements of this step, per position
}

func (e *stepEnv) allocation(sku, loc, order string) (int64, error) {
	k := OrderAllocation{Position{sku, loc}, order}
	if n, ok := e.allocs[k]; ok {
		return n, nil
	}
	return e.in.Allocations[k], nil
}

func (e *stepEnv) setAllocation(sku, loc, order string, n int64) {
	e.allocs[OrderAllocation{Position{sku, loc}, order}] = n
}

func (e *stepEnv) asOf(sku, loc string, s *posState, at int64) (Quantities, error) {
	pos := Position{sku, loc}
	later, ok := e.in.Later[SnapshotTime{pos, fromNanos(at)}]
	if !ok {
		return Quantities{}, fmt.Errorf("%w: the store did not load the movements after %v at %q/%q", ErrCorrupt, fromNanos(at), sku, loc)
	}
	for _, p := range e.pending[pos] {
		if p.eff > at {
			later = later.add(p.delta)
		}
	}
	return s.q.sub(later), nil
}

// Step applies a prepared document to the loaded state with the rules of
// Post. It returns a *MovementError when the document cannot be posted
// (then the store writes nothing).
func Step(p *Prepared, in *StepInput) (*StepOutput, error) {
	env := &stepEnv{in: in, allocs: make(map[OrderAllocation]int64), pending: make(map[Position][]tlEntry)}
	states := make(map[Position]*posState)
	out := &StepOutput{Result: PostResult{Recorded: in.Recorded}}
	now := in.Recorded.Round(0).UTC()
	out.Result.Recorded = now
	var id uint64
	for i := range p.Movements {
		if p.Repeats[i] || (in.Duplicate != nil && in.Duplicate[i]) {
			out.Result.Duplicates = append(out.Result.Duplicates, p.Movements[i].SourceKey)
			continue
		}
		m := p.Movements[i]
		id++
		m.ID, m.Recorded = id, now
		m.Document = p.Key
		pos := Position{m.SKU, m.Location}
		s, ok := states[pos]
		if !ok {
			st := in.Positions[pos]
			ns := st.state()
			s = &ns
			states[pos] = s
		}
		if fe := applyRules(&m, s, env); fe != nil {
			return nil, &MovementError{Document: p.Key, Index: i, SourceKey: m.SourceKey, Field: fe.field, Err: fe.err, Msg: fe.msg}
		}
		env.pending[pos] = append(env.pending[pos], tlEntry{eff: m.Effective.UnixNano(), id: m.ID, delta: m.Delta})
		out.Movements = append(out.Movements, m)
		if m.Absorbed {
			out.Result.Absorbed = append(out.Result.Absorbed, m.SourceKey)
		}
		if m.Stale {
			out.Result.Stale = append(out.Result.Stale, m.SourceKey)
		} else {
			out.Result.Posted++
		}
	}
	for pos := range states {
		out.Positions = append(out.Positions, pos)
	}
	slices.SortFunc(out.Positions, comparePositions)
	for _, pos := range out.Positions {
		out.States = append(out.States, positionState(states[pos]))
	}
	out.Allocations = env.allocs
	return out, nil
}
