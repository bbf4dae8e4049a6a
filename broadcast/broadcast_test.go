package broadcast

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/partners"
	"github.com/dockside-edi/dockside/specs"
)

// fakeClock is a clock whose time moves only when the test says.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	return ch
}

// Advance moves time forward step by step, firing the timers it passes.
func (c *fakeClock) Advance(d time.Duration) {
	end := c.Now().Add(d)
	for {
		c.mu.Lock()
		var next *waiter
		for i := range c.waiters {
			if !c.waiters[i].at.After(end) && (next == nil || c.waiters[i].at.Before(next.at)) {
				next = &c.waiters[i]
			}
		}
		if next == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		c.now = next.at
		next.ch <- c.now
		at := next.at
		kept := c.waiters[:0]
		for _, w := range c.waiters {
			if w.ch != next.ch {
				kept = append(kept, w)
			}
		}
		c.waiters = kept
		c.mu.Unlock()
		_ = at
		// Let the loop that was woken react and wait again before the next
		// timer (on a loaded machine this can take a while).
		time.Sleep(5 * time.Millisecond)
		c.awaitWaiter(time.Second)
	}
}

// awaitWaiter waits until some goroutine waits on the clock, or for limit.
func (c *fakeClock) awaitWaiter(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		n := len(c.waiters)
		c.mu.Unlock()
		if n > 0 {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestScheduleFiresOnTimeAndNeverOverlaps(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 26, 10, 0, 30, 0, time.UTC))
	every5, _ := ParseSchedule("*/5 * * * *")
	release := make(chan struct{})
	var mu sync.Mutex
	var starts []time.Time
	panics := 0
	jobs := []Job{
		{Name: "slow", Schedule: every5, Run: func(ctx context.Context) error {
			mu.Lock()
			starts = append(starts, clock.Now())
			first := len(starts) == 1
			mu.Unlock()
			if first {
				<-release // the first run outlasts the next tick
			}
			return nil
		}},
		{Name: "crashy", Schedule: every5, Run: func(ctx context.Context) error {
			mu.Lock()
			panics++
			mu.Unlock()
			panic("boom")
		}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s := &Scheduler{Clock: clock}
	go func() { s.Run(ctx, jobs); close(done) }()
	clock.awaitWaiter(10 * time.Second)
	clock.Advance(4 * time.Minute) // 10:04:30: nothing due yet
	mu.Lock()
	if len(starts) != 0 {
		t.Fatalf("ran before 10:05: %v", starts)
	}
	mu.Unlock()
	clock.Advance(time.Minute) // 10:05:30: first run, still going at 10:10
	clock.Advance(5 * time.Minute)
	close(release)
	time.Sleep(20 * time.Millisecond)
	clock.Advance(5 * time.Minute) // 10:15: runs again
	time.Sleep(20 * time.Millisecond)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	want := []string{"10:05", "10:15"}
	if len(starts) != len(want) {
		t.Fatalf("runs at %v, want %v", starts, want)
	}
	for i, s := range starts {
		if s.Format("15:04") != want[i] {
			t.Errorf("run %d at %s, want %s", i, s.Format("15:04"), want[i])
		}
	}
	if panics != 3 {
		t.Errorf("the panicking job ran %d times, want 3 (a panic must not stop the scheduler)", panics)
	}
}

// fixture is a ledger, an outbox and a broadcaster for the example
// channel, Shopmart.
type fixture struct {
	b      *Broadcaster
	l      *ledger.Ledger
	o      *outbox.Store
	clock  *fakeClock
	seqKey int
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	dirs, err := partners.Load("../examples/partners")
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(filepath.Join(dir, "ledger.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	o, err := outbox.Open(dir, &outbox.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(); o.Close(); l.Close() })
	b := &Broadcaster{Ledger: l, Outbox: o, Store: st, Partner: dirs.ByID, Now: clock.Now,
		Identity: Identity{ISAQualifier: "ZZ", ISAID: "DOCKSIDE", GSID: "DOCKSIDE"}}
	return &fixture{b: b, l: l, o: o, clock: clock}
}

// count posts an on-hand count.
func (f *fixture) count(t testing.TB, sku, loc string, n int64) {
	t.Helper()
	f.seqKey++
	_, err := f.l.Post(context.Background(), ledger.Document{Key: fmt.Sprint("count", f.seqKey), Movements: []ledger.Movement{{
		SourceKey: fmt.Sprint("count", f.seqKey), SKU: sku, Location: loc, Kind: ledger.KindAdjust, Quantity: n, Reason: "test",
		Effective: f.clock.Now()}}})
	if err != nil {
		t.Fatal(err)
	}
}

func quantities(t *testing.T, body []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	_, err := x12.Check(bytes.NewReader(body), x12.EnvelopeOnly, nil, func(tx *x12.Transaction, _ *x12.SetResult) error {
		doc, err := documents.Decode846(tx)
		if err != nil {
			return err
		}
		for _, it := range doc.Items {
			out[it.IDs[0].ID] = string(it.Quantities[0].Quantity)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// deliver makes one attempt for every due outbox message, failing them
// when fail is set, and syncs the broadcasts with the outcome.
func (f *fixture) deliver(t testing.TB, fail bool) {
	t.Helper()
	due, err := f.o.Due(100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range due {
		if fail {
			err = f.o.Failed(m.ID, errors.New("drop folder not writable"))
		} else {
			err = f.o.Succeeded(m.ID, outbox.Receipt{Text: "renamed into place"})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := f.b.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// send runs a broadcast that is sent.
func (f *fixture) send(t testing.TB, opts Options) *Result {
	t.Helper()
	opts.Send = true
	res, err := f.b.Broadcast(context.Background(), "shopmart", opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestFullAdviceValidatesAndRoundTrips(t *testing.T) {
	f := newFixture(t)
	f.count(t, "WIDGET-RED", "dallas", 100)
	f.count(t, "WIDGET-RED", "reno", 30)
	f.count(t, "WIDGET-BLUE", "dallas", 2)   // at or below safety stock: 0
	f.count(t, "GADGET-S", "dallas", 1000)   // 80% of 998 = 798, capped at 500
	f.count(t, "GADGET-L", "dallas", 50)     // not in Shopmart's table: skipped
	f.count(t, "WIDGET-RED", "london", 9999) // not a location Shopmart counts
	res := f.send(t, Options{})
	// UPCs from the shopmart_upcs table; 80% of (130-2) = 102.
	want := map[string]string{"012345678905": "102", "012345678912": "0", "012345678929": "500"}
	got := quantities(t, res.X12)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("advice %v, want %v", got, want)
	}
	cat, _ := specs.Load()
	rep, err := x12.Check(bytes.NewReader(res.X12), cat, nil, nil)
	if err != nil || !rep.Accepted() {
		t.Fatalf("our own 846 does not validate: %v %+v", err, rep.Interchanges[0].Groups)
	}
	if res.Broadcast.State != StateQueued || res.Broadcast.Delivery != DeliveryQueued || len(res.Broadcast.Outbox) != 1 {
		t.Fatalf("broadcast %+v", res.Broadcast)
	}
	// The next full advice lists the ledger in two halves around the
	// middle SKU of this one: the same lines.
	again, err := f.b.Broadcast(context.Background(), "shopmart", Options{})
	if ps, _ := f.b.Store.Partner("shopmart"); err != nil || ps.Split == "" || fmt.Sprint(again.Lines) != fmt.Sprint(res.Lines) {
		t.Errorf("second full advice (split %q): %v, %v; first %v", ps.Split, again.Lines, err, res.Lines)
	}
	m, _ := f.o.Get(res.Broadcast.Outbox[0])
	if m.Transport != "folder" || m.Kind != "846" || m.AckState != outbox.AckPending || m.AckWithin != 4*time.Hour || !m.AckDeadline.IsZero() {
		t.Errorf("outbox message %+v", m)
	}
	// Queued is not told: the channel believes nothing yet.
	if believes, _ := f.b.Store.Believes("shopmart"); len(believes) != 0 {
		t.Errorf("believed before delivery: %v", believes)
	}
	f.deliver(t, false)
	believes, _ := f.b.Store.Believes("shopmart")
	if believes["WIDGET-RED"] != 102 || believes["GADGET-S"] != 500 || len(believes) != 3 {
		t.Errorf("what Shopmart believes: %v", believes)
	}
	bc, _ := f.b.Store.Get(res.Broadcast.ID)
	if bc.Delivery != DeliveryDelivered || bc.Ack != AckPending || bc.State != StateAwaitingAck || !bc.DeliveredAt.Equal(f.clock.Now()) {
		t.Errorf("delivered broadcast %+v", bc)
	}
}

// TestDeltaAfterUnacknowledgedDelta is issue 14's first case: 94 → 150
// (delivered, not acknowledged) → 94. The delta must send 94 again: the
// channel holds 150.
func TestDeltaAfterUnacknowledgedDelta(t *testing.T) {
	f := newFixture(t)
	f.count(t, "WIDGET-RED", "dallas", 120) // 80% of 118 = 94
	f.count(t, "WIDGET-BLUE", "dallas", 50)
	f.send(t, Options{Full: true})
	f.deliver(t, false)
	f.count(t, "WIDGET-RED", "dallas", 70) // 80% of 188 = 150
	d := f.send(t, Options{Delta: true})
	if got := quantities(t, d.X12); fmt.Sprint(got) != "map[012345678905:150]" || d.Broadcast.Mode != ModeDelta {
		t.Fatalf("first delta %s %v", d.Broadcast.Mode, got)
	}
	f.deliver(t, false) // delivered, never acknowledged
	f.count(t, "WIDGET-RED", "dallas", -70)
	d = f.send(t, Options{Delta: true})
	if got := quantities(t, d.X12); fmt.Sprint(got) != "map[012345678905:94]" {
		t.Fatalf("the change back was not sent: %v", got)
	}
	f.deliver(t, false)
	if believes, _ := f.b.Store.Believes("shopmart"); believes["WIDGET-RED"] != 94 {
		t.Errorf("believes %v", believes)
	}
	// Nothing left to tell: no advice at all.
	if e := f.send(t, Options{Delta: true}); !e.Empty || e.X12 != nil || e.Broadcast.ID != 0 {
		t.Errorf("an empty delta was built: %+v", e.Broadcast)
	}
}

// TestFailedDeliveryLeavesBelief is issue 14's second case: while the
// drop folder refuses the advice, the channel still holds the old
// figure; both figures are possible until one is delivered, and a delta
// then carries the SKU. Recovery makes the new figure believed.
func TestFailedDeliveryLeavesBelief(t *testing.T) {
	f := newFixture(t)
	f.count(t, "WIDGET-RED", "dallas", 120) // 94
	f.send(t, Options{Full: true})
	f.deliver(t, false)
	f.count(t, "WIDGET-RED", "dallas", 70) // 150
	d := f.send(t, Options{Delta: true})
	f.deliver(t, true)
	bc, _ := f.b.Store.Get(d.Broadcast.ID)
	if bc.Delivery != DeliveryFailed || bc.State != StateFailed || bc.Ack != AckPending {
		t.Fatalf("failed broadcast %+v", bc)
	}
	if m, _ := f.o.Get(bc.Outbox[0]); !m.AckDeadline.IsZero() {
		t.Errorf("the ack clock runs for an undelivered advice: %v", m.AckDeadline)
	}
	beliefs, _ := f.b.Store.Beliefs("shopmart")
	if beliefs.Held["WIDGET-RED"] != 94 || fmt.Sprint(beliefs.Possible["WIDGET-RED"]) != "[150]" {
		t.Fatalf("beliefs %+v", beliefs)
	}
	// A change back to 94 while 150 may still arrive: the delta says 94
	// and supersedes the undelivered 150, which is never sent.
	f.count(t, "WIDGET-RED", "dallas", -70)
	back := f.send(t, Options{Delta: true})
	if got := quantities(t, back.X12); fmt.Sprint(got) != "map[012345678905:94]" {
		t.Fatalf("delta %v", got)
	}
	if old, _ := f.b.Store.Get(d.Broadcast.ID); old.Delivery != DeliverySuperseded {
		t.Errorf("the stale advice is %s", old.Delivery)
	}
	f.clock.Advance(2 * time.Hour) // past every retry backoff
	f.deliver(t, false)
	if believes, _ := f.b.Store.Believes("shopmart"); believes["WIDGET-RED"] != 94 {
		t.Errorf("believes %v", believes)
	}
	if m, _ := f.o.Get(d.Broadcast.Outbox[0]); m.State != outbox.Superseded {
		t.Errorf("the stale advice was %s", m.State)
	}
}

// TestChangeOutsideCarriedSKUs is issue 14's third case: a change at a
// counted location to a SKU the channel does not carry sends nothing.
func TestChangeOutsideCarriedSKUs(t *testing.T) {
	f := newFixture(t)
	f.count(t, "WIDGET-RED", "dallas", 120)
	f.send(t, Options{Full: true})
	f.deliver(t, false)
	f.count(t, "GADGET-L", "dallas", 50) // not in Shopmart's table
	if d := f.send(t, Options{Delta: true}); !d.Empty {
		t.Fatalf("advice for a SKU Shopmart does not carry: %v", d.Lines)
	}
	if all, _ := f.o.List(outbox.Filter{}); len(all) != 1 {
		t.Errorf("%d outbox messages, want the first advice only", len(all))
	}
	if ps, _ := f.b.Store.Partner("shopmart"); ps.Examined != 2 {
		t.Errorf("examined up to %d, want 2", ps.Examined)
	}
}

func TestRejectedAndOverdueBroadcasts(t *testing.T) {
	f := newFixture(t)
	f.count(t, "WIDGET-RED", "dallas", 100)
	a := f.send(t, Options{})
	f.deliver(t, false)
	f.count(t, "WIDGET-BLUE", "dallas", 100)
	b := f.send(t, Options{Delta: true})
	f.deliver(t, false)
	f.o.RecordAck(outbox.AckReport{Partner: "shopmart", Group: a.Broadcast.Group, State: outbox.AckRejected})
	f.clock.Advance(4*time.Hour + time.Second)
	if late, _ := f.o.MarkOverdue(); len(late) != 1 {
		t.Fatalf("overdue: %d", len(late))
	}
	if err := f.b.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	states := map[uint64]State{}
	list, _ := f.b.Store.List("shopmart", 10)
	for _, bc := range list {
		states[bc.ID] = bc.State
	}
	if states[a.Broadcast.ID] != StateRejected || states[b.Broadcast.ID] != StateOverdue {
		t.Errorf("states %v", states)
	}
	// The rejected figure is unknown: the next delta sends it again.
	d := f.send(t, Options{Delta: true})
	if got := quantities(t, d.X12); fmt.Sprint(got) != "map[012345678905:78]" {
		t.Errorf("delta after a rejection: %v", got)
	}
	if nudged := f.b.takeNudged(); fmt.Sprint(nudged) != "[shopmart]" {
		t.Errorf("nudged %v", nudged)
	}
}

func TestBroadcastWithoutAdviceOrWhileRunning(t *testing.T) {
	f := newFixture(t)
	if _, err := f.b.Broadcast(context.Background(), "acme-3pl", Options{}); err == nil {
		t.Error("a partner without advice got one")
	}
	f.count(t, "WIDGET-RED", "dallas", 100)
	_, unlock, err := f.b.lock(context.Background(), "shopmart")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := f.b.Broadcast(ctx, "shopmart", Options{}); !errors.Is(err, ErrRunning) {
		t.Errorf("two broadcasts for one partner ran at once: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := f.b.Broadcast(context.Background(), "shopmart", Options{}); done <- err }()
	unlock() // the waiting one goes ahead
	if err := <-done; err != nil {
		t.Errorf("after the first ended: %v", err)
	}
}

func TestNearRealTimeSendsOneDeltaPerWindow(t *testing.T) {
	f := newFixture(t)
	f.count(t, "WIDGET-RED", "dallas", 100)
	f.send(t, Options{})
	f.b.Poll = 5 * time.Second // fewer steps of the fake clock
	dirs, _ := partners.Load("../examples/partners")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.b.RunNearRealTime(ctx, f.clock, dirs.Profiles); close(done) }()
	f.clock.awaitWaiter(10 * time.Second) // it has read the ledger's sequence and waits
	f.count(t, "WIDGET-RED", "dallas", 5)
	f.clock.Advance(4 * time.Second)
	f.count(t, "WIDGET-RED", "dallas", 5) // within the window: coalesced
	f.clock.Advance(4 * time.Second)
	if list, _ := f.b.Store.List("shopmart", 10); len(list) != 1 {
		t.Fatalf("sent before the 10-minute window ended: %d", len(list))
	}
	f.clock.Advance(10 * time.Minute)
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	list, _ := f.b.Store.List("shopmart", 10)
	if len(list) != 2 || list[0].State != StateQueued || list[0].Mode != ModeDelta {
		t.Fatalf("broadcasts %+v", list)
	}
	if f.clock.Now().Sub(list[0].Time) > 10*time.Minute {
		t.Errorf("sent at %v", list[0].Time)
	}
}

// TestNearRealTimeResumesAfterRestart: changes made while no process
// watched (inside a debounce window that a stop cut short, or a CLI
// ingest) are pushed right after the next start.
func TestNearRealTimeResumesAfterRestart(t *testing.T) {
	f := newFixture(t)
	f.count(t, "WIDGET-RED", "dallas", 100)
	f.send(t, Options{})
	f.count(t, "WIDGET-RED", "dallas", 5) // while nothing runs
	dirs, _ := partners.Load("../examples/partners")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.b.RunNearRealTime(ctx, f.clock, dirs.Profiles); close(done) }()
	f.clock.awaitWaiter(10 * time.Second)
	cancel()
	<-done
	list, _ := f.b.Store.List("shopmart", 10)
	if len(list) != 2 || list[0].Mode != ModeDelta || list[0].Items != 1 {
		t.Fatalf("broadcasts after the start %+v", list)
	}
}

func TestFullAdviceOfAnEmptyLedger(t *testing.T) {
	f := newFixture(t)
	for _, send := range []bool{false, true} {
		res, err := f.b.Broadcast(context.Background(), "shopmart", Options{Send: send})
		if err != nil || !res.Empty || res.X12 != nil {
			t.Fatalf("send %v: %+v %v", send, res, err)
		}
	}
	if list, _ := f.b.Store.List("", 10); len(list) != 0 {
		t.Errorf("an empty advice was recorded: %+v", list)
	}
	if all, _ := f.o.List(outbox.Filter{}); len(all) != 0 {
		t.Errorf("an empty advice was queued")
	}
}

// TestDeltaWhileAnAdviceIsInFlight: an advice being sent when the figure
// changes back may still arrive; the next delta carries the SKU, and
// arrives after it.
func TestDeltaWhileAnAdviceIsInFlight(t *testing.T) {
	f := newFixture(t)
	f.count(t, "WIDGET-RED", "dallas", 120) // 94
	f.send(t, Options{Full: true})
	f.deliver(t, false)
	f.count(t, "WIDGET-RED", "dallas", 70) // 150
	f.send(t, Options{Delta: true})
	inflight, _ := f.o.Due(10)
	f.count(t, "WIDGET-RED", "dallas", -70) // 94 again
	back := f.send(t, Options{Delta: true})
	if got := quantities(t, back.X12); fmt.Sprint(got) != "map[012345678905:94]" {
		t.Fatalf("delta while 150 is in flight: %v", got)
	}
	f.o.Succeeded(inflight[0].ID, outbox.Receipt{Text: "renamed into place"}) // 150 arrives
	f.deliver(t, false)                                                       // then 94
	if believes, _ := f.b.Store.Believes("shopmart"); believes["WIDGET-RED"] != 94 {
		t.Errorf("believes %v", believes)
	}
}

// TestCrashBetweenRecordAndQueue: an advice recorded but never queued (a
// crash in between) is marked not sent and its changes are examined
// again; one queued but not noted on its record is found by its key.
func TestCrashBetweenRecordAndQueue(t *testing.T) {
	f := newFixture(t)
	f.count(t, "WIDGET-RED", "dallas", 120) // 94
	f.send(t, Options{Full: true})
	f.deliver(t, false)
	f.count(t, "WIDGET-RED", "dallas", 70) // 150
	lost := Broadcast{Partner: "shopmart", Mode: ModeDelta, Seq: 2, Items: 1, Delivery: DeliveryQueued, Interchange: "000000077", Group: "78"}
	if err := f.b.Store.Record(context.Background(), &lost, []mapping.AdviceLine{{SKU: "WIDGET-RED", Quantity: 150}}); err != nil {
		t.Fatal(err)
	}
	if err := f.b.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if bc, _ := f.b.Store.Get(lost.ID); bc.Delivery != DeliveryNotSent {
		t.Fatalf("a broadcast never queued is %s", bc.Delivery)
	}
	d := f.send(t, Options{Delta: true})
	if got := quantities(t, d.X12); fmt.Sprint(got) != "map[012345678905:150]" {
		t.Fatalf("the change was not examined again: %v", got)
	}
	f.deliver(t, false)

	// Queued, but the process stopped before noting it.
	f.count(t, "WIDGET-RED", "dallas", 10) // 158
	queued := Broadcast{Partner: "shopmart", Mode: ModeDelta, Seq: 3, Items: 1, Delivery: DeliveryQueued, Interchange: "000000088", Group: "89"}
	if err := f.b.Store.Record(context.Background(), &queued, []mapping.AdviceLine{{SKU: "WIDGET-RED", Quantity: 158}}); err != nil {
		t.Fatal(err)
	}
	id, err := f.o.Enqueue(&outbox.Message{Key: adviceKey("shopmart", "000000088", 0), Partner: "shopmart", Transport: "as2", Kind: "846", Groups: []string{"89"}}, []byte("ISA"))
	if err != nil {
		t.Fatal(err)
	}
	f.deliver(t, false)
	if bc, _ := f.b.Store.Get(queued.ID); bc.Delivery != DeliveryDelivered || fmt.Sprint(bc.Outbox) != fmt.Sprint([]uint64{id}) {
		t.Fatalf("recovered broadcast %+v", bc)
	}
	if believes, _ := f.b.Store.Believes("shopmart"); believes["WIDGET-RED"] != 158 {
		t.Errorf("believes %v", believes)
	}
}

// refusingOutbox is an outbox that takes the caller's context and
// refuses what is queued under a context marked refuse (as PostgreSQL
// refuses a deposed leader's advice).
type refusingOutbox struct{ *outbox.Store }

type refuseKey struct{}

var errRefused = errors.New("term no longer current")

func (o refusingOutbox) EnqueueContext(ctx context.Context, m *outbox.Message, body []byte) (uint64, error) {
	if ctx.Value(refuseKey{}) != nil {
		return 0, errRefused
	}
	return o.Store.Enqueue(m, body)
}

// TestAdviceQueuedWithItsContext: the broadcaster queues advice with
// its caller's context when the outbox takes one; when the outbox
// refuses it, the broadcast fails with that error, nothing is queued,
// and the recorded broadcast is found not sent: no channel may believe
// its figures.
func TestAdviceQueuedWithItsContext(t *testing.T) {
	f := newFixture(t)
	f.b.Outbox = refusingOutbox{f.o}
	f.count(t, "WIDGET-RED", "dallas", 40)
	refused := context.WithValue(context.Background(), refuseKey{}, true)
	if _, err := f.b.Broadcast(refused, "shopmart", Options{Send: true}); !errors.Is(err, errRefused) {
		t.Fatalf("Broadcast under a refused context: %v, want the outbox's refusal", err)
	}
	if msgs, err := f.o.List(outbox.Filter{}); err != nil || len(msgs) != 0 {
		t.Fatalf("outbox after the refusal: %d messages, %v; want none", len(msgs), err)
	}
	if err := f.b.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	list, err := f.b.Store.List("shopmart", 10)
	if err != nil || len(list) != 1 || list[0].Delivery != DeliveryNotSent {
		t.Fatalf("broadcasts after the refusal: %+v, %v; want one not sent", list, err)
	}
	if bs, err := f.b.Store.Beliefs("shopmart"); err != nil || len(bs.Possible)+len(bs.Held) != 0 {
		t.Errorf("beliefs after the refusal: %+v, %v; want none", bs, err)
	}
	res := f.send(t, Options{})
	if msgs, _ := f.o.List(outbox.Filter{}); len(msgs) != len(res.Broadcast.Outbox) || len(msgs) == 0 {
		t.Errorf("outbox after an advice not refused: %d messages, broadcast carries %v", len(msgs), res.Broadcast.Outbox)
	}
}
