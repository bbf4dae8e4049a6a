package stream_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/ledger"
)

// openLedger opens a ledger in a temp folder, closed when t ends.
func openLedger(t testing.TB) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// openCursors opens a bbolt cursor store in a temp folder.
func openCursors(t testing.TB) *stream.BoltCursors {
	t.Helper()
	s, err := stream.OpenBoltCursors(filepath.Join(t.TempDir(), "cursors.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var skus = []string{"SKU-1", "SKU-2", "SKU.3"}
var locs = []string{"DAL", "ATL"}

// postRandom posts n documents of 1 to 3 random movements (receipts,
// shipments, adjustments, allocations, snapshots) with keys prefix-i.
func postRandom(t testing.TB, l *ledger.Ledger, rng *rand.Rand, prefix string, n int) {
	t.Helper()
	for i := range n {
		var ms []ledger.Movement
		for j := range 1 + rng.IntN(3) {
			m := ledger.Movement{
				SourceKey: fmt.Sprintf("%s-%d-%d", prefix, i, j),
				SKU:       skus[rng.IntN(len(skus))], Location: locs[rng.IntN(len(locs))],
				Quantity: int64(1 + rng.IntN(20)),
			}
			switch rng.IntN(5) {
			case 0, 1:
				m.Kind = ledger.KindReceipt
			case 2:
				m.Kind = ledger.KindShipment
			case 3:
				m.Kind, m.Reason, m.Quantity = ledger.KindAdjust, "count", m.Quantity-10
			case 4:
				m.Kind = ledger.KindSnapshot
			}
			ms = append(ms, m)
		}
		if _, err := l.Post(context.Background(), ledger.Document{Key: fmt.Sprintf("%s-%d", prefix, i), Movements: ms}); err != nil {
			t.Fatal(err)
		}
	}
}

// collector is a Sink that keeps what it is given.
type collector struct {
	mu     sync.Mutex
	events []stream.Event
	calls  int
	// fail, when set, is asked before each call how many events to
	// confirm and with what error.
	fail func(call int, evs []stream.Event) (int, error)
}

func (c *collector) Deliver(ctx context.Context, evs []stream.Event) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	n, err := len(evs), error(nil)
	if c.fail != nil {
		n, err = c.fail(c.calls, evs)
	}
	c.events = append(c.events, evs[:n]...)
	return n, err
}

func (c *collector) got() []stream.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

// waitFor fails t if cond is not true within 30 s (a deadlock guard, not
// a timing assertion).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// run starts the relay and returns a function that stops it and returns
// Run's error.
func run(t testing.TB, r *stream.Relay) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// allEvents reads every change of l as a consumer should see it: the
// movements in order, with balances worked out by adding deltas.
func allEvents(t testing.TB, l *ledger.Ledger) []stream.Event {
	t.Helper()
	changes, err := l.ChangesSince(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	bal := map[ledger.Position]stream.Figures{}
	var out []stream.Event
	for _, ch := range changes {
		for i, m := range ch.Movements {
			p := ledger.Position{SKU: m.SKU, Location: m.Location}
			f := bal[p]
			f.OnHand += m.Delta.OnHand
			f.Allocated += m.Delta.Allocated
			f.InTransit += m.Delta.InTransit
			f.Damaged += m.Delta.Damaged
			f.Quarantined += m.Delta.Quarantined
			f.Available = f.OnHand - f.Allocated - f.Damaged - f.Quarantined
			bal[p] = f
			out = append(out, stream.Event{ID: stream.EventID(ch.Seq, i), Data: stream.Data{Change: ch.Seq, Index: i, Sequence: m.ID, SKU: m.SKU, Location: m.Location, Balance: f}})
		}
	}
	return out
}

// checkEvents compares delivered events, deduplicated by id, with want:
// same ids in the same order, same balances after each.
func checkEvents(t testing.TB, got, want []stream.Event) {
	t.Helper()
	seen := map[string]bool{}
	var dedup []stream.Event
	for _, e := range got {
		if !seen[e.ID] {
			seen[e.ID] = true
			dedup = append(dedup, e)
		}
	}
	if len(dedup) != len(want) {
		t.Fatalf("delivered %d distinct events, want %d", len(dedup), len(want))
	}
	for i := range want {
		g, w := dedup[i], want[i]
		if g.ID != w.ID || g.Data.Balance != w.Data.Balance || g.Data.Sequence != w.Data.Sequence || g.Data.SKU != w.Data.SKU || g.Data.Location != w.Data.Location {
			t.Fatalf("event %d: got %s %s/%s seq %d balance %+v; want %s %s/%s seq %d balance %+v", i,
				g.ID, g.Data.Location, g.Data.SKU, g.Data.Sequence, g.Data.Balance, w.ID, w.Data.Location, w.Data.SKU, w.Data.Sequence, w.Data.Balance)
		}
	}
	// Delivered in order: an event before one delivered earlier is a
	// repeat (a redelivery), never a first delivery.
	before := map[string]bool{}
	var top stream.Event
	for _, e := range got {
		if e.Before(top.Position()) && !before[e.ID] {
			t.Fatalf("event %s first delivered after %s", e.ID, top.ID)
		}
		before[e.ID] = true
		if !e.Before(top.Position()) {
			top = e
		}
	}
}

func TestRelayOrderAndFigures(t *testing.T) {
	for _, tc := range []struct {
		name        string
		readChanges int
		maxBatch    int
	}{
		{"defaults", 0, 0},
		{"small reads", 3, 2}, // a behind relay reads balances ahead of itself
		{"one at a time", 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := openLedger(t)
			rng := rand.New(rand.NewPCG(1, 2))
			postRandom(t, l, rng, "before", 40)
			sink := &collector{fail: func(_ int, evs []stream.Event) (int, error) {
				if tc.maxBatch > 0 && len(evs) > tc.maxBatch {
					t.Errorf("Deliver got %d events, MaxBatch is %d", len(evs), tc.maxBatch)
				}
				return len(evs), nil
			}}
			r, err := stream.NewRelay("test", l, openCursors(t), sink, stream.Options{FromStart: true, ReadChanges: tc.readChanges, MaxBatch: tc.maxBatch})
			if err != nil {
				t.Fatal(err)
			}
			stop := run(t, r)
			// Posting while the relay reads: balances move under it.
			postRandom(t, l, rng, "during", 40)
			want := allEvents(t, l)
			waitFor(t, "every event", func() bool { return len(sink.got()) >= len(want) })
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			checkEvents(t, sink.got(), want)
			if n := len(sink.got()); n != len(want) {
				t.Errorf("delivered %d events, want %d (no failure, no duplicate)", n, len(want))
			}
			// The last balance of each position is the ledger's.
			last := map[ledger.Position]stream.Figures{}
			for _, e := range sink.got() {
				last[ledger.Position{SKU: e.Data.SKU, Location: e.Data.Location}] = e.Data.Balance
			}
			for p, f := range last {
				b, err := l.Balance(context.Background(), p.SKU, p.Location)
				if err != nil {
					t.Fatal(err)
				}
				if f.OnHand != b.OnHand || f.Allocated != b.Allocated || f.Available != b.Available() {
					t.Errorf("%v: last event says %+v, ledger %+v", p, f, b)
				}
			}
			st := r.Status()
			if st.Confirmed != want[len(want)-1].Data.Change || st.Delivered != uint64(len(want)) {
				t.Errorf("status %+v", st)
			}
		})
	}
}

func TestRelayEventModel(t *testing.T) {
	l := openLedger(t)
	ctx := context.Background()
	eff := time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC)
	if _, err := l.Post(ctx, ledger.Document{Key: "doc-1", Movements: []ledger.Movement{
		{SourceKey: "k1", SKU: "SKU-1", Location: "DAL", Kind: ledger.KindReceipt, Quantity: 10, Effective: eff, Reference: ledger.Reference{Partner: "acme", DocumentType: "944"}},
		{SourceKey: "k2", SKU: "SKU-1", Location: "DAL", Kind: ledger.KindAllocate, Quantity: 4, Reference: ledger.Reference{Order: "SO-1"}},
	}}); err != nil {
		t.Fatal(err)
	}
	sink := &collector{}
	r, err := stream.NewRelay("model", l, openCursors(t), sink, stream.Options{FromStart: true, Source: "urn:test"})
	if err != nil {
		t.Fatal(err)
	}
	run(t, r)
	waitFor(t, "two events", func() bool { return len(sink.got()) == 2 })
	got := sink.got()
	e := got[1]
	if e.ID != "1-1" || e.Source != "urn:test" || e.Type != "dockside.ledger.allocate" || e.Subject != "DAL/SKU-1" || e.SpecVersion != "1.0" ||
		e.Data.Change != 1 || e.Data.Index != 1 || e.Data.Count != 2 || e.Data.Order != "SO-1" || e.Data.Document != "doc-1" ||
		e.Data.Delta != (stream.Figures{Allocated: 4, Available: -4}) ||
		e.Data.Balance != (stream.Figures{OnHand: 10, Allocated: 4, Available: 6}) || e.Data.Sequence <= got[0].Data.Sequence {
		t.Errorf("allocation event %+v", e)
	}
	if d := got[0].Data; d.Partner != "acme" || d.DocumentType != "944" || !d.Effective.Equal(eff) || d.Balance.OnHand != 10 {
		t.Errorf("receipt event %+v", got[0])
	}
	b, err := got[1].Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := stream.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != e.ID || back.Data.Balance != e.Data.Balance || !back.Time.Equal(e.Time) {
		t.Errorf("read back %+v from %s", back, b)
	}
	for _, bad := range []string{`{}`, `{"specversion":"1.0","type":"dockside.ledger.receipt","id":"2-0","data":{"change":1}}`, `[`} {
		if _, err := stream.Unmarshal([]byte(bad)); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", bad)
		}
	}
}

func TestRelayResumesFromCursor(t *testing.T) {
	l := openLedger(t)
	cursors := openCursors(t)
	rng := rand.New(rand.NewPCG(3, 4))
	postRandom(t, l, rng, "a", 30)
	want := allEvents(t, l)
	// The first run's sink stops the relay after 25 events: it has
	// confirmed 25, the cursor stays at the last whole posting.
	first := &collector{}
	var confirmed int
	first.fail = func(call int, evs []stream.Event) (int, error) {
		if confirmed+len(evs) <= 25 {
			confirmed += len(evs)
			return len(evs), nil
		}
		n := 25 - confirmed
		confirmed = 25
		return n, fmt.Errorf("%w: gone for now", stream.ErrStop)
	}
	r1, err := stream.NewRelay("sub", l, cursors, first, stream.Options{FromStart: true, MaxBatch: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := r1.Run(context.Background()); !errors.Is(err, stream.ErrStop) {
		t.Fatalf("Run = %v, want ErrStop", err)
	}
	cur, err := cursors.Cursor(context.Background(), "sub")
	if err != nil {
		t.Fatal(err)
	}
	if want[24].Data.Change == want[25].Data.Change {
		if cur != want[25].Data.Change-1 {
			t.Errorf("cursor %d after a partial posting, want %d", cur, want[25].Data.Change-1)
		}
	} else if cur != want[24].Data.Change {
		t.Errorf("cursor %d, want %d", cur, want[24].Data.Change)
	}
	// The subscriber was down while more was posted; a new relay (a
	// restart) catches up from the cursor.
	postRandom(t, l, rng, "b", 30)
	want = allEvents(t, l)
	second := &collector{}
	r2, err := stream.NewRelay("sub", l, cursors, second, stream.Options{FromStart: true})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, r2)
	waitFor(t, "the rest", func() bool {
		g := second.got()
		return len(g) > 0 && g[len(g)-1].ID == want[len(want)-1].ID
	})
	stop()
	resumed := second.got()
	if resumed[0].Data.Change != cur+1 || resumed[0].Data.Index != 0 {
		t.Errorf("resumed at %s, want the first event of posting %d", resumed[0].ID, cur+1)
	}
	checkEvents(t, append(first.got(), resumed...), want)
}

func TestRelayRetriesFailingSink(t *testing.T) {
	l := openLedger(t)
	postRandom(t, l, rand.New(rand.NewPCG(5, 6)), "a", 20)
	want := allEvents(t, l)
	// Every other call confirms part of its batch and fails.
	var failed atomic.Uint64
	sink := &collector{fail: func(call int, evs []stream.Event) (int, error) {
		if call%2 == 1 {
			failed.Add(1)
			return len(evs) / 2, errors.New("connection reset")
		}
		return len(evs), nil
	}}
	r, err := stream.NewRelay("flaky", l, openCursors(t), sink, stream.Options{FromStart: true, MaxBatch: 5,
		Backoff: func(int) time.Duration { return time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, r)
	waitFor(t, "every event", func() bool { return len(sink.got()) >= len(want) })
	stop()
	got := sink.got()
	checkEvents(t, got, want)
	if len(got) != len(want) {
		t.Errorf("delivered %d events, want %d: what a sink confirmed is not delivered again", len(got), len(want))
	}
	if st := r.Status(); st.LastError == "" || st.Delivered != uint64(len(want)) || st.Failed == 0 || st.Failed != failed.Load() || st.Failures != 0 {
		t.Errorf("status %+v, want %d failures in all, none in a row", st, failed.Load())
	}
}

func TestRelaySlowSinkDoesNotHoldBackOthers(t *testing.T) {
	l := openLedger(t)
	cursors := openCursors(t)
	release := make(chan struct{})
	slow := stream.SinkFunc(func(ctx context.Context, evs []stream.Event) (int, error) {
		select {
		case <-release:
			return len(evs), nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	})
	fast := &collector{}
	rs, err := stream.NewRelay("slow", l, cursors, slow, stream.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rf, err := stream.NewRelay("fast", l, cursors, fast, stream.Options{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, rs)
	run(t, rf)
	waitFor(t, "both relays to start", func() bool { return rs.Status().Running && rf.Status().Running })
	postRandom(t, l, rand.New(rand.NewPCG(7, 8)), "a", 50)
	want := allEvents(t, l)
	waitFor(t, "the fast subscriber's events", func() bool { return len(fast.got()) == len(want) })
	checkEvents(t, fast.got(), want)
	if st := rs.Status(); st.Delivered != 0 {
		t.Errorf("slow sink delivered %d", st.Delivered)
	}
	close(release)
	waitFor(t, "the slow subscriber", func() bool { return rs.Status().Delivered == uint64(len(want)) })
}

func TestRelayWakesOnCommit(t *testing.T) {
	l := openLedger(t)
	sink := &collector{}
	// Poll once an hour: only a commit can wake the relay in time.
	r, err := stream.NewRelay("wake", l, openCursors(t), sink, stream.Options{Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	run(t, r)
	waitFor(t, "the relay to start", func() bool { return r.Status().Running })
	for i := range 3 {
		postRandom(t, l, rand.New(rand.NewPCG(9, uint64(i))), fmt.Sprint("w", i), 1)
		want := allEvents(t, l)
		waitFor(t, "the event of a commit", func() bool { return len(sink.got()) == len(want) })
	}
}

func TestRelayStartsAtEndAndFilters(t *testing.T) {
	l := openLedger(t)
	cursors := openCursors(t)
	rng := rand.New(rand.NewPCG(10, 11))
	postRandom(t, l, rng, "old", 10)
	last, _ := l.LastSeq(context.Background())
	sink := &collector{}
	r, err := stream.NewRelay("dal", l, cursors, sink, stream.Options{Filter: func(e *stream.Event) bool { return e.Data.Location == "DAL" }})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, r)
	waitFor(t, "the starting cursor", func() bool { c, err := cursors.Cursor(context.Background(), "dal"); return err == nil && c == last })
	postRandom(t, l, rng, "new", 30)
	var want []stream.Event
	for _, e := range allEvents(t, l) {
		if e.Data.Change > last && e.Data.Location == "DAL" {
			want = append(want, e)
		}
	}
	end, _ := l.LastSeq(context.Background())
	waitFor(t, "the cursor past the last posting", func() bool { c, _ := cursors.Cursor(context.Background(), "dal"); return c == end })
	stop()
	checkEvents(t, sink.got(), want)
}

// TestRelayLargePosting: a posting larger than a batch is delivered in
// batches, in order; while part of it is confirmed the cursor stays
// before it, and a restart delivers it again from its first event.
func TestRelayLargePosting(t *testing.T) {
	l := openLedger(t)
	cursors := openCursors(t)
	ms := make([]ledger.Movement, 2500)
	for i := range ms {
		ms[i] = ledger.Movement{SourceKey: fmt.Sprint("big-", i), SKU: fmt.Sprintf("SKU-%d", i%7), Location: "DAL", Kind: ledger.KindReceipt, Quantity: 1}
	}
	postRandom(t, l, rand.New(rand.NewPCG(30, 31)), "small", 3)
	if _, err := l.Post(context.Background(), ledger.Document{Key: "big", Movements: ms}); err != nil {
		t.Fatal(err)
	}
	want := allEvents(t, l)
	bigSeq := want[len(want)-1].Data.Change
	var calls []int
	stopAt := 0
	sink := &collector{fail: func(call int, evs []stream.Event) (int, error) {
		calls = append(calls, len(evs))
		if len(calls) == 3 { // part of the big posting is in
			stopAt = len(evs) / 2
			return stopAt, fmt.Errorf("%w: enough", stream.ErrStop)
		}
		return len(evs), nil
	}}
	r, err := stream.NewRelay("big", l, cursors, sink, stream.Options{FromStart: true, MaxBatch: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); !errors.Is(err, stream.ErrStop) {
		t.Fatalf("Run = %v", err)
	}
	for _, n := range calls {
		if n > 1000 {
			t.Errorf("a batch of %d events", n)
		}
	}
	if c, _ := cursors.Cursor(context.Background(), "big"); c != bigSeq-1 {
		t.Errorf("cursor %d while the big posting is partly confirmed, want %d", c, bigSeq-1)
	}
	rest := &collector{}
	r2, err := stream.NewRelay("big", l, cursors, rest, stream.Options{MaxBatch: 1000})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, r2)
	waitFor(t, "the big posting", func() bool { return len(rest.got()) >= 2500 })
	stop()
	if g := rest.got(); g[0].ID != stream.EventID(bigSeq, 0) || len(g) != 2500 {
		t.Errorf("after the restart: %d events from %s, want 2500 from %s", len(g), g[0].ID, stream.EventID(bigSeq, 0))
	}
	checkEvents(t, append(sink.got(), rest.got()...), want)
	if c, _ := cursors.Cursor(context.Background(), "big"); c != bigSeq {
		t.Errorf("cursor %d, want %d", c, bigSeq)
	}
}

// TestRelayStaleAndAbsorbed: a count, a receipt it already counted and
// an older count go out flagged, with the figures the ledger kept.
func TestRelayStaleAndAbsorbed(t *testing.T) {
	l := openLedger(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	post := func(key string, m ledger.Movement) {
		t.Helper()
		m.SourceKey, m.SKU, m.Location = key, "SKU-1", "DAL"
		if _, err := l.Post(ctx, ledger.Document{Key: key, Movements: []ledger.Movement{m}}); err != nil {
			t.Fatal(err)
		}
	}
	post("count", ledger.Movement{Kind: ledger.KindSnapshot, Quantity: 50, Effective: t0.Add(2 * time.Hour)})
	post("late-receipt", ledger.Movement{Kind: ledger.KindReceipt, Quantity: 5, Effective: t0.Add(time.Hour)})
	post("old-count", ledger.Movement{Kind: ledger.KindSnapshot, Quantity: 10, Effective: t0})
	post("expected", ledger.Movement{Kind: ledger.KindInTransit, Quantity: 7, Expected: t0.Add(48 * time.Hour)})
	sink := &collector{}
	r, err := stream.NewRelay("flags", l, openCursors(t), sink, stream.Options{FromStart: true})
	if err != nil {
		t.Fatal(err)
	}
	run(t, r)
	waitFor(t, "four events", func() bool { return len(sink.got()) == 4 })
	got := sink.got()
	for i, want := range []struct {
		kind, bucket      string
		stale, absorbed   bool
		onHand, inTransit int64
	}{
		{"snapshot", "on_hand", false, false, 50, 0},
		{"receipt", "", false, true, 50, 0},
		{"snapshot", "on_hand", true, false, 50, 0},
		{"in_transit", "", false, false, 50, 7},
	} {
		d := got[i].Data
		if d.Kind != want.kind || d.Bucket != want.bucket || d.Stale != want.stale || d.Absorbed != want.absorbed ||
			d.Balance.OnHand != want.onHand || d.Balance.InTransit != want.inTransit {
			t.Errorf("event %d: %+v, want %+v", i, d, want)
		}
	}
	if e := got[3].Data.Expected; e == nil || !e.Equal(t0.Add(48*time.Hour)) {
		t.Errorf("expected %v", e)
	}
	if got[2].Data.Delta != (stream.Figures{}) || got[1].Data.Delta.OnHand != 0 {
		t.Errorf("deltas %+v, %+v", got[1].Data.Delta, got[2].Data.Delta)
	}
}
