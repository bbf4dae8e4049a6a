package ledgertest

import (
	"github.com/dockside-edi/dockside/ledger"

	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// propertySeed returns a seed, logged so a failure can be replayed.
func propertySeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return seed
}

// snapKey identifies the bucket a snapshot counts.
type snapKey struct {
	pos    ledger.Position
	bucket ledger.Bucket
}

// testPropertyRandomPostings posts random documents (every kind, repeated
// source keys, whole documents posted again, snapshots in any time order)
// and checks after each one:
//   - Verify: balances equal the sums of their movements, no source key
//     twice, allocations and incoming schedules add up;
//   - the result: duplicates are exactly the source keys seen before, stale
//     snapshots exactly those older than the newest applied snapshot of
//     their bucket, and a posting that changes nothing gets no sequence
//     number;
//   - an applied snapshot's bucket, as of its time, equals its count;
//   - reposting a document changes nothing;
//   - BalanceAsOf equals the sum of the deltas in History up to that time.
func testPropertyRandomPostings(t *testing.T, open Open) {
	seed := propertySeed(t)
	for run := range 4 {
		t.Run(fmt.Sprint(run), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, uint64(run)))
			l := openTest(t, open)
			ctx := context.Background()
			seen := make(map[string]bool)
			newest := make(map[snapKey]time.Time)
			var posted []ledger.Document
			var lastSeq uint64
			for step := range 120 {
				doc := randomDocument(rng, fmt.Sprintf("doc-%d", step), posted)
				if len(posted) > 0 && rng.IntN(8) == 0 {
					doc = posted[rng.IntN(len(posted))] // the same document again
				}
				before := allBalances(t, l)
				res, err := l.Post(ctx, doc)
				if err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				// Expected duplicates and stale snapshots, in document order.
				var wantDup, wantStale []string
				var applied []ledger.Movement
				for _, m := range doc.Movements {
					if seen[m.SourceKey] {
						wantDup = append(wantDup, m.SourceKey)
						continue
					}
					seen[m.SourceKey] = true
					if m.Kind == ledger.KindSnapshot {
						k := snapKey{ledger.Position{SKU: m.SKU, Location: m.Location}, cmpOr(m.Bucket, ledger.BucketOnHand)}
						if last, ok := newest[k]; ok && m.Effective.Before(last) {
							wantStale = append(wantStale, m.SourceKey)
							continue
						}
						newest[k] = m.Effective
						applied = append(applied, m)
					}
				}
				if !slices.Equal(res.Duplicates, wantDup) || !slices.Equal(res.Stale, wantStale) {
					t.Fatalf("step %d: duplicates %v stale %v, want %v %v", step, res.Duplicates, res.Stale, wantDup, wantStale)
				}
				if len(wantDup) == len(doc.Movements) {
					if res.Seq != 0 {
						t.Fatalf("step %d: nothing new but seq %d", step, res.Seq)
					}
					if after := allBalances(t, l); !slices.EqualFunc(before, after, sameBalance) {
						t.Fatalf("step %d: an all-duplicate posting changed balances", step)
					}
				} else {
					if res.Seq != lastSeq+1 {
						t.Fatalf("step %d: seq %d after %d", step, res.Seq, lastSeq)
					}
					lastSeq = res.Seq
				}
				if len(applied) > 0 {
					// The last applied snapshot of each bucket holds as of its time
					// unless a later movement of the same document is effective
					// at or before that time.
					m := applied[len(applied)-1]
					if !laterMovementBefore(doc, m) {
						b, err := l.BalanceAsOf(ctx, m.SKU, m.Location, m.Effective)
						if err != nil {
							t.Fatal(err)
						}
						if got := b.Get(cmpOr(m.Bucket, ledger.BucketOnHand)); got != m.Quantity {
							t.Fatalf("step %d: snapshot %s of %d: as of its time %d", step, m.SourceKey, m.Quantity, got)
						}
					}
				}
				posted = append(posted, doc)
				if step%10 == 9 {
					if err := l.Verify(ctx); err != nil {
						t.Fatalf("step %d: %v", step, err)
					}
					checkAsOfAgainstHistory(t, l, rng)
				}
			}
			// Everything again: nothing changes.
			before := allBalances(t, l)
			for _, doc := range posted {
				res, err := l.Post(ctx, doc)
				if err != nil || res.Seq != 0 || res.Posted != 0 {
					t.Fatalf("repost %s: %+v %v", doc.Key, res, err)
				}
			}
			if after := allBalances(t, l); !slices.EqualFunc(before, after, sameBalance) {
				t.Fatal("reposting everything changed balances")
			}
		})
	}
}

func cmpOr(b, def ledger.Bucket) ledger.Bucket {
	if b == 0 {
		return def
	}
	return b
}

// laterMovementBefore reports whether a movement after m in doc, at m's
// position, is effective at or before m.
func laterMovementBefore(doc ledger.Document, m ledger.Movement) bool {
	i := slices.IndexFunc(doc.Movements, func(x ledger.Movement) bool { return x.SourceKey == m.SourceKey })
	for _, x := range doc.Movements[i+1:] {
		if x.SKU == m.SKU && x.Location == m.Location && !x.Effective.After(m.Effective) {
			return true
		}
	}
	return false
}

// randomDocument makes a document of random movements; some reuse source
// keys of earlier documents (or of the same one).
func randomDocument(rng *rand.Rand, key string, earlier []ledger.Document) ledger.Document {
	n := 1 + rng.IntN(8)
	doc := ledger.Document{Key: key}
	for i := range n {
		src := fmt.Sprintf("%s/%d", key, i)
		switch {
		case len(earlier) > 0 && rng.IntN(6) == 0:
			e := earlier[rng.IntN(len(earlier))]
			src = e.Movements[rng.IntN(len(e.Movements))].SourceKey
		case i > 0 && rng.IntN(12) == 0:
			src = doc.Movements[rng.IntN(i)].SourceKey
		}
		m := randomMovement(rng, src, 3, 2)
		if rng.IntN(3) == 0 {
			m.Kind, m.Bucket, m.Expected, m.TakeInTransit, m.Reason = ledger.KindSnapshot, ledger.Bucket(rng.IntN(int(bucketEnd))), time.Time{}, false, ""
			m.Reference.Order = ""
			if m.Quantity < 0 {
				m.Quantity = -m.Quantity
			}
		}
		doc.Movements = append(doc.Movements, m)
	}
	return doc
}

func allBalances(t *testing.T, l ledger.Store) []ledger.Balance {
	t.Helper()
	bs, err := l.Balances(context.Background(), ledger.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

func sameBalance(a, b ledger.Balance) bool {
	return a.SKU == b.SKU && a.Location == b.Location && a.Quantities == b.Quantities &&
		slices.EqualFunc(a.Incoming, b.Incoming, func(x, y ledger.Incoming) bool { return x.Due.Equal(y.Due) && x.Quantity == y.Quantity })
}

// checkAsOfAgainstHistory compares BalanceAsOf at random times with the
// deltas History lists, for every position.
func checkAsOfAgainstHistory(t *testing.T, l ledger.Store, rng *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	for _, b := range allBalances(t, l) {
		hist, err := l.History(ctx, b.SKU, b.Location, ledger.HistoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var total ledger.Quantities
		for _, m := range hist {
			total = addQ(total, m.Delta)
		}
		if total != b.Quantities {
			t.Fatalf("%s@%s: history adds up to %+v, balance %+v", b.SKU, b.Location, total, b.Quantities)
		}
		for range 3 {
			at := t0.Add(time.Duration(rng.IntN(110*60)-5*60) * time.Minute)
			var want ledger.Quantities
			for _, m := range hist {
				if !m.Effective.After(at) {
					want = addQ(want, m.Delta)
				}
			}
			got, err := l.BalanceAsOf(ctx, b.SKU, b.Location, at)
			if err != nil {
				t.Fatal(err)
			}
			if got.Quantities != want {
				t.Fatalf("%s@%s as of %v: %+v, history says %+v", b.SKU, b.Location, at, got.Quantities, want)
			}
		}
	}
}

// testPropertySnapshotOrder posts the same movements, then the same
// snapshots (distinct times) in two different orders: the balances must end
// the same, since a snapshot older than an applied one is stale and a newer
// one sets its bucket as of its time.
func testPropertySnapshotOrder(t *testing.T, open Open) {
	seed := propertySeed(t)
	rng := rand.New(rand.NewPCG(seed, 99))
	for run := range 10 {
		var base []ledger.Movement
		for i := range 30 {
			m := randomMovement(rng, fmt.Sprintf("b%d-%d", run, i), 2, 2)
			if m.Kind == ledger.KindSnapshot {
				m.Kind, m.Bucket, m.Expected = ledger.KindReceipt, 0, time.Time{}
				m.Quantity = max(m.Quantity, 0)
			}
			base = append(base, m)
		}
		var snaps []ledger.Movement
		for i, minute := range rng.Perm(100 * 60)[:12] {
			snaps = append(snaps, ledger.Movement{
				SourceKey: fmt.Sprintf("s%d-%d", run, i), SKU: fmt.Sprintf("SKU%d", rng.IntN(2)), Location: fmt.Sprintf("L%d", rng.IntN(2)),
				Kind: ledger.KindSnapshot, Bucket: ledger.Bucket(rng.IntN(int(bucketEnd))), Quantity: int64(rng.IntN(40)),
				Effective: t0.Add(time.Duration(minute) * time.Minute),
			})
		}
		shuffled := slices.Clone(snaps)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		final := func(order []ledger.Movement, oneDoc bool) []ledger.Balance {
			l := openTest(t, open)
			mustPost(t, l, "base", base...)
			if oneDoc {
				mustPost(t, l, "snaps", order...)
			} else {
				for i, s := range order {
					mustPost(t, l, fmt.Sprintf("snap-%d", i), s)
				}
			}
			return allBalances(t, l)
		}
		a, b, c := final(snaps, false), final(shuffled, false), final(shuffled, true)
		if !slices.EqualFunc(a, b, sameBalance) || !slices.EqualFunc(a, c, sameBalance) {
			t.Fatalf("run %d: snapshot order changed the outcome:\n%+v\n%+v\n%+v", run, a, b, c)
		}
	}
}

// testPropertyGroupCommitIsSerial posts random documents from many
// goroutines (so they share commits) and replays them one by one, in the
// order of their sequence numbers, into a fresh ledger: every movement's
// delta and every balance must come out the same.
func testPropertyGroupCommitIsSerial(t *testing.T, open Open) {
	seed := propertySeed(t)
	rng := rand.New(rand.NewPCG(seed, 5))
	var docs []ledger.Document
	for i := range 200 {
		docs = append(docs, randomDocument(rng, fmt.Sprintf("c%d", i), docs))
	}
	concurrent := openTest(t, open)
	ctx := context.Background()
	bySeq := make(map[uint64]ledger.Document)
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan ledger.Document)
	for range 12 {
		wg.Go(func() {
			for d := range work {
				res, err := concurrent.Post(ctx, d)
				if err != nil {
					t.Error(err)
					continue
				}
				if res.Seq != 0 {
					mu.Lock()
					bySeq[res.Seq] = d
					mu.Unlock()
				}
			}
		})
	}
	for _, d := range docs {
		work <- d
	}
	close(work)
	wg.Wait()
	serial := openTest(t, open)
	for seq := uint64(1); seq <= uint64(len(bySeq)); seq++ {
		d, ok := bySeq[seq]
		if !ok {
			t.Fatalf("sequence number %d missing", seq)
		}
		if res := mustPost(t, serial, d.Key, d.Movements...); res.Seq != seq {
			t.Fatalf("replay of %s got seq %d, want %d", d.Key, res.Seq, seq)
		}
	}
	if a, b := allBalances(t, concurrent), allBalances(t, serial); !slices.EqualFunc(a, b, sameBalance) {
		t.Fatalf("group commit differs from serial posting:\n%+v\n%+v", a, b)
	}
	ca, err := concurrent.ChangesSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := serial.ChangesSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ca {
		for j := range ca[i].Movements {
			x, y := ca[i].Movements[j], cb[i].Movements[j]
			if x.SourceKey != y.SourceKey || x.Delta != y.Delta || x.Stale != y.Stale || x.ID != y.ID {
				t.Fatalf("change %d movement %d: %+v vs %+v", i, j, x, y)
			}
		}
	}
}

// randomMovement makes a valid movement of any kind over skus × locs
// positions, effective within a 100-hour window.
func randomMovement(rng *rand.Rand, src string, skus, locs int) ledger.Movement {
	m := ledger.Movement{
		SourceKey: src,
		SKU:       fmt.Sprintf("SKU%d", rng.IntN(skus)),
		Location:  fmt.Sprintf("L%d", rng.IntN(locs)),
		Kind:      ledger.Kind(1 + rng.IntN(int(kindEnd)-1)),
		Quantity:  int64(rng.IntN(50)),
		Effective: t0.Add(time.Duration(rng.IntN(100*60)) * time.Minute),
	}
	if signed(m.Kind) && rng.IntN(2) == 0 {
		m.Quantity = -m.Quantity
	}
	switch m.Kind {
	case ledger.KindReceipt:
		if rng.IntN(2) == 0 {
			m.TakeInTransit = true
			if rng.IntN(2) == 0 {
				m.Expected = t0.Add(time.Duration(rng.IntN(5)) * 24 * time.Hour)
			}
		}
	case ledger.KindShipment:
		if rng.IntN(3) > 0 {
			m.Reference.Order = fmt.Sprintf("SO%d", rng.IntN(5))
		}
	case ledger.KindAllocate, ledger.KindRelease:
		m.Reference.Order = fmt.Sprintf("SO%d", rng.IntN(5))
	case ledger.KindInTransit:
		if rng.IntN(4) > 0 {
			m.Expected = t0.Add(time.Duration(rng.IntN(5)) * 24 * time.Hour)
		}
	case ledger.KindAdjust:
		m.Reason = "count"
	case ledger.KindSnapshot:
		m.Bucket = ledger.Bucket(rng.IntN(int(bucketEnd)))
		if m.Bucket == ledger.BucketInTransit && rng.IntN(2) == 0 {
			m.Expected = t0.Add(time.Duration(rng.IntN(5)) * 24 * time.Hour)
		}
	}
	return m
}

// kindEnd and bucketEnd are one past the last kind and bucket.
const (
	kindEnd   = ledger.KindSnapshot + 1
	bucketEnd = ledger.BucketQuarantined + 1
)

// signed reports whether a kind takes negative quantities.
func signed(k ledger.Kind) bool {
	return k == ledger.KindInTransit || k == ledger.KindAdjust || k == ledger.KindDamage || k == ledger.KindQuarantine
}

// addQ returns a + b.
func addQ(a, b ledger.Quantities) ledger.Quantities {
	return ledger.Quantities{
		OnHand:      a.OnHand + b.OnHand,
		Allocated:   a.Allocated + b.Allocated,
		InTransit:   a.InTransit + b.InTransit,
		Damaged:     a.Damaged + b.Damaged,
		Quarantined: a.Quarantined + b.Quarantined,
	}
}
