package broadcast

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
	"github.com/dockside-edi/dockside/ledger"
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

func TestFullAdviceValidatesAndRoundTrips(t *testing.T) {
	f := newFixture(t)
	f.count(t, "WIDGET-RED", "dallas", 100)
	f.count(t, "WIDGET-RED", "reno", 30)
	f.count(t, "WIDGET-BLUE", "dallas", 2)   // at or below safety stock: 0
	f.count(t, "GADGET-S", "dallas", 1000)   // 80% of 998 = 798, capped at 500
	f.count(t, "GADGET-L", "dallas", 50)     // not in Shopmart's table: skipped
	f.count(t, "WIDGET-RED", "london", 9999) // not a location Shopmart counts
	res, err := f.b.Broadcast(context.Background(), "shopmart", Options{Send: true})
	if err != nil {
		t.Fatal(err)
	}
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
	if res.Broadcast.State != StateQueued || len(res.Broadcast.Outbox) != 1 {
		t.Fatalf("broadcast %+v", res.Broadcast)
	}
	// The next full advice lists the ledger in two halves around the
	// middle SKU of this one: the same lines.
	again, err := f.b.Broadcast(context.Background(), "shopmart", Options{})
	if ps, _ := f.b.Store.Partner("shopmart"); err != nil || ps.Split == "" || fmt.Sprint(again.Lines) != fmt.Sprint(res.Lines) {
		t.Errorf("second full advice (split %q): %v, %v; first %v", ps.Split, again.Lines, err, res.Lines)
	}
	m, _ := f.o.Get(res.Broadcast.Outbox[0])
	if m.Transport != "folder" || m.AckState != outbox.AckPending || !m.AckDeadline.Equal(f.clock.Now().Add(4*time.Hour)) {
		t.Errorf("outbox message %+v", m)
	}
	believes, _ := f.b.Store.Believes("shopmart")
	if believes["WIDGET-RED"] != 102 || believes["GADGET-S"] != 500 || len(believes) != 3 {
		t.Errorf("what Shopmart believes: %v", believes)
	}
}

func TestDeltaAfterAckHoldsOnlyWhatChanged(t *testing.T) {
	f := newFixture(t)
	f.count(t, "WIDGET-RED", "dallas", 100)
	f.count(t, "WIDGET-BLUE", "dallas", 50)
	f.count(t, "GADGET-S", "reno", 20)
	full, err := f.b.Broadcast(context.Background(), "shopmart", Options{Send: true, Full: true})
	if err != nil {
		t.Fatal(err)
	}
	// Not acknowledged yet: a delta has no baseline and is full.
	f.count(t, "WIDGET-BLUE", "dallas", 10)
	if d, _ := f.b.Broadcast(context.Background(), "shopmart", Options{Send: true, Delta: true}); d.Broadcast.Mode != ModeFull {
		t.Fatalf("delta without an accepted baseline: %s", d.Broadcast.Mode)
	}
	// Shopmart accepts the first advice.
	if _, err := f.o.RecordAck(outbox.AckReport{Partner: "shopmart", Group: full.Broadcast.Group, State: outbox.AckAccepted}); err != nil {
		t.Fatal(err)
	}
	f.count(t, "GADGET-S", "reno", 5)     // changes GADGET-S: 20 → 25 (80% of 23 = 18)
	f.count(t, "WIDGET-RED", "london", 7) // a location Shopmart does not count
	d, err := f.b.Broadcast(context.Background(), "shopmart", Options{Send: true, Delta: true})
	if err != nil {
		t.Fatal(err)
	}
	got := quantities(t, d.X12)
	// WIDGET-BLUE changed after the accepted advice (60 → 46) and
	// GADGET-S too; WIDGET-RED did not change where it counts.
	want := map[string]string{"012345678912": "46", "012345678929": "18"}
	if d.Broadcast.Mode != ModeDelta || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("delta %s %v, want %v", d.Broadcast.Mode, got, want)
	}
	list, _ := f.b.Store.List("shopmart", 10)
	if list[len(list)-1].State != StateAccepted {
		t.Errorf("the acknowledged broadcast is %s", list[len(list)-1].State)
	}
}

func TestRejectedAndOverdueBroadcasts(t *testing.T) {
	f := newFixture(t)
	f.count(t, "WIDGET-RED", "dallas", 100)
	a, _ := f.b.Broadcast(context.Background(), "shopmart", Options{Send: true})
	b, _ := f.b.Broadcast(context.Background(), "shopmart", Options{Send: true})
	f.o.RecordAck(outbox.AckReport{Partner: "shopmart", Group: a.Broadcast.Group, State: outbox.AckRejected})
	f.clock.Advance(4*time.Hour + time.Second)
	if late, _ := f.o.MarkOverdue(); len(late) != 1 {
		t.Fatalf("overdue: %d", len(late))
	}
	if err := f.b.SyncAcks("shopmart"); err != nil {
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
}

func TestBroadcastWithoutAdviceOrWhileRunning(t *testing.T) {
	f := newFixture(t)
	if _, err := f.b.Broadcast(context.Background(), "acme-3pl", Options{}); err == nil {
		t.Error("a partner without advice got one")
	}
	f.b.running.Store("shopmart", struct{}{})
	if _, err := f.b.Broadcast(context.Background(), "shopmart", Options{}); err == nil {
		t.Error("two broadcasts for one partner ran at once")
	}
}

func TestNearRealTimeSendsOneDeltaPerWindow(t *testing.T) {
	f := newFixture(t)
	f.count(t, "WIDGET-RED", "dallas", 100)
	dirs, _ := partners.Load("../examples/partners")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.b.RunNearRealTime(ctx, f.clock, dirs.Profiles); close(done) }()
	f.clock.awaitWaiter(10 * time.Second) // it has read the ledger's sequence and waits
	f.count(t, "WIDGET-RED", "dallas", 5)
	f.clock.Advance(4 * time.Second)
	f.count(t, "WIDGET-RED", "dallas", 5) // within the window: coalesced
	f.clock.Advance(4 * time.Second)
	if list, _ := f.b.Store.List("shopmart", 10); len(list) != 0 {
		t.Fatalf("sent before the 10-minute window ended: %d", len(list))
	}
	f.clock.Advance(10 * time.Minute)
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	list, _ := f.b.Store.List("shopmart", 10)
	if len(list) != 1 || list[0].State != StateQueued {
		t.Fatalf("broadcasts %+v", list)
	}
	if f.clock.Now().Sub(list[0].Time) > 10*time.Minute {
		t.Errorf("sent at %v", list[0].Time)
	}
}

func TestFullAdviceOfAnEmptyLedger(t *testing.T) {
	f := newFixture(t)
	res, err := f.b.Broadcast(context.Background(), "shopmart", Options{})
	if err != nil || len(res.Lines) != 0 {
		t.Fatalf("%v %v", res, err)
	}
	cat, _ := specs.Load()
	if rep, _ := x12.Check(bytes.NewReader(res.X12), cat, nil, nil); !rep.Accepted() {
		t.Errorf("an empty advice does not validate:\n%s", res.X12)
	}
}
