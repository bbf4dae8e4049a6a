package ledger

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestReadWholeLedger: ReadPostings and ReadMovements list what
// ChangesSince does, a page at a time; ReadPositions lists every
// position, a page at a time, with the state Balances shows, its
// allocations and its whole timeline (spilled blocks and inline entries)
// in History's order reversed.
func TestReadWholeLedger(t *testing.T) {
	ctx := context.Background()
	l := openTest(t)
	rng := rand.New(rand.NewPCG(7, 19))
	var docs []Document
	for i := range 60 {
		d := randomDocument(rng, fmt.Sprintf("doc-%d", i), docs)
		docs = append(docs, d)
		if _, err := l.Post(ctx, d); err != nil {
			t.Logf("%s: %v", d.Key, err) // refused by the rules: fine
		}
	}
	for i := range 80 { // one position with a spilled timeline, and late entries
		h := float64(i)
		if i%9 == 4 {
			h = 1
		}
		mustPost(t, l, fmt.Sprint("many-", i), Movement{SourceKey: src(), SKU: "MANY", Location: "WH9", Kind: KindReceipt, Quantity: 1, Effective: at(h)})
	}
	mustPost(t, l, "order", Movement{SourceKey: src(), SKU: "MANY", Location: "WH9", Kind: KindAllocate, Quantity: 3, Effective: at(90),
		Reference: Reference{Partner: "shopmart", Order: "7"}})

	changes, err := l.ChangesSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var postings []Posting
	for seq := uint64(0); ; {
		page, err := l.ReadPostings(ctx, seq, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		postings = append(postings, page...)
		seq = page[len(page)-1].Seq
	}
	var movements []Movement
	if len(postings) != len(changes) {
		t.Fatalf("%d postings read, %d changes", len(postings), len(changes))
	}
	for i, c := range changes {
		p := postings[i]
		if p.Seq != c.Seq || p.Document != c.Document || !p.Recorded.Equal(c.Recorded) || p.FirstID != c.Movements[0].ID || p.Count != uint64(len(c.Movements)) {
			t.Errorf("posting %+v, change %d %q with %d movements from %d", p, c.Seq, c.Document, len(c.Movements), c.Movements[0].ID)
		}
		movements = append(movements, c.Movements...)
	}
	var read []Movement
	for id := uint64(1); ; {
		page, err := l.ReadMovements(ctx, id, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		read = append(read, page...)
		id = page[len(page)-1].ID + 1
	}
	if !reflect.DeepEqual(read, movements) {
		t.Errorf("ReadMovements: %d movements, not ChangesSince's %d", len(read), len(movements))
	}

	var positions []StoredPosition
	for after := (Position{}); ; {
		page, err := l.ReadPositions(ctx, after, 3, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		positions = append(positions, page...)
		after = page[len(page)-1].Position
	}
	balances := allBalances(t, l)
	if len(positions) != len(balances) {
		t.Fatalf("%d positions read, %d balances", len(positions), len(balances))
	}
	spilled := false
	for i, p := range positions {
		b := balances[i]
		got := Balance{SKU: p.SKU, Location: p.Location, Quantities: p.State.Quantities, Incoming: p.State.Incoming, Seq: p.State.Seq}
		if !sameBalance(got, b) || got.Seq != b.Seq {
			t.Errorf("position %+v, balance %+v", got, b)
		}
		history, err := l.History(ctx, p.SKU, p.Location, HistoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(history) != len(p.Timeline) {
			t.Fatalf("%s at %s: timeline of %d, history of %d", p.SKU, p.Location, len(p.Timeline), len(history))
		}
		for j, e := range p.Timeline {
			m := history[len(history)-1-j]
			if e.ID != m.ID || !e.Effective.Equal(m.Effective) || e.Delta != m.Delta {
				t.Errorf("%s at %s: timeline entry %+v, movement %d at %v changing %+v", p.SKU, p.Location, e, m.ID, m.Effective, m.Delta)
			}
		}
		var allocated int64
		for _, q := range p.Allocations {
			allocated += q
		}
		if allocated != p.State.Allocated {
			t.Errorf("%s at %s: allocations %v, allocated %d", p.SKU, p.Location, p.Allocations, p.State.Allocated)
		}
		if p.SKU == "MANY" {
			spilled = len(p.Timeline) > inlineMax
			if p.State.Snapshots != ([bucketEnd]time.Time{}) || p.Allocations["shopmart\x1f7"] != 3 {
				t.Errorf("MANY: snapshots %v, allocations %v", p.State.Snapshots, p.Allocations)
			}
		}
	}
	if !spilled {
		t.Error("no position with a spilled timeline")
	}
	if ps, err := l.ReadPositions(ctx, positions[0].Position, 1, false); err != nil || len(ps) != 1 || ps[0].Position != positions[1].Position || ps[0].Timeline != nil {
		t.Errorf("one position after the first, no timeline: %+v %v", ps, err)
	}
}
