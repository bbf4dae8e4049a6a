package ledger

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestSourceBlocksInterleaved posts documents whose source keys fall
// inside the key ranges of earlier documents' blocks (so blocks are
// merged, grown and split), then posts everything again: every key must
// be found as a duplicate, and nothing else.
func TestSourceBlocksInterleaved(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	receipt := func(key string) Movement {
		return Movement{SourceKey: key, SKU: "A1", Location: "WH1", Kind: KindReceipt, Quantity: 1, Effective: at(1)}
	}
	var docs []Document
	// One wide block: k/0000, k/0100, ... k/6300.
	first := Document{Key: "wide"}
	for i := range 64 {
		first.Movements = append(first.Movements, receipt(fmt.Sprintf("k/%04d", i*100)))
	}
	docs = append(docs, first)
	// Then keys inside it, a few per document, some documents posted
	// together (one transaction), some keys repeated within a document.
	for d := range 150 {
		doc := Document{Key: fmt.Sprintf("in-%d", d)}
		for j := range 3 {
			doc.Movements = append(doc.Movements, receipt(fmt.Sprintf("k/%04d", (d*37+j*13)%6300+1+j)))
		}
		docs = append(docs, doc)
	}
	seen := map[string]bool{}
	var want int64
	for i := 0; i < len(docs); {
		batch := docs[i:min(i+1+i%5, len(docs))]
		results := make([]PostResult, len(batch))
		errs := make(chan error, len(batch))
		for j, doc := range batch {
			go func() {
				var err error
				results[j], err = l.Post(ctx, doc)
				errs <- err
			}()
		}
		for range batch {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		// Documents of one batch may commit in any order: count what is
		// new across the batch.
		var dups, posted int
		for _, r := range results {
			dups += len(r.Duplicates)
			posted += r.Posted
		}
		var wantNew int
		for _, doc := range batch {
			for _, m := range doc.Movements {
				if !seen[m.SourceKey] {
					seen[m.SourceKey] = true
					wantNew++
				}
			}
		}
		if posted != wantNew {
			t.Fatalf("documents %d..%d: %d posted, want %d (%d duplicates)", i, i+len(batch)-1, posted, wantNew, dups)
		}
		want += int64(wantNew)
		i += len(batch)
	}
	if got := mustBalance(t, l, "A1", "WH1").OnHand; got != want {
		t.Fatalf("on hand %d, want %d", got, want)
	}
	if err := l.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	// The wide block must have grown past the split size and been split:
	// new blocks are never started inside an existing block's range, so
	// more than one block within k/0000..k/6300 means a split.
	var inside, largest int
	err := l.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bktSources).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if string(k) <= "k/6300" {
				inside++
			}
			n := 0
			if err := eachSource(k, v, func([]byte, uint64) bool { n++; return true }); err != nil {
				return err
			}
			largest = max(largest, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if inside < 2 || largest > sourceBlockSplit {
		t.Fatalf("%d blocks within the wide block's range, the largest of %d keys: the test should split a block", inside, largest)
	}
	for _, doc := range docs {
		res, err := l.Post(ctx, doc)
		if err != nil {
			t.Fatal(err)
		}
		keys := make([]string, 0, len(doc.Movements))
		for _, m := range doc.Movements {
			keys = append(keys, m.SourceKey)
		}
		if res.Posted != 0 || !slices.Equal(res.Duplicates, keys) {
			t.Fatalf("reposting %s: %+v", doc.Key, res)
		}
	}
}

// TestSourceWalk: looking keys up in key order with a sourceWalk finds
// what lookupSource finds, for keys before, between, inside and after the
// stored blocks, repeated and out of order.
func TestSourceWalk(t *testing.T) {
	db, err := bolt.Open(t.TempDir()+"/walk.db", 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Stored: k/0010, k/0020, ..., k/5000 but k/3000..k/3190, as blocks
	// of 64: queries fall inside blocks, between two blocks, in the
	// wide gap, before and after all of them.
	var stored []sourceEntry
	for i := 1; i <= 500; i++ {
		if i%320 >= 300 { // a gap
			continue
		}
		stored = append(stored, sourceEntry{[]byte(fmt.Sprintf("k/%04d", i*10)), uint64(i)})
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bktSources)
		if err != nil {
			return err
		}
		return putSources(b, stored, sourceBlockMax)
	})
	if err != nil {
		t.Fatal(err)
	}
	var queries [][]byte
	for i := 0; i <= 5100; i += 3 {
		queries = append(queries, []byte(fmt.Sprintf("k/%04d", i)))
	}
	queries = append(queries, []byte("a"), []byte("k/"), []byte("k/3000x"), []byte("z"))
	slices.SortFunc(queries, func(a, b []byte) int { return bytes.Compare(a, b) })
	orders := map[string][][]byte{
		"ascending":    queries,
		"repeated":     append(slices.Clone(queries[:40]), queries[30:]...),
		"out of order": append(slices.Clone(queries[1000:]), queries[:1000]...),
	}
	for name, qs := range orders {
		t.Run(name, func(t *testing.T) {
			err := db.View(func(tx *bolt.Tx) error {
				walk := sourceWalk{c: tx.Bucket(bktSources).Cursor()}
				one := tx.Bucket(bktSources).Cursor()
				found := 0
				for _, q := range qs {
					got, err := walk.lookup(q)
					if err != nil {
						return err
					}
					want, err := lookupSource(one, q)
					if err != nil {
						return err
					}
					if got != want {
						t.Fatalf("%s: walk %d, lookupSource %d", q, got, want)
					}
					if got != 0 {
						found++
					}
				}
				if found < 100 {
					t.Fatalf("only %d keys found: the test should find many", found)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
