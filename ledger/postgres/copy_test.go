package postgres

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/ledger"
)

// t0 is the copy tests' reference time.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// at returns t0 plus h hours.
func at(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

// clock moves one second (and a few nanoseconds: recorded times are
// kept to the nanosecond) per reading.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second + 7)
	return c.now
}

var locations = []string{"dallas", "memphis", "reno"}

// mv builds a movement.
func mv(key string, kind ledger.Kind, sku, loc string, qty int64, eff time.Time, opts ...func(*ledger.Movement)) ledger.Movement {
	m := ledger.Movement{SourceKey: key, Kind: kind, SKU: sku, Location: loc, Quantity: qty, Effective: eff,
		Reference: ledger.Reference{Partner: "acme-3pl", DocumentType: "846", Interchange: "000000001", Line: 1}}
	for _, o := range opts {
		o(&m)
	}
	return m
}

// orderOf names the order (and its partner) of an allocation, release
// or shipment.
func orderOf(partner, order string) func(*ledger.Movement) {
	return func(m *ledger.Movement) { m.Reference.Partner, m.Reference.Order = partner, order }
}

// sourceDocuments are the documents of the source ledger: counts (846)
// of three locations and later ones of one bucket or another, a stale
// count, ship notices (856) with due dates and their receipts (944),
// orders' allocations (850) of two channels with the same order number,
// a warehouse's shipment (945) of a channel's order, releases,
// adjustments, damage, quarantine, a receipt that arrives after the
// count that included it, a position with hundreds of movements (its
// timeline spilled to blocks, and a late one merged into them), and one
// large document.
func sourceDocuments() []ledger.Document {
	var docs []ledger.Document
	add := func(key string, ms ...ledger.Movement) { docs = append(docs, ledger.Document{Key: key, Movements: ms}) }
	skus := []string{"A", "B", "C", "D", "E", "F", "G", "H"}
	var counts []ledger.Movement
	for _, loc := range locations {
		for i, sku := range skus {
			counts = append(counts, mv(fmt.Sprintf("846-1/%s/%s", loc, sku), ledger.KindSnapshot, sku, loc, int64(100+10*i), at(0)))
		}
	}
	add("846-1", counts...)
	add("856-1",
		mv("856-1/1", ledger.KindInTransit, "A", "dallas", 50, at(1), func(m *ledger.Movement) { m.Expected = at(48) }),
		mv("856-1/2", ledger.KindInTransit, "A", "dallas", 30, at(1), func(m *ledger.Movement) { m.Expected = at(72) }),
		mv("856-1/3", ledger.KindInTransit, "B", "dallas", 40, at(1), func(m *ledger.Movement) { m.Expected = at(48) }),
		mv("856-1/4", ledger.KindInTransit, "E", "reno", 20, at(1)))
	add("850-shopmart-1001",
		mv("850-s/1", ledger.KindAllocate, "A", "dallas", 5, at(2), orderOf("shopmart", "1001")),
		mv("850-s/2", ledger.KindAllocate, "B", "reno", 4, at(2), orderOf("shopmart", "1001")))
	add("850-amazon-1001",
		mv("850-a/1", ledger.KindAllocate, "A", "dallas", 7, at(2), orderOf("amazon", "1001")),
		mv("850-a/2", ledger.KindAllocate, "C", "memphis", 3, at(2), orderOf("amazon", "1001")))
	add("944-1", mv("944-1/1", ledger.KindReceipt, "A", "dallas", 45, at(3), func(m *ledger.Movement) {
		m.TakeInTransit, m.Expected = true, at(72)
	}))
	add("945-1", mv("945-1/1", ledger.KindShipment, "A", "dallas", 2, at(4), orderOf("acme-3pl", "1001"),
		func(m *ledger.Movement) { m.OrderPartner = "shopmart" }))
	add("release-1", mv("rel-1/1", ledger.KindRelease, "B", "reno", 1, at(5), orderOf("shopmart", "1001")))
	add("ops-1",
		mv("ops-1/1", ledger.KindAdjust, "C", "memphis", -1, at(5), func(m *ledger.Movement) { m.Reason = "cycle count" }),
		mv("ops-1/2", ledger.KindDamage, "D", "dallas", 2, at(5)),
		mv("ops-1/3", ledger.KindQuarantine, "E", "reno", 1, at(5)))
	add("846-2",
		mv("846-2/1", ledger.KindSnapshot, "A", "dallas", 150, at(24)),
		mv("846-2/2", ledger.KindSnapshot, "G", "reno", 60, at(24), func(m *ledger.Movement) {
			m.Bucket, m.Expected = ledger.BucketInTransit, at(96)
		}),
		mv("846-2/3", ledger.KindSnapshot, "H", "memphis", 9, at(24), func(m *ledger.Movement) { m.Bucket = ledger.BucketAllocated }),
		mv("846-2/4", ledger.KindSnapshot, "D", "dallas", 1, at(24), func(m *ledger.Movement) { m.Bucket = ledger.BucketDamaged }))
	add("846-old", mv("846-old/1", ledger.KindSnapshot, "A", "dallas", 999, at(12)))    // stale
	add("944-late", mv("944-late/1", ledger.KindReceipt, "A", "dallas", 5, at(20)))     // absorbed
	add("944-late-b", mv("944-late-b/1", ledger.KindReceipt, "B", "dallas", 5, at(20))) // no count of B after: applied
	for i := range 120 {
		eff := at(30 + float64(i))
		if i%17 == 5 {
			eff = at(26) // late: merged into the spilled blocks
		}
		add(fmt.Sprintf("flat-%03d", i),
			mv(fmt.Sprintf("flat-%03d/1", i), ledger.KindReceipt, "F", "memphis", int64(1+i%5), eff),
			mv(fmt.Sprintf("flat-%03d/2", i), ledger.KindShipment, "F", "memphis", 1, eff),
			mv(fmt.Sprintf("flat-%03d/3", i), ledger.KindAdjust, locations[i%3], "reno", int64(i%4-2), eff,
				func(m *ledger.Movement) { m.Reason = "recount" }))
	}
	var big []ledger.Movement
	for i := range 1000 {
		for _, loc := range locations {
			big = append(big, mv(fmt.Sprintf("big/%04d/%s", i, loc), ledger.KindReceipt, fmt.Sprintf("SKU-%04d", i), loc, int64(i%7+1), at(200)))
		}
	}
	add("big", big...)
	add("846-3", mv("846-3/1", ledger.KindSnapshot, "SKU-0007", "reno", 3, at(210)))
	return docs
}

// laterDocuments are posted to the source and to the copy after the
// copy: a stale count, a release and a shipment of copied allocations, a
// receipt of a copied ship notice, a receipt the copied count absorbs,
// an allocated count, and an allocation refused for want of stock.
func laterDocuments() []ledger.Document {
	return []ledger.Document{
		{Key: "846-old-2", Movements: []ledger.Movement{mv("846-old-2/1", ledger.KindSnapshot, "A", "dallas", 1, at(10))}},
		{Key: "release-2", Movements: []ledger.Movement{mv("rel-2/1", ledger.KindRelease, "A", "dallas", 4, at(300), orderOf("amazon", "1001"))}},
		{Key: "945-2", Movements: []ledger.Movement{mv("945-2/1", ledger.KindShipment, "A", "dallas", 10, at(300), orderOf("shopmart", "1001"))}},
		{Key: "944-2", Movements: []ledger.Movement{mv("944-2/1", ledger.KindReceipt, "B", "dallas", 25, at(300), func(m *ledger.Movement) {
			m.TakeInTransit, m.Expected = true, at(48)
		})}},
		{Key: "944-late-2", Movements: []ledger.Movement{mv("944-late-2/1", ledger.KindReceipt, "A", "dallas", 8, at(23))}},
		{Key: "846-4", Movements: []ledger.Movement{mv("846-4/1", ledger.KindSnapshot, "H", "memphis", 2, at(300), func(m *ledger.Movement) { m.Bucket = ledger.BucketAllocated })}},
		{Key: "850-big", Movements: []ledger.Movement{mv("850-big/1", ledger.KindAllocate, "C", "memphis", 10_000, at(300),
			orderOf("shopmart", "2002"), func(m *ledger.Movement) { m.RequireAvailable = true })}},
	}
}

// boltLedger builds the source ledger in dir from docs.
func boltLedger(t testing.TB, dir string, docs []ledger.Document) *ledger.Ledger {
	t.Helper()
	c := &clock{now: at(1000)}
	src, err := ledger.Open(filepath.Join(dir, "ledger.db"), &ledger.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	for _, d := range docs {
		if _, err := src.Post(context.Background(), d); err != nil {
			t.Fatalf("posting %s: %v", d.Key, err)
		}
	}
	return src
}

// TestCopyFromBbolt: every posting, movement, position, allocation and
// the change sequence are copied and verified; a second run copies
// nothing. The copy then behaves as the source: the same documents are
// duplicates (source keys came over), new postings continue the change
// sequence, and the same new documents do the same to both (copied
// snapshot times, in-transit schedules and allocations at work).
func TestCopyFromBbolt(t *testing.T) {
	ctx := context.Background()
	docs := sourceDocuments()
	src := boltLedger(t, t.TempDir(), docs)
	if err := src.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	srcSeq, _ := src.LastSeq(ctx)
	total := 0
	for _, d := range docs {
		total += len(d.Movements)
	}
	pool := migrated(t)
	dst := node(t, pool, false, &Options{Now: (&clock{now: at(5000)}).Now})
	chunks := 0
	r, err := copyFrom(ctx, src, dst, copyOptions{chunk: 100, afterChunk: func(uint64) { chunks++ }})
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != total || r.Copied != total || r.Present != 0 || r.Verified != total {
		t.Errorf("first run: %v; want %d movements", r, total)
	}
	if chunks < 5 {
		t.Errorf("%d chunks of at most 100 movements (and the large document alone)", chunks)
	}
	if r, err = CopyFrom(ctx, src, dst); err != nil || r.Copied != 0 || r.Present != total || r.Verified != total {
		t.Errorf("second run: %v %v", r, err)
	}
	if seq, err := dst.LastSeq(ctx); err != nil || seq != srcSeq {
		t.Errorf("change sequence of the copy %d %v, the source's %d", seq, err, srcSeq)
	}

	// The same documents again: duplicates, nothing posted.
	for _, d := range docs {
		res, err := dst.Post(ctx, d)
		if err != nil || res.Seq != 0 || len(res.Duplicates) != len(d.Movements) {
			t.Fatalf("%s posted again to the copy: %+v %v", d.Key, res, err)
		}
	}
	// New documents, to both: the same results, sequence numbers after
	// the source's.
	results := map[string]string{}
	for i, d := range laterDocuments() {
		want, werr := src.Post(ctx, d)
		got, gerr := dst.Post(ctx, d)
		if !errors.Is(gerr, errorsSentinel(werr)) || (werr == nil) != (gerr == nil) {
			t.Fatalf("%s: the copy says %v, the source %v", d.Key, gerr, werr)
		}
		want.Recorded, got.Recorded = time.Time{}, time.Time{}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: the copy %+v, the source %+v", d.Key, got, want)
		}
		if werr == nil && want.Seq != srcSeq+uint64(i)+1 {
			t.Errorf("%s: sequence number %d, want %d", d.Key, want.Seq, srcSeq+uint64(i)+1)
		}
		results[d.Key] = fmt.Sprint(len(got.Stale), len(got.Absorbed), errorsSentinel(gerr))
	}
	// The documents take the paths they are meant to: the copied
	// snapshot times at work, the copied allocations and stock.
	for key, want := range map[string]string{"846-old-2": "1 0 <nil>", "944-late-2": "0 1 <nil>", "release-2": "0 0 <nil>",
		"850-big": "0 0 " + ledger.ErrInsufficient.Error()} {
		if results[key] != want {
			t.Errorf("%s: stale, absorbed, error: %s, want %s", key, results[key], want)
		}
	}
	want, err := src.Balances(ctx, ledger.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := dst.Balances(ctx, ledger.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(want) < 3*8+3*1000 {
		t.Fatalf("%d balances in the copy, %d in the source", len(got), len(want))
	}
	for i := range want {
		if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
			t.Errorf("balance: the copy %+v, the source %+v", got[i], want[i])
		}
	}
	for _, p := range []ledger.Position{{SKU: "A", Location: "dallas"}, {SKU: "F", Location: "memphis"}, {SKU: "H", Location: "memphis"}} {
		wh, err := src.History(ctx, p.SKU, p.Location, ledger.HistoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		gh, err := dst.History(ctx, p.SKU, p.Location, ledger.HistoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(gh) != len(wh) {
			t.Fatalf("history of %v: %d movements in the copy, %d in the source", p, len(gh), len(wh))
		}
		for i := range wh {
			wh[i].Recorded, gh[i].Recorded = time.Time{}, time.Time{}
			if d := diffMovement(&gh[i], &wh[i]); d != "" {
				t.Errorf("history of %v, movement %d: %s", p, wh[i].ID, d)
			}
		}
		for _, h := range []float64{0, 20, 24, 25, 50, 1000} {
			wb, _ := src.BalanceAsOf(ctx, p.SKU, p.Location, at(h))
			gb, err := dst.BalanceAsOf(ctx, p.SKU, p.Location, at(h))
			if err != nil || gb.Quantities != wb.Quantities {
				t.Errorf("%v as of %v h: the copy %+v %v, the source %+v", p, h, gb.Quantities, err, wb.Quantities)
			}
		}
	}
}

// errorsSentinel returns the ledger sentinel err wraps, or err.
func errorsSentinel(err error) error {
	var me *ledger.MovementError
	if errors.As(err, &me) {
		return me.Err
	}
	return err
}

// TestCopyFromContinues: a copy interrupted between two chunks (its
// context canceled) leaves whole postings and a change sequence at zero,
// so nothing can be posted to it; the next run copies the rest and
// verifies all.
func TestCopyFromContinues(t *testing.T) {
	ctx := context.Background()
	docs := sourceDocuments()
	src := boltLedger(t, t.TempDir(), docs)
	total := 0
	for _, d := range docs {
		total += len(d.Movements)
	}
	pool := migrated(t)
	dst := node(t, pool, false, &Options{ForCopy: true})
	cctx, cancel := context.WithCancel(ctx)
	var stoppedAt uint64
	_, err := copyFrom(cctx, src, dst, copyOptions{chunk: 100, afterChunk: func(seq uint64) {
		if stoppedAt == 0 && seq > 20 {
			stoppedAt = seq
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted copy: %v", err)
	}
	var maxSeq, head, movements int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT max(seq) FROM ledger_postings), (SELECT seq FROM ledger_head),
		(SELECT count(*) FROM ledger_movements)`).Scan(&maxSeq, &head, &movements); err != nil {
		t.Fatal(err)
	}
	if uint64(maxSeq) != stoppedAt || head != 0 {
		t.Errorf("after the interruption: postings up to %d, change sequence %d; want %d and 0", maxSeq, head, stoppedAt)
	}
	// Half copied: a gateway cannot open it, and nothing can be posted.
	if s, err := Open(ctx, pool, nil); !errors.Is(err, ErrCopyUnfinished) {
		if err == nil {
			s.Close()
		}
		t.Errorf("opening a half-copied ledger: %v", err)
	}
	if _, err := dst.Post(ctx, ledger.Document{Key: "x", Movements: []ledger.Movement{mv("x/1", ledger.KindReceipt, "A", "dallas", 1, at(1))}}); err == nil {
		t.Error("posted to a half-copied ledger")
	}
	r, err := copyFrom(ctx, src, dst, copyOptions{chunk: 100})
	if err != nil {
		t.Fatal(err)
	}
	if r.Present != int(movements) || r.Copied != total-int(movements) || r.Verified != total {
		t.Errorf("continued: %v; %d were copied before", r, movements)
	}
	if r, err = CopyFrom(ctx, src, dst); err != nil || r.Copied != 0 || r.Verified != total {
		t.Errorf("third run: %v %v", r, err)
	}
}

// TestCopyFromRefuses: a ledger in PostgreSQL with postings of its own
// is not copied into, nor one that has gone on after a copy; a copy that
// differs from its source is reported with the place of the first
// difference.
func TestCopyFromRefuses(t *testing.T) {
	ctx := context.Background()
	src := boltLedger(t, t.TempDir(), sourceDocuments()[:12])

	other := node(t, migrated(t), false, nil)
	if _, err := other.Post(ctx, ledger.Document{Key: "own", Movements: []ledger.Movement{mv("own/1", ledger.KindReceipt, "A", "dallas", 1, at(1))}}); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, other); !errors.Is(err, pgstore.ErrCopyMismatch) || !strings.Contains(err.Error(), "posting 1") {
		t.Errorf("into a ledger with its own postings: %v", err)
	}
	if n, _ := other.LastSeq(ctx); n != 1 {
		t.Errorf("the other ledger's sequence is %d after the refusal", n)
	}

	pool := migrated(t)
	dst := node(t, pool, false, nil)
	if _, err := CopyFrom(ctx, src, dst); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, tamper, undo, want string
	}{
		{"balance", `UPDATE ledger_positions SET on_hand = on_hand + 1 WHERE sku = 'C' AND location = 'memphis'`,
			`UPDATE ledger_positions SET on_hand = on_hand - 1 WHERE sku = 'C' AND location = 'memphis'`, `position "C" at "memphis": balance`},
		{"allocation", `UPDATE ledger_allocations SET quantity = quantity + 1 WHERE order_no = 'amazon' || chr(31) || '1001' AND quantity = 7`,
			`UPDATE ledger_allocations SET quantity = quantity - 1 WHERE order_no = 'amazon' || chr(31) || '1001' AND quantity = 8`, `allocation of order "amazon\x1f1001"`},
		{"movement", `UPDATE ledger_movements SET quantity = 6 WHERE source_key = 'ops-1/2'`,
			`UPDATE ledger_movements SET quantity = 2 WHERE source_key = 'ops-1/2'`, `(source key "ops-1/2", D at dallas): quantity`},
		{"snapshot time", `UPDATE ledger_positions SET extra = '\x040000'::bytea WHERE sku = 'H' AND location = 'memphis'`, ``, `position "H" at "memphis": newest snapshot of`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var undo string
			if tc.undo == "" {
				if err := pool.QueryRow(ctx, `SELECT encode(extra, 'hex') FROM ledger_positions WHERE sku = 'H' AND location = 'memphis'`).Scan(&undo); err != nil {
					t.Fatal(err)
				}
				undo = `UPDATE ledger_positions SET extra = decode('` + undo + `', 'hex') WHERE sku = 'H' AND location = 'memphis'`
			} else {
				undo = tc.undo
			}
			if tag, err := pool.Exec(ctx, tc.tamper); err != nil || tag.RowsAffected() != 1 {
				t.Fatalf("tampering: %v %v", tag, err)
			}
			defer pool.Exec(ctx, undo)
			_, err := CopyFrom(ctx, src, dst)
			if !errors.Is(err, pgstore.ErrCopyMismatch) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want the mismatch %q", err, tc.want)
			}
		})
	}
	if _, err := CopyFrom(ctx, src, dst); err != nil {
		t.Fatalf("after undoing: %v", err)
	}
	// The copy has gone on (a node posted): not copied into again.
	if _, err := dst.Post(ctx, ledger.Document{Key: "new", Movements: []ledger.Movement{mv("new/1", ledger.KindReceipt, "A", "dallas", 1, at(1))}}); err != nil {
		t.Fatal(err)
	}
	if _, err := CopyFrom(ctx, src, dst); !errors.Is(err, pgstore.ErrCopyMismatch) || !strings.Contains(err.Error(), "postings after the source's last") {
		t.Errorf("a copy that has gone on: %v", err)
	}
}

// TestCopyFromSourceWentOn: a source that posted more after a complete
// copy (no node has posted to the copy) is copied on from where the copy
// ended, and the copy's positions and allocations follow.
func TestCopyFromSourceWentOn(t *testing.T) {
	ctx := context.Background()
	docs := sourceDocuments()
	src := boltLedger(t, t.TempDir(), docs[:10])
	dst := node(t, migrated(t), false, nil)
	first, err := CopyFrom(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range append(docs[10:], laterDocuments()...) {
		if _, err := src.Post(ctx, d); err != nil && !errors.Is(err, ledger.ErrInsufficient) {
			t.Fatal(err)
		}
	}
	r, err := CopyFrom(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if r.Present != first.Source || r.Copied != r.Source-first.Source || r.Verified != r.Source {
		t.Errorf("copying on: %v after %v", r, first)
	}
	want, _ := src.Balance(ctx, "A", "dallas")
	got, err := dst.Balance(ctx, "A", "dallas")
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("A at dallas: the copy %+v %v, the source %+v", got, err, want)
	}
}

// TestCopyFromSchema2File: a ledger file of the previous layout
// (ledger/testdata/schema2.db.gz, upgraded when opened), with allocations
// kept by order number alone, is copied as it is and verified.
func TestCopyFromSchema2File(t *testing.T) {
	ctx := context.Background()
	f, err := os.Open("../testdata/schema2.db.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ledger.db")
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := ledger.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pool := migrated(t)
	r, err := CopyFrom(ctx, src, node(t, pool, false, nil))
	if err != nil || r.Copied == 0 || r.Verified != r.Source {
		t.Fatalf("%v %v", r, err)
	}
	var legacy int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM ledger_allocations WHERE order_no <> '' AND strpos(order_no, chr(31)) = 0`).Scan(&legacy); err != nil || legacy == 0 {
		t.Errorf("%d allocations by order number alone copied (%v); the file holds some", legacy, err)
	}
}
