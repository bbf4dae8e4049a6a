package ledger

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// memStore is the least a store other than the bbolt file can be: maps,
// with Prepare and Stepper applying the rules, as ledger/postgres does.
type memStore struct {
	positions map[Position]PositionState
	allocs    map[OrderAllocation]int64
	moves     []Movement
	sources   map[string]bool
	seq, id   uint64
}

// post applies docs in one transaction.
func (s *memStore) post(docs []Document, now time.Time) ([]PostResult, []error) {
	preps := make([]*Prepared, len(docs))
	errs := make([]error, len(docs))
	in := &StepInput{Positions: s.positions, Allocations: s.allocs, Later: map[SnapshotTime]Quantities{}, Recorded: now, Seq: s.seq + 1, ID: s.id + 1}
	dups := make([][]bool, len(docs))
	for i, d := range docs {
		if preps[i], errs[i] = Prepare(d, now); errs[i] != nil {
			continue
		}
		dups[i] = make([]bool, len(d.Movements))
		for j, m := range preps[i].Movements {
			dups[i][j] = s.sources[m.SourceKey]
		}
		_, _, snaps := preps[i].Needs(func(j int) bool { return dups[i][j] })
		for _, sn := range snaps {
			var later Quantities
			for _, m := range s.moves {
				if m.SKU == sn.SKU && m.Location == sn.Location && m.Effective.After(sn.At) {
					later = later.add(m.Delta)
				}
			}
			in.Later[sn] = later
		}
	}
	results := make([]PostResult, len(docs))
	var st *Stepper
	var outs []*StepOutput
	for again := true; again; {
		again, outs = false, nil
		st = NewStepper(in)
		for i := range docs {
			if errs[i] != nil {
				continue
			}
			out, err := st.Step(preps[i], dups[i])
			if err != nil {
				errs[i], again = err, true
				break
			}
			results[i] = out.Result
			outs = append(outs, out)
		}
	}
	ps, states, allocs := st.Changed()
	for i, p := range ps {
		s.positions[p] = states[i]
	}
	for k, v := range allocs {
		s.allocs[k] = v
	}
	for _, o := range outs {
		for _, m := range o.Movements {
			s.moves = append(s.moves, m)
			s.sources[m.SourceKey] = true
		}
	}
	s.seq, s.id = st.Seq()-1, st.ID()-1
	return results, errs
}

// TestStepperMatchesTheFile posts random documents, a few per
// transaction, through Stepper and through the bbolt file: every result
// and every balance must be the same.
func TestStepperMatchesTheFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 19))
	l := openTest(t)
	mem := &memStore{positions: map[Position]PositionState{}, allocs: map[OrderAllocation]int64{}, sources: map[string]bool{}}
	ctx := context.Background()
	var earlier []Document
	var failed, dups, stale, absorbed int
	for tx := range 120 {
		var docs []Document
		for d := range 1 + rng.IntN(4) {
			doc := randomDocument(rng, fmt.Sprintf("t%d-d%d", tx, d), earlier)
			if rng.IntN(10) == 0 {
				doc.Movements[0].Quantity = MaxQuantity // most likely overflows: the document fails
				if doc.Movements[0].Kind == KindSnapshot {
					doc.Movements[0].Kind, doc.Movements[0].Bucket = KindReceipt, 0
				}
			}
			docs = append(docs, doc)
			earlier = append(earlier, doc)
		}
		got, gotErrs := mem.post(docs, at(200))
		for i, doc := range docs {
			want, err := l.Post(ctx, doc)
			if (err == nil) != (gotErrs[i] == nil) {
				t.Fatalf("%s: file %v, Stepper %v", doc.Key, err, gotErrs[i])
			}
			if err != nil {
				failed++
			}
			g := got[i]
			dups, stale, absorbed = dups+len(g.Duplicates), stale+len(g.Stale), absorbed+len(g.Absorbed)
			g.Recorded, want.Recorded = time.Time{}, time.Time{}
			if g.Seq != want.Seq || g.Posted != want.Posted || g.FirstID != want.FirstID || g.LastID != want.LastID ||
				!slices.Equal(g.Duplicates, want.Duplicates) || !slices.Equal(g.Stale, want.Stale) || !slices.Equal(g.Absorbed, want.Absorbed) {
				t.Fatalf("%s: file %+v, Stepper %+v", doc.Key, want, g)
			}
		}
	}
	if failed == 0 || dups == 0 || stale == 0 || absorbed == 0 {
		t.Fatalf("the documents should include failures (%d), duplicates (%d), stale (%d) and absorbed (%d) movements", failed, dups, stale, absorbed)
	}
	balances := allBalances(t, l)
	if len(balances) != len(mem.positions) {
		t.Fatalf("%d balances in the file, %d by Stepper", len(balances), len(mem.positions))
	}
	for _, b := range balances {
		st := mem.positions[Position{b.SKU, b.Location}]
		if !sameBalance(b, Balance{SKU: b.SKU, Location: b.Location, Quantities: st.Quantities, Incoming: st.Incoming}) || st.Seq != b.Seq {
			t.Errorf("%s at %s: file %+v, Stepper %+v", b.SKU, b.Location, b, st)
		}
	}
}
