package ledger

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestDuplicates(t *testing.T) {
	l := openTest(t)
	a, b := mv(KindReceipt, 10, 1), mv(KindShipment, 3, 2)
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
	c := with(a, func(m *Movement) { m.Quantity = 99 })
	d := mv(KindReceipt, 1, 3)
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

func TestEmptyDocument(t *testing.T) {
	l := openTest(t)
	res, err := l.Post(t.Context(), Document{Key: "empty"})
	if err != nil || res.Seq != 0 || res.Posted != 0 {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestBadInput(t *testing.T) {
	good := func() Movement { return mv(KindReceipt, 1, 1) }
	tests := []struct {
		name  string
		m     Movement
		field string
		err   error
	}{
		{"empty source key", with(good(), func(m *Movement) { m.SourceKey = "" }), "source_key", ErrEmptySourceKey},
		{"empty SKU", with(good(), func(m *Movement) { m.SKU = "" }), "sku", ErrEmptySKU},
		{"empty location", with(good(), func(m *Movement) { m.Location = "" }), "location", ErrEmptyLocation},
		{"NUL in SKU", with(good(), func(m *Movement) { m.SKU = "A\x00B" }), "sku", ErrInvalidText},
		{"newline in location", with(good(), func(m *Movement) { m.Location = "W\nH" }), "location", ErrInvalidText},
		{"bad UTF-8", with(good(), func(m *Movement) { m.SKU = "\xff" }), "sku", ErrInvalidText},
		{"too long", with(good(), func(m *Movement) { m.SKU = strings.Repeat("x", MaxTextLen+1) }), "sku", ErrInvalidText},
		{"control character in reference", with(good(), func(m *Movement) { m.Reference.Partner = "\x1b" }), "reference.partner", ErrInvalidText},
		{"zero kind", with(good(), func(m *Movement) { m.Kind = 0 }), "kind", ErrUnknownKind},
		{"unknown kind", with(good(), func(m *Movement) { m.Kind = 42 }), "kind", ErrUnknownKind},
		{"negative receipt", with(good(), func(m *Movement) { m.Quantity = -1 }), "quantity", ErrNegativeQuantity},
		{"negative shipment", with(mv(KindShipment, -1, 1), nil2), "quantity", ErrNegativeQuantity},
		{"negative allocate", with(mv(KindAllocate, -1, 1), order("SO1")), "quantity", ErrNegativeQuantity},
		{"negative release", with(mv(KindRelease, -1, 1), order("SO1")), "quantity", ErrNegativeQuantity},
		{"negative snapshot", with(mv(KindSnapshot, -1, 1), nil2), "quantity", ErrNegativeQuantity},
		{"quantity too large", with(good(), func(m *Movement) { m.Quantity = MaxQuantity + 1 }), "quantity", ErrOverflow},
		{"quantity too small", with(mv(KindAdjust, math.MinInt64, 1), reason("x")), "quantity", ErrOverflow},
		{"allocate without order", mv(KindAllocate, 1, 1), "reference.order", ErrMissingOrder},
		{"release without order", mv(KindRelease, 1, 1), "reference.order", ErrMissingOrder},
		{"adjust without reason", mv(KindAdjust, 1, 1), "reason", ErrMissingReason},
		{"bucket on a receipt", with(good(), bucket(BucketDamaged)), "bucket", ErrFieldNotAllowed},
		{"snapshot of unknown bucket", with(mv(KindSnapshot, 1, 1), bucket(9)), "bucket", ErrUnknownBucket},
		{"expected date on a shipment", with(mv(KindShipment, 1, 1), expected(3)), "expected", ErrFieldNotAllowed},
		{"take_in_transit on an adjust", with(mv(KindAdjust, 1, 1), func(m *Movement) { m.Reason = "x"; m.TakeInTransit = true }), "take_in_transit", ErrFieldNotAllowed},
		{"effective out of range", with(good(), func(m *Movement) { m.Effective = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) }), "effective", ErrInvalidTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openTest(t)
			ok := mv(KindReceipt, 5, 1)
			_, err := l.Post(t.Context(), Document{Key: "bad", Movements: []Movement{ok, tt.m}})
			var me *MovementError
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
func nil2(*Movement) {}

// assertEmpty fails unless nothing was ever posted.
func assertEmpty(t *testing.T, l *Ledger) {
	t.Helper()
	if seq, err := l.LastSeq(t.Context()); err != nil || seq != 0 {
		t.Errorf("last seq %d (%v): something was written", seq, err)
	}
	if bs, err := l.Balances(t.Context(), Filter{}); err != nil || len(bs) != 0 {
		t.Errorf("balances %+v (%v): something was written", bs, err)
	}
}

func TestBadDocument(t *testing.T) {
	l := openTest(t)
	for _, tt := range []struct {
		doc Document
		err error
	}{
		{Document{Movements: []Movement{mv(KindReceipt, 1, 1)}}, ErrEmptyDocumentKey},
		{Document{Key: "a\x00b", Movements: []Movement{mv(KindReceipt, 1, 1)}}, ErrInvalidText},
	} {
		if _, err := l.Post(t.Context(), tt.doc); !errors.Is(err, tt.err) {
			t.Errorf("%q: %v, want %v", tt.doc.Key, err, tt.err)
		}
	}
	assertEmpty(t, l)
}

func TestOverflowWritesNothing(t *testing.T) {
	tests := []struct {
		name   string
		before []Movement
		m      Movement
	}{
		{"on_hand", []Movement{mv(KindReceipt, MaxQuantity, 1)}, mv(KindReceipt, 1, 2)},
		{"on_hand negative", []Movement{mv(KindShipment, MaxQuantity, 1)}, mv(KindShipment, 1, 2)},
		{"allocated", []Movement{with(mv(KindAllocate, MaxQuantity, 1), order("A"))}, with(mv(KindAllocate, 1, 2), order("B"))},
		{"damaged", []Movement{mv(KindDamage, -MaxQuantity, 1)}, mv(KindDamage, -1, 2)},
		{"in_transit", []Movement{mv(KindInTransit, MaxQuantity, 1)}, with(mv(KindInTransit, 1, 2), expected(5))},
		{"quarantined", []Movement{mv(KindQuarantine, MaxQuantity, 1)}, mv(KindQuarantine, 1, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openTest(t)
			mustPost(t, l, "before", tt.before...)
			before := mustBalance(t, l, "A1", "WH1")
			ok := with(mv(KindReceipt, 0, 1), func(m *Movement) { m.SKU = "OTHER" })
			_, err := l.Post(t.Context(), Document{Key: "over", Movements: []Movement{ok, tt.m}})
			var me *MovementError
			if !errors.Is(err, ErrOverflow) || !errors.As(err, &me) || me.Index != 1 {
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
			fixed := with(tt.m, func(m *Movement) { m.Quantity = 0 })
			if res := mustPost(t, l, "over", ok, fixed); res.Posted != 2 {
				t.Errorf("retry %+v", res)
			}
		})
	}
}

func TestConcurrentPostersShareCommits(t *testing.T) {
	l := openTest(t)
	const posters, docs = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, posters)
	seqs := make(chan uint64, posters*docs)
	for p := range posters {
		wg.Go(func() {
			for d := range docs {
				ms := []Movement{
					{SourceKey: fmt.Sprintf("p%d/d%d/1", p, d), SKU: fmt.Sprintf("S%d", d%5), Location: "WH1", Kind: KindReceipt, Quantity: 2},
					{SourceKey: fmt.Sprintf("p%d/d%d/2", p, d), SKU: fmt.Sprintf("S%d", d%5), Location: "WH1", Kind: KindShipment, Quantity: 1},
				}
				res, err := l.Post(context.Background(), Document{Key: fmt.Sprintf("p%d/d%d", p, d), Movements: ms})
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
func TestFailureInsideGroupCommit(t *testing.T) {
	l := openTest(t)
	mustPost(t, l, "full", mv(KindReceipt, MaxQuantity, 1))
	var wg sync.WaitGroup
	results := make([]error, 40)
	for i := range results {
		wg.Go(func() {
			m := Movement{SourceKey: fmt.Sprintf("g%d", i), SKU: fmt.Sprintf("G%d", i), Location: "WH1", Kind: KindReceipt, Quantity: 1}
			if i%4 == 0 {
				m = mv(KindReceipt, 1, 2) // overflows A1
			}
			_, results[i] = l.Post(context.Background(), Document{Key: fmt.Sprintf("g%d", i), Movements: []Movement{m}})
		})
	}
	wg.Wait()
	for i, err := range results {
		if i%4 == 0 {
			if !errors.Is(err, ErrOverflow) {
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

func TestClosedAndReadOnly(t *testing.T) {
	l := openTest(t)
	mustPost(t, l, "d", mv(KindReceipt, 1, 1))
	path := l.Path()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Post(t.Context(), Document{Key: "x", Movements: []Movement{mv(KindReceipt, 1, 1)}}); !errors.Is(err, ErrClosed) {
		t.Errorf("post after close: %v", err)
	}
	if _, err := l.Balance(t.Context(), "A1", "WH1"); !errors.Is(err, ErrClosed) {
		t.Errorf("balance after close: %v", err)
	}
	ro, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Post(t.Context(), Document{Key: "x", Movements: []Movement{mv(KindReceipt, 1, 1)}}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("post read-only: %v", err)
	}
	if b, err := ro.Balance(t.Context(), "A1", "WH1"); err != nil || b.OnHand != 1 {
		t.Errorf("read-only balance %+v %v", b, err)
	}
	if _, err := Open(path+".missing", &Options{ReadOnly: true}); err == nil {
		t.Error("read-only open of a missing file succeeded")
	}
}

func TestCanceledContext(t *testing.T) {
	l := openTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.Post(ctx, Document{Key: "x", Movements: []Movement{mv(KindReceipt, 1, 1)}}); !errors.Is(err, context.Canceled) {
		t.Errorf("post: %v", err)
	}
	if _, err := l.Balances(ctx, Filter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("balances: %v", err)
	}
	assertEmpty(t, l)
}

// A document large enough to be sorted beside the commit, with duplicates
// inside it and of earlier postings, posted while small ones go by.
func TestLargeDocument(t *testing.T) {
	l := openTest(t)
	first := mv(KindReceipt, 1, 1)
	small := mustPost(t, l, "small", first)
	var ms []Movement
	for i := range parallelSortMin + 500 {
		m := Movement{SourceKey: fmt.Sprintf("big/%d", i), SKU: fmt.Sprintf("S%d", i%300), Location: fmt.Sprintf("L%d", i%3), Kind: KindReceipt, Quantity: 2, Effective: at(float64(i % 50))}
		if i%7 == 0 {
			m.Kind, m.Quantity = KindSnapshot, 5
		}
		ms = append(ms, m)
	}
	ms = append(ms, ms[10], first) // a duplicate within, and one of an earlier posting
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 20 {
			mustPost(t, l, fmt.Sprintf("s%d", i), mv(KindReceipt, 1, 2))
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

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	// A bbolt file that is not a ledger.
	other := filepath.Join(dir, "other.db")
	db, err := bolt.Open(other, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("x")); return err })
	db.Close()
	if _, err := Open(other, nil); !errors.Is(err, ErrNotLedger) {
		t.Errorf("foreign bbolt file: %v", err)
	}
	// A ledger of another schema version.
	old := filepath.Join(dir, "old.db")
	l, err := Open(old, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	db, _ = bolt.Open(old, 0o644, nil)
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bktMeta).Put(keySchema, idKey(99)) })
	db.Close()
	if _, err := Open(old, nil); !errors.Is(err, ErrSchema) {
		t.Errorf("schema 99: %v", err)
	}
	// Not a bbolt file at all.
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("junk", 4096)), 0o644)
	if _, err := Open(junk, nil); err == nil {
		t.Error("junk file opened")
	}
	// Locked by another writer: the second open times out.
	path := filepath.Join(dir, "locked.db")
	first, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, &Options{LockTimeout: 50 * time.Millisecond}); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("second writer: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path)
}
