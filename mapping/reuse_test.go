package mapping

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
)

func TestClassCap(t *testing.T) {
	tests := []struct{ n, want int }{
		{0, minPooled}, {1, minPooled}, {minPooled, minPooled},
		{257, 320}, {300, 320}, {320, 320}, {321, 384},
		{10000, 10240}, {10240, 10240}, {1 << 20, 1 << 20}, {1<<20 + 1, 1<<20 + 1<<18},
	}
	for _, tc := range tests {
		c := classCap(tc.n)
		if c != tc.want {
			t.Errorf("classCap(%d) = %d, want %d", tc.n, c, tc.want)
		}
		if classCap(c) != c {
			t.Errorf("classCap(%d) = %d is not a class of its own", tc.n, c)
		}
		if c < tc.n || (tc.n > minPooled && c > tc.n+tc.n/4+1) {
			t.Errorf("classCap(%d) = %d: too small or too large", tc.n, c)
		}
	}
}

// garbage returns n movements with every field set.
func garbage(n int) []ledger.Movement {
	ms := make([]ledger.Movement, n)
	for i := range ms {
		ms[i] = ledger.Movement{SourceKey: "k", SKU: "s", Location: "l", Kind: ledger.KindAdjust, Quantity: 7,
			Bucket: ledger.BucketDamaged, Effective: received, Expected: received, TakeInTransit: true, RequireAvailable: true,
			Reference: ledger.Reference{Partner: "p", Line: 3, Order: "o"}, Reason: "r", ID: 1, Seq: 2}
	}
	return ms
}

func TestSlicePoolKeepsClassCapacities(t *testing.T) {
	var s slicePool[ledger.Movement]
	for _, n := range []int{1, 300, 320, 1000} {
		got := s.get(n)
		if len(got) != 0 || cap(got) < n || (n >= minPooled && cap(got) != classCap(n)) {
			t.Errorf("get(%d): len %d cap %d", n, len(got), cap(got))
		}
		s.put(garbage(classCap(n))[:n/2])
	}
	// Slices not of a class capacity, and small ones, are not kept.
	for _, c := range []int{minPooled - 1, minPooled + 1, 1000} {
		s.put(garbage(c))
		if p := s.pool(c, false); p != nil {
			t.Errorf("a slice of capacity %d was kept", c)
		}
	}
}

// TestNewMovementIsZero hands out movements from a slice whose spare
// capacity holds a released document's movements.
func TestNewMovementIsZero(t *testing.T) {
	for _, spare := range []int{2, 0} { // reused; full (append)
		mp := &mapping{res: &Result{Movements: garbage(3 + spare)[:3]}}
		for i := 0; i < 2; i++ {
			mv := mp.newMovement()
			if *mv != (ledger.Movement{}) {
				t.Fatalf("spare %d: movement %d is not zero: %+v", spare, i, *mv)
			}
			if mv != &mp.res.Movements[3+i] {
				t.Fatalf("spare %d: movement %d is not the result's last", spare, i)
			}
		}
	}
}

// snapshotOf copies the movements and comparisons of a result, strings
// included, so that nothing of it shares memory with the result.
func snapshotOf(res *Result) ([]ledger.Movement, []Comparison) {
	ms := make([]ledger.Movement, len(res.Movements))
	for i, m := range res.Movements {
		m.SourceKey, m.SKU, m.Location = strings.Clone(m.SourceKey), strings.Clone(m.SKU), strings.Clone(m.Location)
		ms[i] = m
	}
	return ms, append([]Comparison(nil), res.Compare...)
}

// TestReleasedMovementsDoNotShow maps 846s of different sizes and
// figures with one mapper, releasing each result, and checks every result
// against a mapper that reuses nothing; and that what a caller copied out
// of a released result (source keys included) does not change.
func TestReleasedMovementsDoNotShow(t *testing.T) {
	p := profile(t, benchProfile)
	reusing := New(p)
	type kept struct {
		keys, want []string
	}
	var copies []kept
	for round, items := range []int{600, 550, 300, 600, 599, 1200, 320} {
		docs, srcs := generate846(t, 2, items, round*7)
		for i, doc := range docs {
			want, err := New(p).Inventory846(doc, srcs[i])
			if err != nil {
				t.Fatal(err)
			}
			wantMs, wantCmp := snapshotOf(want)
			got, err := reusing.Inventory846(doc, srcs[i])
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Movements) != items || !reflect.DeepEqual(got.Movements, wantMs) {
				t.Fatalf("round %d set %d: %d movements differ from a fresh mapping's %d", round, i, len(got.Movements), len(wantMs))
			}
			if !reflect.DeepEqual(got.Compare, wantCmp) {
				t.Fatalf("round %d set %d: comparisons differ from a fresh mapping's", round, i)
			}
			k := kept{}
			for _, m := range got.Movements[:10] {
				k.keys = append(k.keys, m.SourceKey)
				k.want = append(k.want, strings.Clone(m.SourceKey))
			}
			copies = append(copies, k)
			got.Release()
			if got.Movements != nil || got.Compare != nil || got.Key == "" || got.Lines != items {
				t.Fatalf("released result: %d movements, %d comparisons, key %q, %d lines", len(got.Movements), len(got.Compare), got.Key, got.Lines)
			}
			got.Release() // twice is harmless
		}
	}
	for i, k := range copies {
		if !reflect.DeepEqual(k.keys, k.want) {
			t.Errorf("result %d: source keys changed after later documents: %q, want %q", i, k.keys, k.want)
		}
	}
}

// TestPoolReleaseConcurrently maps sets on pools from several goroutines
// sharing one mapper, releasing each result once checked (run with -race).
func TestPoolReleaseConcurrently(t *testing.T) {
	p := profile(t, benchProfile)
	docs, srcs := generate846(t, 6, 400, 3)
	want := make([][]ledger.Movement, len(docs))
	for i, doc := range docs {
		res, err := New(p).Inventory846(doc, srcs[i])
		if err != nil {
			t.Fatal(err)
		}
		want[i], _ = snapshotOf(res)
	}
	m := New(p)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for round := 0; round < 5; round++ {
				pool := NewPool(2)
				for i, doc := range docs {
					pool.Submit(m, doc, srcs[i])
				}
				for i, o := range pool.Wait() {
					if o.Err != nil {
						errs <- o.Err
						return
					}
					if !reflect.DeepEqual(o.Result.Movements, want[i]) {
						errs <- fmt.Errorf("goroutine %d round %d set %d: movements differ", g, round, i)
						return
					}
					o.Result.Release()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestRejectedDocumentHasNoMovements(t *testing.T) {
	p := profile(t, benchProfile)
	docs, srcs := generate846(t, 1, 400, 0)
	doc := *docs[0]
	doc.Items = append([]documents.Item846(nil), doc.Items...)
	doc.Items[399].Quantities = []documents.Quantity846{{Qualifier: "17", Quantity: "1.5", Pos: 9999}}
	res, err := New(p).Inventory846(&doc, srcs[0])
	if err == nil || res.Movements != nil || len(res.Problems) != 1 {
		t.Fatalf("err %v, %d movements, problems %v", err, len(res.Movements), res.Problems)
	}
	res.Release()
}

func TestKeyArenaKeysStay(t *testing.T) {
	var a keyArena
	var keys, want []string
	for i := 0; i < 20000; i++ {
		w := fmt.Sprintf("partner|%d|%s", i, strings.Repeat("x", i%97))
		start := a.begin(len(w))
		a.b.WriteString(w)
		keys = append(keys, a.end(start))
		want = append(want, w)
	}
	big := strings.Repeat("y", 3*maxKeyBlock) // larger than a block
	start := a.begin(len(big))
	a.b.WriteString(big)
	keys, want = append(keys, a.end(start)), append(want, big)
	for i := range keys {
		if keys[i] != want[i] {
			t.Fatalf("key %d is %q, want %q", i, keys[i], want[i])
		}
	}
}

// TestItemLocationsRemembered maps LIN N1 locations through a table: the
// location remembered from the item before must not hide a problem, nor
// give an item the location of another.
func TestItemLocationsRemembered(t *testing.T) {
	p := profile(t, `id: t
name: T
role: 3pl
identities: {isa: [{qualifier: ZZ, id: T}]}
acks: {send: none}
transports: {inbound: [{folder: {path: in}}]}
tables:
  wh: {map: {DAL1: dallas, RNO2: reno}, on_miss: error}
documents:
  - type: x12/846
    content: snapshot
    on_error: post_good
    mapping:
      buckets: {"17": on_hand}
      location: {source: lin_n1, qualifier: WH}
      items: {order: [SK]}
      warehouses: wh
`)
	doc := &documents.Inventory846{Date: "20261126", Time: "1200"}
	for i, code := range []string{"DAL1", "DAL1", "XXX", "DAL1", "RNO2", "XXX", "RNO2", "DAL1"} {
		pos := 10 * (i + 1)
		doc.Items = append(doc.Items, documents.Item846{Pos: pos, IDs: []documents.ProductID{{Qualifier: "SK", ID: fmt.Sprint("S", i)}},
			Locations: []documents.Location846{{Party: documents.Party{Entity: "WH", ID: code, Pos: pos + 1},
				Quantities: []documents.Quantity846{{Qualifier: "17", Quantity: "1", Pos: pos + 2}}}}})
	}
	res, err := New(p).Inventory846(doc, Source{Partner: "t", Interchange: "1", Group: "1", Transaction: "1", Received: received})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range res.Movements {
		got = append(got, m.SKU+"@"+m.Location)
	}
	want := "S0@dallas S1@dallas S3@dallas S4@reno S6@reno S7@dallas"
	if strings.Join(got, " ") != want {
		t.Errorf("movements %q, want %q", strings.Join(got, " "), want)
	}
	if len(res.Problems) != 2 || res.Problems[0].Value != "XXX" || res.Problems[1].Value != "XXX" {
		t.Errorf("problems %v, want the two XXX", res.Problems)
	}
}

// TestReleaseAfterPost posts an 846, releases it, and posts the next one
// mapped into the released movements, as the gateway does: what the
// ledger recorded of the first must not change (Post keeps no reference
// to the movements it is given).
func TestReleaseAfterPost(t *testing.T) {
	l, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	m := New(profile(t, benchProfile))
	docs, srcs := generate846(t, 2, 300, 0)
	var first []ledger.Movement
	for i, doc := range docs {
		res, err := m.Inventory846(doc, srcs[i])
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first, _ = snapshotOf(res)
		}
		pr, err := l.Post(ctx, res.Document())
		if err != nil || pr.Posted != 300 {
			t.Fatalf("set %d: posted %d, %v", i, pr.Posted, err)
		}
		res.Release()
	}
	for _, want := range []ledger.Movement{first[0], first[150], first[299]} {
		h, err := l.History(ctx, want.SKU, want.Location, ledger.HistoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 1 || h[0].SourceKey != want.SourceKey || h[0].Quantity != want.Quantity || h[0].Bucket != want.Bucket {
			t.Errorf("history of %s at %s: %+v, want the movement %s of %d", want.SKU, want.Location, h, want.SourceKey, want.Quantity)
		}
	}
}

// TestPoolDoneGetsEveryDocumentAfterItsMapping: Done is called once per
// document, after its result is complete; overwriting the document then
// changes nothing in the result (as a documents.Pool reusing its memory
// would).
func TestPoolDoneGetsEveryDocumentAfterItsMapping(t *testing.T) {
	p := profile(t, benchProfile)
	docs, srcs := generate846(t, 5, 300, 0)
	want := make([][]ledger.Movement, len(docs))
	for i, doc := range docs {
		res, err := New(p).Inventory846(doc, srcs[i])
		if err != nil {
			t.Fatal(err)
		}
		want[i], _ = snapshotOf(res)
	}
	for _, serial := range []bool{false, true} {
		docs, srcs := generate846(t, 5, 300, 0) // overwritten by the run before
		var mu sync.Mutex
		done := map[documents.Document]int{}
		pool := NewPool(2)
		if serial {
			pool = NewSerialPool()
		}
		pool.Done = func(d documents.Document) {
			inv := d.(*documents.Inventory846)
			for i := range inv.Items { // what reuse would do to it
				inv.Items[i] = documents.Item846{}
			}
			mu.Lock()
			done[d]++
			mu.Unlock()
		}
		for i, doc := range docs {
			pool.Submit(New(p), doc, srcs[i])
		}
		outs := pool.Wait()
		for i, doc := range docs {
			if done[doc] != 1 {
				t.Errorf("serial %v, document %d: Done called %d times", serial, i, done[doc])
			}
			if outs[i].Err != nil || !reflect.DeepEqual(outs[i].Result.Movements, want[i]) {
				t.Errorf("serial %v, document %d: result changed when the document was overwritten after Done (%v)", serial, i, outs[i].Err)
			}
		}
	}
}
