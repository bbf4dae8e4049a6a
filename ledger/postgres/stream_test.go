package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestLargeTransactionWithFailingDocument posts, in one transaction large
// enough to copy its movements while the rules run, a document between
// two others that fails the rules halfway: the first document's movements
// are copied before the failure, and the transaction must write them
// once, post the third after them, and refuse the failing one alone.
func TestLargeTransactionWithFailingDocument(t *testing.T) {
	pool := migrated(t)
	at := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	s := node(t, pool, false, &Options{Now: func() time.Time { return at }})
	doc := func(key string, n int) ledger.Document {
		d := ledger.Document{Key: key}
		for i := range n {
			d.Movements = append(d.Movements, ledger.Movement{SourceKey: fmt.Sprintf("%s|%d", key, i), SKU: fmt.Sprintf("SKU%05d", i),
				Location: "WH", Kind: ledger.KindReceipt, Quantity: 5, Effective: at})
		}
		return d
	}
	first, third := doc("first", copyMin), doc("third", copyMin)
	bad := doc("bad", 3)
	bad.Movements[1].Quantity = ledger.MaxQuantity // with the first's 5 it is beyond MaxQuantity
	bad.Movements[1].SKU = "SKU00000"
	var batch []*request
	for _, d := range []ledger.Document{first, bad, third} {
		r, err := newRequest(d, at)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, r)
	}
	s.commit(batch) // one transaction, as the committer gathers them
	if err := batch[0].err; err != nil {
		t.Fatalf("first: %v", err)
	}
	if err := batch[1].err; !errors.Is(err, ledger.ErrOverflow) {
		t.Fatalf("bad: %v, want ErrOverflow", err)
	}
	if err := batch[2].err; err != nil {
		t.Fatalf("third: %v", err)
	}
	r1, r3 := batch[0].res, batch[2].res
	if r1.Posted != copyMin || r3.Posted != copyMin || r1.Seq != 1 || r3.Seq != 2 || r3.FirstID != r1.LastID+1 {
		t.Fatalf("results %+v, %+v", r1, r3)
	}
	ctx := context.Background()
	b, err := s.Balance(ctx, "SKU00000", "WH")
	if err != nil || b.OnHand != 10 {
		t.Fatalf("balance %+v, %v; want 10 on hand", b, err)
	}
	var movements int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM ledger_movements`).Scan(&movements); err != nil || movements != 2*copyMin {
		t.Fatalf("%d movements (%v), want %d", movements, err, 2*copyMin)
	}
	// Posted again, the first is a duplicate throughout.
	res, err := s.Post(ctx, first)
	if err != nil || res.Posted != 0 || len(res.Duplicates) != copyMin {
		t.Fatalf("again: %+v, %v", res, err)
	}
}

// TestPostAll posts documents together: each document
// all or nothing and numbered in order; one the rules refuse gets its
// error alone; posted again, all are duplicates.
func TestPostAll(t *testing.T) {
	pool := migrated(t)
	at := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	s := node(t, pool, false, &Options{Now: func() time.Time { return at }})
	ctx := context.Background()
	docs := make([]ledger.Document, 4)
	for k := range docs {
		docs[k].Key = fmt.Sprintf("doc%d", k)
		for i := range 1000 {
			docs[k].Movements = append(docs[k].Movements, ledger.Movement{SourceKey: fmt.Sprintf("doc%d|%d", k, i),
				SKU: fmt.Sprintf("SKU%05d", i), Location: "WH", Kind: ledger.KindSnapshot, Quantity: int64(k + 1), Effective: at})
		}
	}
	docs[2].Movements[7].Kind, docs[2].Movements[7].Quantity = ledger.KindReceipt, ledger.MaxQuantity // beyond MaxQuantity
	results, errs := s.PostAll(ctx, docs)
	for k, want := range []uint64{1, 2, 0, 3} {
		if (errs[k] != nil) != (k == 2) || results[k].Seq != want {
			t.Fatalf("document %d: %+v, %v; want sequence %d", k, results[k], errs[k], want)
		}
	}
	if !errors.Is(errs[2], ledger.ErrOverflow) {
		t.Fatalf("document 2: %v, want ErrOverflow", errs[2])
	}
	if b, err := s.Balance(ctx, "SKU00007", "WH"); err != nil || b.OnHand != 4 {
		t.Fatalf("balance %+v, %v; want the last snapshot's 4", b, err)
	}
	results, errs = s.PostAll(ctx, []ledger.Document{docs[0], docs[3]})
	for k := range results {
		if errs[k] != nil || results[k].Posted != 0 || len(results[k].Duplicates) != 1000 {
			t.Fatalf("again, document %d: %+v, %v", k, results[k], errs[k])
		}
	}
}

// TestKeyRange checks the ranges that stand for a document's source keys.
func TestKeyRange(t *testing.T) {
	many := func(prefix string, tails ...string) []string {
		var keys []string
		for i := range rangeMin {
			keys = append(keys, prefix+tails[i%len(tails)])
		}
		return keys
	}
	for _, tc := range []struct {
		name   string
		keys   []string
		lo, hi string
	}{
		{"few keys", []string{"doc|1", "doc|2"}, "", ""},
		{"shared prefix", many("p|846|1|", "1", "2", "10"), "p|846|1|", "p|846|1}"},
		{"one key repeated", many("k", ""), "k", "l"},
		{"no shared prefix", many("", "a", "b"), "", ""},
		{"a character cut short", many("x", "é1", "è2"), "x", "y"},
		{"the largest character", many("a\U0010FFFF", "1", "2"), "a\U0010FFFF", "b"},
		{"before a surrogate", many("a\uD7FF", "1", "2"), "a\uD7FF", "a\uE000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := keyRange(tc.keys)
			if lo != tc.lo || hi != tc.hi {
				t.Fatalf("keyRange = %q, %q; want %q, %q", lo, hi, tc.lo, tc.hi)
			}
			for _, k := range tc.keys {
				if hi != "" && (k < lo || k >= hi) {
					t.Errorf("%q is not in [%q, %q)", k, lo, hi)
				}
			}
		})
	}
}

// TestPostPartlyRecorded posts a large document of which some keys are
// recorded (its key range holds them): those are duplicates, the rest is
// posted.
func TestPostPartlyRecorded(t *testing.T) {
	at := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	s := node(t, migrated(t), false, &Options{Now: func() time.Time { return at }})
	ctx := context.Background()
	doc := ledger.Document{Key: "doc"}
	for i := range 3 * rangeMin {
		doc.Movements = append(doc.Movements, ledger.Movement{SourceKey: fmt.Sprintf("doc|%d", i), SKU: fmt.Sprintf("S%d", i%7),
			Location: "WH", Kind: ledger.KindReceipt, Quantity: 1, Effective: at})
	}
	first := doc
	first.Movements = doc.Movements[rangeMin : 2*rangeMin]
	if res, err := s.Post(ctx, first); err != nil || res.Posted != rangeMin {
		t.Fatalf("first: %+v, %v", res, err)
	}
	res, err := s.Post(ctx, doc)
	if err != nil || res.Posted != 2*rangeMin || len(res.Duplicates) != rangeMin {
		t.Fatalf("again: %d posted, %d duplicates, %v", res.Posted, len(res.Duplicates), err)
	}
	if b, err := s.Balance(ctx, "S0", "WH"); err != nil || b.OnHand != 28 {
		t.Fatalf("balance %+v, %v; want 28", b, err)
	}
}

// TestLargeTransactionOneConnection posts a large document through a
// pool of one connection: the transaction cannot have a second one for
// its reads, and reads on its own instead of waiting.
func TestLargeTransactionOneConnection(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(migrated(t).Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	at := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	s := node(t, pool, false, &Options{Now: func() time.Time { return at }})
	doc := ledger.Document{Key: "big"}
	for i := range copyMin {
		doc.Movements = append(doc.Movements, ledger.Movement{SourceKey: fmt.Sprintf("big|%d", i), SKU: fmt.Sprintf("SKU%05d", i),
			Location: "WH", Kind: ledger.KindSnapshot, Quantity: 3, Effective: at})
	}
	ctx := context.Background()
	for range 2 { // new positions, then stored ones
		doc.Key += "+"
		for i := range doc.Movements {
			doc.Movements[i].SourceKey = doc.Key + fmt.Sprint(i)
			doc.Movements[i].Quantity++
		}
		if res, err := s.Post(ctx, doc); err != nil || res.Posted != copyMin {
			t.Fatalf("%+v, %v", res, err)
		}
	}
	if b, err := s.Balance(ctx, "SKU00042", "WH"); err != nil || b.OnHand != 5 {
		t.Fatalf("balance %+v, %v; want 5", b, err)
	}
}
