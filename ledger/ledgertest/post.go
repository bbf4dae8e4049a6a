package ledgertest

import (
	"github.com/dockside-edi/dockside/ledger"

	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func testDuplicates(t *testing.T, open Open) {
	l := openTest(t, open)
	a, b := mv(ledger.KindReceipt, 10, 1), mv(ledger.KindShipment, 3, 2)
	first := mustPost(t, l, "d1", a, b)
	if first.Posted != 2 || first.Seq != 1 || first.FirstID != 1 || first.LastID != 2 {
		t.Fatalf("first %+v", first)
	}
	again := mustPost(t, l, "d1", a, b)
	if again.Posted != 0 || again.Seq != 0 || !slices.Equal(again.Duplicates, []string{a.SourceKey, b.SourceKey}) {
		t.Fatalf("again %+v", again)
	}
	// A changed quantity under the same source key is still a duplicate:
	// the source key is the identity.
	c := with(a, func(m *ledger.Movement) { m.Quantity = 99 })
	d := mv(ledger.KindReceipt, 1, 3)
	mixed := mustPost(t, l, "d2", c, d, d)
	if mixed.Posted != 1 || mixed.Seq != 2 || !slices.Equal(mixed.Duplicates, []string{a.SourceKey, d.SourceKey}) {
		t.Fatalf("mixed %+v", mixed)
	}
	if got := mustBalance(t, l, "A1", "WH1").OnHand; got != 8 {
		t.Fatalf("on_hand %d, want 8", got)
	}
	if seq, _ := l.LastSeq(t.Context()); seq != 2 {
		t.Fatalf("last seq %d", seq)
	}
}

func testEmptyDocument(t *testing.T, open Open) {
	l := openTest(t, open)
	res, err := l.Post(t.Context(), ledger.Document{Key: "empty"})
	if err != nil || res.Seq != 0 || res.Posted != 0 {
		t.Fatalf("%+v %v", res, err)
	}
}

func testBadInput(t *testing.T, open Open) {
	good := func() ledger.Movement { return mv(ledger.KindReceipt, 1, 1) }
	tests := []struct {
		name  string
		m     ledger.Movement
		field string
		err   error
	}{
		{"empty source key", with(good(), func(m *ledger.Movement) { m.SourceKey = "" }), "source_key", ledger.ErrEmptySourceKey},
		{"empty SKU", with(good(), func(m *ledger.Movement) { m.SKU = "" }), "sku", ledger.ErrEmptySKU},
		{"empty location", with(good(), func(m *ledger.Movement) { m.Location = "" }), "location", ledger.ErrEmptyLocation},
		{"NUL in SKU", with(good(), func(m *ledger.Movement) { m.SKU = "A\x00B" }), "sku", ledger.ErrInvalidText},
		{"newline in location", with(good(), func(m *ledger.Movement) { m.Location = "W\nH" }), "location", ledger.ErrInvalidText},
		{"bad UTF-8", with(good(), func(m *ledger.Movement) { m.SKU = "\xff" }), "sku", ledger.ErrInvalidText},
		{"too long", with(good(), func(m *ledger.Movement) { m.SKU = strings.Repeat("x", ledger.MaxTextLen+1) }), "sku", ledger.ErrInvalidText},
		{"control character in reference", with(good(), func(m *ledger.Movement) { m.Reference.Partner = "\x1b" }), "reference.partner", ledger.ErrInvalidText},
		{"zero kind", with(good(), func(m *ledger.Movement) { m.Kind = 0 }), "kind", ledger.ErrUnknownKind},
		{"unknown kind", with(good(), func(m *ledger.Movement) { m.Kind = 42 }), "kind", ledger.ErrUnknownKind},
		{"negative receipt", with(good(), func(m *ledger.Movement) { m.Quantity = -1 }), "quantity", ledger.ErrNegativeQuantity},
		{"negative shipment", with(mv(ledger.KindShipment, -1, 1), nil2), "quantity", ledger.ErrNegativeQuantity},
		{"negative allocate", with(mv(ledger.KindAllocate, -1, 1), order("SO1")), "quantity", ledger.ErrNegativeQuantity},
		{"negative release", with(mv(ledger.KindRelease, -1, 1), order("SO1")), "quantity", ledger.ErrNegativeQuantity},
		{"negative snapshot", with(mv(ledger.KindSnapshot, -1, 1), nil2), "quantity", ledger.ErrNegativeQuantity},
		{"quantity too large", with(good(), func(m *ledger.Movement) { m.Quantity = ledger.MaxQuantity + 1 }), "quantity", ledger.ErrOverflow},
		{"quantity too small", with(mv(ledger.KindAdjust, math.MinInt64, 1), reason("x")), "quantity", ledger.ErrOverflow},
		{"allocate without order", mv(ledger.KindAllocate, 1, 1), "reference.order", ledger.ErrMissingOrder},
		{"release without order", mv(ledger.KindRelease, 1, 1), "reference.order", ledger.ErrMissingOrder},
		{"adjust without reason", mv(ledger.KindAdjust, 1, 1), "reason", ledger.ErrMissingReason},
		{"bucket on a receipt", with(good(), bucket(ledger.BucketDamaged)), "bucket", ledger.ErrFieldNotAllowed},
		{"snapshot of unknown bucket", with(mv(ledger.KindSnapshot, 1, 1), bucket(9)), "bucket", ledger.ErrUnknownBucket},
		{"expected date on a shipment", with(mv(ledger.KindShipment, 1, 1), expected(3)), "expected", ledger.ErrFieldNotAllowed},
		{"take_in_transit on an adjust", with(mv(ledger.KindAdjust, 1, 1), func(m *ledger.Movement) { m.Reason = "x"; m.TakeInTransit = true }), "take_in_transit", ledger.ErrFieldNotAllowed},
		{"effective out of range", with(good(), func(m *ledger.Movement) { m.Effective = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) }), "effective", ledger.ErrInvalidTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openTest(t, open)
			ok := mv(ledger.KindReceipt, 5, 1)
			_, err := l.Post(t.Context(), ledger.Document{Key: "bad", Movements: []ledger.Movement{ok, tt.m}})
			var me *ledger.MovementError
			if !errors.As(err, &me) {
				t.Fatalf("error %v (%T), want *MovementError", err, err)
			}
			if !errors.Is(err, tt.err) || me.Index != 1 || me.Field != tt.field || me.Document != "bad" || me.SourceKey != tt.m.SourceKey {
				t.Fatalf("error %+v, want %v at movement 1 field %s", me, tt.err, tt.field)
			}
			if !strings.Contains(err.Error(), "movement 1") {
				t.Errorf("message %q does not name the movement", err)
			}
			assertEmpty(t, l)
		})
	}
}

// nil2 leaves a movement unchanged.
func nil2(*ledger.Movement) {}

// assertEmpty fails unless nothing was ever posted.
func assertEmpty(t *testing.T, l ledger.Store) {
	t.Helper()
	if seq, err := l.LastSeq(t.Context()); err != nil || seq != 0 {
		t.Errorf("last seq %d (%v): something was written", seq, err)
	}
	if bs, err := l.Balances(t.Context(), ledger.Filter{}); err != nil || len(bs) != 0 {
		t.Errorf("balances %+v (%v): something was written", bs, err)
	}
}

func testBadDocument(t *testing.T, open Open) {
	l := openTest(t, open)
	for _, tt := range []struct {
		doc ledger.Document
		err error
	}{
		{ledger.Document{Movements: []ledger.Movement{mv(ledger.KindReceipt, 1, 1)}}, ledger.ErrEmptyDocumentKey},
		{ledger.Document{Key: "a\x00b", Movements: []ledger.Movement{mv(ledger.KindReceipt, 1, 1)}}, ledger.ErrInvalidText},
	} {
		if _, err := l.Post(t.Context(), tt.doc); !errors.Is(err, tt.err) {
			t.Errorf("%q: %v, want %v", tt.doc.Key, err, tt.err)
		}
	}
	assertEmpty(t, l)
}

func testOverflowWritesNothing(t *testing.T, open Open) {
	tests := []struct {
		name   string
		before []ledger.Movement
		m      ledger.Movement
	}{
		{"on_hand", []ledger.Movement{mv(ledger.KindReceipt, ledger.MaxQuantity, 1)}, mv(ledger.KindReceipt, 1, 2)},
		{"on_hand negative", []ledger.Movement{mv(ledger.KindShipment, ledger.MaxQuantity, 1)}, mv(ledger.KindShipment, 1, 2)},
		{"allocated", []ledger.Movement{with(mv(ledger.KindAllocate, ledger.MaxQuantity, 1), order("A"))}, with(mv(ledger.KindAllocate, 1, 2), order("B"))},
		{"damaged", []ledger.Movement{mv(ledger.KindDamage, -ledger.MaxQuantity, 1)}, mv(ledger.KindDamage, -1, 2)},
		{"in_transit", []ledger.Movement{mv(ledger.KindInTransit, ledger.MaxQuantity, 1)}, with(mv(ledger.KindInTransit, 1, 2), expected(5))},
		{"quarantined", []ledger.Movement{mv(ledger.KindQuarantine, ledger.MaxQuantity, 1)}, mv(ledger.KindQuarantine, 1, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openTest(t, open)
			mustPost(t, l, "before", tt.before...)
			before := mustBalance(t, l, "A1", "WH1")
			ok := with(mv(ledger.KindReceipt, 0, 1), func(m *ledger.Movement) { m.SKU = "OTHER" })
			_, err := l.Post(t.Context(), ledger.Document{Key: "over", Movements: []ledger.Movement{ok, tt.m}})
			var me *ledger.MovementError
			if !errors.Is(err, ledger.ErrOverflow) || !errors.As(err, &me) || me.Index != 1 {
				t.Fatalf("error %v, want ErrOverflow at movement 1", err)
			}
			if after := mustBalance(t, l, "A1", "WH1"); after.Quantities != before.Quantities {
				t.Errorf("balance changed: %+v → %+v", before, after)
			}
			if seq, _ := l.LastSeq(t.Context()); seq != 1 {
				t.Errorf("last seq %d, want 1", seq)
			}
			if b := mustBalance(t, l, "OTHER", "WH1"); b.Seq != 0 {
				t.Errorf("first movement of the failed document was written: %+v", b)
			}
			// The source keys stay free: the fixed document posts.
			fixed := with(tt.m, func(m *ledger.Movement) { m.Quantity = 0 })
			if res := mustPost(t, l, "over", ok, fixed); res.Posted != 2 {
				t.Errorf("retry %+v", res)
			}
		})
	}
}

func testConcurrentPostersShareCommits(t *testing.T, open Open) {
	l := openTest(t, open)
	const posters, docs = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, posters)
	seqs := make(chan uint64, posters*docs)
	for p := range posters {
		wg.Go(func() {
			for d := range docs {
				ms := []ledger.Movement{
					{SourceKey: fmt.Sprintf("p%d/d%d/1", p, d), SKU: fmt.Sprintf("S%d", d%5), Location: "WH1", Kind: ledger.KindReceipt, Quantity: 2},
					{SourceKey: fmt.Sprintf("p%d/d%d/2", p, d), SKU: fmt.Sprintf("S%d", d%5), Location: "WH1", Kind: ledger.KindShipment, Quantity: 1},
				}
				res, err := l.Post(context.Background(), ledger.Document{Key: fmt.Sprintf("p%d/d%d", p, d), Movements: ms})
				if err != nil {
					errs <- err
					return
				}
				seqs <- res.Seq
			}
		})
	}
	wg.Wait()
	close(errs)
	close(seqs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := make(map[uint64]bool)
	for s := range seqs {
		if s == 0 || seen[s] {
			t.Fatalf("sequence number %d missing or repeated", s)
		}
		seen[s] = true
	}
	if len(seen) != posters*docs {
		t.Fatalf("%d sequence numbers", len(seen))
	}
	b := mustBalance(t, l, "S0", "")
	if b.OnHand != posters*docs/5 {
		t.Fatalf("S0 on hand %d, want %d", b.OnHand, posters*docs/5)
	}
}

// A document that fails inside a shared commit must not take the other
// documents of that commit down with it.
func testFailureInsideGroupCommit(t *testing.T, open Open) {
	l := openTest(t, open)
	mustPost(t, l, "full", mv(ledger.KindReceipt, ledger.MaxQuantity, 1))
	var wg sync.WaitGroup
	results := make([]error, 40)
	for i := range results {
		wg.Go(func() {
			m := ledger.Movement{SourceKey: fmt.Sprintf("g%d", i), SKU: fmt.Sprintf("G%d", i), Location: "WH1", Kind: ledger.KindReceipt, Quantity: 1}
			if i%4 == 0 {
				m = mv(ledger.KindReceipt, 1, 2) // overflows A1
			}
			_, results[i] = l.Post(context.Background(), ledger.Document{Key: fmt.Sprintf("g%d", i), Movements: []ledger.Movement{m}})
		})
	}
	wg.Wait()
	for i, err := range results {
		if i%4 == 0 {
			if !errors.Is(err, ledger.ErrOverflow) {
				t.Errorf("doc %d: %v, want ErrOverflow", i, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("doc %d: %v", i, err)
		}
		if b := mustBalance(t, l, fmt.Sprintf("G%d", i), "WH1"); b.OnHand != 1 {
			t.Errorf("doc %d not applied: %+v", i, b)
		}
	}
}

func testCanceledContext(t *testing.T, open Open) {
	l := openTest(t, open)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.Post(ctx, ledger.Document{Key: "x", Movements: []ledger.Movement{mv(ledger.KindReceipt, 1, 1)}}); !errors.Is(err, context.Canceled) {
		t.Errorf("post: %v", err)
	}
	if _, err := l.Balances(ctx, ledger.Filter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("balances: %v", err)
	}
	assertEmpty(t, l)
}

// A document large enough to be sorted beside the commit, with duplicates
// inside it and of earlier postings, posted while small ones go by.
func testLargeDocument(t *testing.T, open Open) {
	l := openTest(t, open)
	first := mv(ledger.KindReceipt, 1, 1)
	small := mustPost(t, l, "small", first)
	var ms []ledger.Movement
	for i := range largeDocument + 500 {
		m := ledger.Movement{SourceKey: fmt.Sprintf("big/%d", i), SKU: fmt.Sprintf("S%d", i%300), Location: fmt.Sprintf("L%d", i%3), Kind: ledger.KindReceipt, Quantity: 2, Effective: at(float64(i % 50))}
		if i%7 == 0 {
			m.Kind, m.Quantity = ledger.KindSnapshot, 5
		}
		ms = append(ms, m)
	}
	ms = append(ms, ms[10], first) // a duplicate within, and one of an earlier posting
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 20 {
			mustPost(t, l, fmt.Sprintf("s%d", i), mv(ledger.KindReceipt, 1, 2))
		}
	})
	res := mustPost(t, l, "big", ms...)
	wg.Wait()
	if len(res.Duplicates) != 2 || res.Posted+len(res.Stale) != len(ms)-2 || small.Seq == 0 {
		t.Fatalf("result: %d posted, %d stale, duplicates %v", res.Posted, len(res.Stale), res.Duplicates)
	}
	if err := l.Verify(t.Context()); err != nil {
		t.Fatal(err)
	}
}
