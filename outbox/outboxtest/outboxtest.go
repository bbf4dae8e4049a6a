// Package outboxtest is the contract suite of outbox.Storage: every
// implementation passes Run. Its cases are the outbox's behavioural tests
// (deliveries, retries, dead letters, receipts, supersession, control
// numbers, acknowledgements), run on each implementation.
package outboxtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/outbox"
)

// Factory makes the outboxes of the suite's cases.
type Factory struct {
	// Open returns a new, empty outbox with opts; the factory closes it
	// when the test ends.
	Open func(t *testing.T, opts outbox.Options) outbox.Storage
	// Restart closes s as a crash or a restart does and returns an
	// outbox on the same data opened with opts: on bbolt the file opened
	// again, on a shared database another node once s's claims ran out.
	Restart func(t *testing.T, s outbox.Storage, opts outbox.Options) outbox.Storage
}

// Run runs the contract suite.
func Run(t *testing.T, f Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f Factory)
	}{
		{"delivery and retries", deliveryAndRetries},
		{"pickup confirms by name", pickupConfirmsByName},
		{"control numbers never repeat", controlNumbersNeverRepeat},
		{"control numbers from many goroutines", controlNumbersConcurrent},
		{"ack matching and overdue", ackMatchingAndOverdue},
		{"restart reschedules interrupted sends", restartReschedules},
		{"dispatcher", dispatcher},
		{"enqueue with key is idempotent", enqueueWithKey},
		{"ack clock starts at delivery", ackClockStartsAtDelivery},
		{"supersede", supersede},
		{"lookup by key and changes", lookupAndChanges},
		{"superseded while sending and restarted", supersededWhileSendingAndRestarted},
		{"unconfirmed receipt is sent again", unconfirmedReceiptIsSentAgain},
		{"each message claimed once", claimedOnce},
		{"backlog and list", backlogAndList},
		{"an ack delivers a message awaiting its receipt", ackDeliversSent},
		{"a permanent failure is dead at once", permanentFailure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, f) })
	}
}

// Clock is a settable clock.
type Clock struct{ T time.Time }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return c.T }

// Add moves the clock.
func (c *Clock) Add(d time.Duration) { c.T = c.T.Add(d) }

// NewClock returns a clock at a fixed time.
func NewClock() *Clock { return &Clock{T: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

// options are the suite's: three attempts, retries after 1, 2, 4…
// minutes up to 10.
func options(c *Clock) outbox.Options {
	return outbox.Options{Now: c.Now, MaxAttempts: 3, BaseDelay: time.Minute, MaxDelay: 10 * time.Minute}
}

func deliveryAndRetries(t *testing.T, f Factory) {
	c := NewClock()
	s := f.Open(t, options(c))
	id, err := s.Enqueue(&outbox.Message{Partner: "acme", Transport: "folder", Kind: "997", Name: "a.997"}, []byte("ISA..."))
	if err != nil {
		t.Fatal(err)
	}
	due, _ := s.Due(10)
	if len(due) != 1 || due[0].ID != id || due[0].State != outbox.Sending || due[0].Attempts != 1 {
		t.Fatalf("due %+v", due)
	}
	if again, _ := s.Due(10); len(again) != 0 {
		t.Fatalf("a message being sent is due again")
	}
	if err := s.Failed(id, errors.New("connection refused")); err != nil {
		t.Fatal(err)
	}
	m, _ := s.Get(id)
	if m.State != outbox.Failed || m.NextAttempt.Sub(c.T) < 48*time.Second || m.NextAttempt.Sub(c.T) > 72*time.Second {
		t.Fatalf("after first failure: %s next in %v", m.State, m.NextAttempt.Sub(c.T))
	}
	if d, _ := s.Due(10); len(d) != 0 {
		t.Fatal("due before its backoff")
	}
	c.Add(2 * time.Minute)
	d, _ := s.Due(10)
	if len(d) != 1 {
		t.Fatalf("due after the backoff: %d", len(d))
	}
	s.Failed(d[0].ID, errors.New("again"))
	c.Add(time.Hour)
	d, _ = s.Due(10)
	if len(d) != 1 {
		t.Fatalf("due after the second backoff: %d", len(d))
	}
	s.Failed(d[0].ID, errors.New("third"))
	if m, _ := s.Get(id); m.State != outbox.Dead || m.Attempts != 3 || m.LastError != "third" {
		t.Fatalf("after max attempts: %+v", m)
	}
	if pending, dead, err := s.Backlog(); pending != 0 || dead != 1 || err != nil {
		t.Errorf("backlog %d pending, %d dead, %v", pending, dead, err)
	}
	if err := s.Retry(id); err != nil {
		t.Fatal(err)
	}
	d, _ = s.Due(10)
	if len(d) != 1 {
		t.Fatal("retry did not make it due")
	}
	if err := s.Succeeded(id, outbox.Receipt{Text: "dropped"}); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Get(id); m.State != outbox.Delivered || m.Receipt != "dropped" {
		t.Fatalf("%+v", m)
	}
	if body, _ := s.Body(id); string(body) != "ISA..." {
		t.Errorf("body %q", body)
	}
	if err := s.Succeeded(id, outbox.Receipt{Text: "again"}); !errors.Is(err, outbox.ErrState) {
		t.Errorf("a second outcome: %v, want ErrState", err)
	}
	if _, err := s.Get(id + 100); !errors.Is(err, outbox.ErrNotFound) {
		t.Errorf("an unknown message: %v, want ErrNotFound", err)
	}
	if _, err := s.Body(id + 100); !errors.Is(err, outbox.ErrNotFound) {
		t.Errorf("an unknown message's body: %v, want ErrNotFound", err)
	}
}

func pickupConfirmsByName(t *testing.T, f Factory) {
	c := NewClock()
	s := f.Open(t, options(c))
	id, _ := s.Enqueue(&outbox.Message{Partner: "acme", Transport: "sftp", Name: "997-1.x12"}, []byte("x"))
	s.Due(1)
	s.Succeeded(id, outbox.Receipt{Text: "in out/", Pending: true})
	if m, _ := s.Get(id); m.State != outbox.Sent {
		t.Fatalf("state %s", m.State)
	}
	if got, _ := s.ConfirmByName("other", "997-1.x12", "picked up"); got != 0 {
		t.Errorf("another partner's pickup confirmed message %d", got)
	}
	if got, err := s.ConfirmByName("acme", "997-1.x12", "picked up"); got != id || err != nil {
		t.Fatalf("confirm: %d %v", got, err)
	}
	if m, _ := s.Get(id); m.State != outbox.Delivered || m.Receipt != "picked up" {
		t.Errorf("%+v", m)
	}
}

func controlNumbersNeverRepeat(t *testing.T, f Factory) {
	c := NewClock()
	opts := outbox.Options{Now: c.Now}
	s := f.Open(t, opts)
	a, _ := s.NextControl("acme", outbox.ControlInterchange)
	b, _ := s.NextControl("acme", outbox.ControlInterchange)
	o, _ := s.NextControl("beta", outbox.ControlInterchange)
	g, _ := s.NextControl("acme", outbox.ControlGroup)
	s = f.Restart(t, s, opts)
	d, _ := s.NextControl("acme", outbox.ControlInterchange)
	if a != 1 || b != 2 || o != 1 || g != 1 || d != 3 {
		t.Errorf("got %d %d %d %d %d", a, b, o, g, d)
	}
	if _, err := s.ReserveControls("acme", outbox.ControlSet, 999_999_999); err != nil {
		t.Fatal(err)
	}
	if _, err := s.NextControl("acme", outbox.ControlSet); !errors.Is(err, outbox.ErrControlExhausted) {
		t.Errorf("past the last control number: %v", err)
	}
	if _, err := s.ReserveControls("acme", outbox.ControlSet, 0); err == nil {
		t.Errorf("reserving no control number succeeded")
	}
}

// controlNumbersConcurrent: reservations from several goroutines never
// overlap and leave no gap.
func controlNumbersConcurrent(t *testing.T, f Factory) {
	c := NewClock()
	s := f.Open(t, options(c))
	const workers, each = 8, 20
	got := make([][]int64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := 1 + i%2
				first, err := s.ReserveControls("acme", outbox.ControlInterchange, n)
				if err != nil {
					t.Error(err)
					return
				}
				for k := range n {
					got[w] = append(got[w], first+int64(k))
				}
			}
		}()
	}
	wg.Wait()
	all := slices.Concat(got...)
	slices.Sort(all)
	for i, n := range all {
		if n != int64(i+1) {
			t.Fatalf("control numbers %v…: number %d is %d", all[:min(len(all), 10)], i+1, n)
		}
	}
}

func ackMatchingAndOverdue(t *testing.T, f Factory) {
	c := NewClock()
	s := f.Open(t, options(c))
	acked, _ := s.Enqueue(&outbox.Message{Partner: "shop", Transport: "as2", Kind: "846", Interchange: "000000007", Groups: []string{"7"}, AckDeadline: c.T.Add(time.Hour)}, []byte("a"))
	silent, _ := s.Enqueue(&outbox.Message{Partner: "shop", Transport: "as2", Kind: "846", Interchange: "000000008", Groups: []string{"8"}, AckDeadline: c.T.Add(time.Hour)}, []byte("b"))
	if next := s.NextAckDeadline(); !next.Equal(c.T.Add(time.Hour)) {
		t.Errorf("next ack deadline %v", next)
	}
	got, err := s.RecordAck(outbox.AckReport{Partner: "shop", Group: "7", State: outbox.AckRejected, Detail: "AK9*R*1*1*0"})
	if err != nil || got != acked {
		t.Fatalf("matched %d, %v", got, err)
	}
	if none, _ := s.RecordAck(outbox.AckReport{Partner: "other", Group: "8", State: outbox.AckAccepted}); none != 0 {
		t.Errorf("another partner's ack matched %d", none)
	}
	if byICN, _ := s.RecordAck(outbox.AckReport{Partner: "shop", Interchange: "000000007", State: outbox.AckRejected, Detail: "TA1"}); byICN != acked {
		t.Errorf("a TA1 matched %d, want %d", byICN, acked)
	}
	c.Add(59 * time.Minute)
	if late, _ := s.MarkOverdue(); len(late) != 0 {
		t.Fatalf("overdue before the deadline: %v", late)
	}
	c.Add(2 * time.Minute)
	late, _ := s.MarkOverdue()
	if len(late) != 1 || late[0].ID != silent {
		t.Fatalf("overdue %v", late)
	}
	if late, _ := s.MarkOverdue(); len(late) != 0 {
		t.Errorf("overdue twice: %v", late)
	}
	if m, _ := s.Get(acked); m.AckState != outbox.AckRejected || m.AckDetail != "TA1" {
		t.Errorf("acked message is %s (%s)", m.AckState, m.AckDetail)
	}
	if m, _ := s.Get(silent); m.AckState != outbox.AckOverdue {
		t.Errorf("silent message is %s", m.AckState)
	}
	if next := s.NextAckDeadline(); !next.IsZero() {
		t.Errorf("next ack deadline %v with none pending", next)
	}
	if overdue, _ := s.List(outbox.Filter{AckState: outbox.AckOverdue}); len(overdue) != 1 || overdue[0].ID != silent {
		t.Errorf("listed overdue: %v", overdue)
	}
}

func restartReschedules(t *testing.T, f Factory) {
	c := NewClock()
	opts := outbox.Options{Now: c.Now}
	s := f.Open(t, opts)
	id, _ := s.Enqueue(&outbox.Message{Partner: "acme", Transport: "folder"}, []byte("x"))
	s.Due(1)
	s = f.Restart(t, s, opts)
	d, _ := s.Due(1)
	if len(d) != 1 || d[0].ID != id || d[0].Attempts != 2 || d[0].State != outbox.Sending {
		t.Fatalf("after restart: %+v", d)
	}
	if err := s.Succeeded(id, outbox.Receipt{Text: "ok"}); err != nil {
		t.Fatal(err)
	}
}

func dispatcher(t *testing.T, f Factory) {
	c := NewClock()
	s := f.Open(t, options(c))
	ok, _ := s.Enqueue(&outbox.Message{Partner: "a", Transport: "folder"}, []byte("good"))
	bad, _ := s.Enqueue(&outbox.Message{Partner: "a", Transport: "nowhere"}, []byte("bad"))
	var got []string
	d := &outbox.Dispatcher{Store: s, Senders: map[string]outbox.Sender{
		"folder": outbox.SenderFunc(func(_ context.Context, m *outbox.Message, body []byte) (outbox.Receipt, error) {
			got = append(got, string(body))
			return outbox.Receipt{Text: "written"}, nil
		}),
	}}
	n, err := d.SendDue(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("tried %d, %v", n, err)
	}
	if len(got) != 1 || got[0] != "good" {
		t.Errorf("sent %v", got)
	}
	if m, _ := s.Get(ok); m.State != outbox.Delivered {
		t.Errorf("ok: %s", m.State)
	}
	if m, _ := s.Get(bad); m.State != outbox.Failed || m.LastError == "" {
		t.Errorf("bad: %s %q", m.State, m.LastError)
	}
}

func enqueueWithKey(t *testing.T, f Factory) {
	c := NewClock()
	s := f.Open(t, options(c))
	a, err := s.Enqueue(&outbox.Message{Key: "ack:7", Partner: "acme", Transport: "sftp"}, []byte("first"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Enqueue(&outbox.Message{Key: "ack:7", Partner: "acme", Transport: "sftp"}, []byte("second"))
	if err != nil || b != a {
		t.Fatalf("second enqueue: %d, %v; want %d", b, err, a)
	}
	if body, _ := s.Body(a); string(body) != "first" {
		t.Errorf("body %q", body)
	}
	if all, _ := s.List(outbox.Filter{}); len(all) != 1 {
		t.Errorf("%d messages", len(all))
	}
	first, _ := s.ReserveControls("acme", outbox.ControlInterchange, 3)
	next, _ := s.NextControl("acme", outbox.ControlInterchange)
	if first != 1 || next != 4 {
		t.Errorf("reserved from %d, next %d", first, next)
	}
	// Enqueued from many goroutines at once: one message.
	var wg sync.WaitGroup
	ids := make([]uint64, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := s.Enqueue(&outbox.Message{Key: "ack:8", Partner: "acme", Transport: "sftp"}, []byte(fmt.Sprint(i)))
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		}()
	}
	wg.Wait()
	if ids[0] == 0 || slices.ContainsFunc(ids, func(id uint64) bool { return id != ids[0] }) {
		t.Errorf("one key enqueued at once gave ids %v", ids)
	}
	if all, _ := s.List(outbox.Filter{}); len(all) != 2 {
		t.Errorf("%d messages after the concurrent enqueues, want 2", len(all))
	}
}

// ackClockStartsAtDelivery: a message expecting its acknowledgement
// within a window is never overdue while it is not delivered, however
// long delivery fails; the window runs from delivery.
func ackClockStartsAtDelivery(t *testing.T, f Factory) {
	c := NewClock()
	s := f.Open(t, options(c))
	id, err := s.Enqueue(&outbox.Message{Partner: "shop", Transport: "folder", Kind: "846", Groups: []string{"2"}, AckWithin: time.Hour}, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Get(id); m.AckState != outbox.AckPending || !m.AckDeadline.IsZero() {
		t.Fatalf("queued: ack %s, deadline %v", m.AckState, m.AckDeadline)
	}
	due, _ := s.Due(1)
	s.Failed(due[0].ID, errors.New("drop folder not writable"))
	c.Add(3 * time.Hour)
	if late, _ := s.MarkOverdue(); len(late) != 0 {
		t.Fatalf("an undelivered message is overdue: %+v", late[0])
	}
	due, _ = s.Due(1)
	if err := s.Succeeded(due[0].ID, outbox.Receipt{Text: "renamed into place"}); err != nil {
		t.Fatal(err)
	}
	delivered := c.T
	if m, _ := s.Get(id); m.State != outbox.Delivered || !m.AckDeadline.Equal(delivered.Add(time.Hour)) {
		t.Fatalf("delivered: %s, ack deadline %v", m.State, m.AckDeadline)
	}
	c.Add(59 * time.Minute)
	if late, _ := s.MarkOverdue(); len(late) != 0 {
		t.Fatal("overdue before the window after delivery ended")
	}
	c.Add(2 * time.Minute)
	if late, _ := s.MarkOverdue(); len(late) != 1 || late[0].ID != id {
		t.Fatalf("overdue after the window: %v", late)
	}
}

// supersede: a waiting or failed message is superseded at once and
// never sent; one being sent is superseded if that attempt fails, and
// delivered if it succeeds.
func supersede(t *testing.T, f Factory) {
	tests := []struct {
		name   string
		before func(s outbox.Storage, id uint64)
		after  func(s outbox.Storage, id uint64) // the attempt in flight ends
		want   outbox.State
	}{
		{"queued", func(outbox.Storage, uint64) {}, nil, outbox.Superseded},
		{"failed", func(s outbox.Storage, id uint64) { s.Due(1); s.Failed(id, errors.New("refused")) }, nil, outbox.Superseded},
		{"sending, then fails", func(s outbox.Storage, id uint64) { s.Due(1) }, func(s outbox.Storage, id uint64) { s.Failed(id, errors.New("refused")) }, outbox.Superseded},
		{"sending, then delivered", func(s outbox.Storage, id uint64) { s.Due(1) }, func(s outbox.Storage, id uint64) { s.Succeeded(id, outbox.Receipt{Text: "ok"}) }, outbox.Delivered},
		{"delivered", func(s outbox.Storage, id uint64) { s.Due(1); s.Succeeded(id, outbox.Receipt{Text: "ok"}) }, nil, outbox.Delivered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClock()
			s := f.Open(t, options(c))
			id, _ := s.Enqueue(&outbox.Message{Partner: "shop", Transport: "folder", Kind: "846", AckWithin: time.Hour}, []byte("old"))
			tt.before(s, id)
			if _, err := s.Supersede(id, 99); err != nil {
				t.Fatal(err)
			}
			if tt.after != nil {
				tt.after(s, id)
			}
			c.Add(24 * time.Hour)
			if due, _ := s.Due(10); len(due) != 0 {
				t.Fatalf("sent again: %+v", due[0])
			}
			m, _ := s.Get(id)
			if m.State != tt.want {
				t.Fatalf("state %s, want %s", m.State, tt.want)
			}
			if m.State == outbox.Superseded && (m.AckState != "" || m.SupersededBy != 99) {
				t.Errorf("superseded: ack %q, by %d", m.AckState, m.SupersededBy)
			}
		})
	}
}

func lookupAndChanges(t *testing.T, f Factory) {
	c := NewClock()
	s := f.Open(t, options(c))
	id, _ := s.Enqueue(&outbox.Message{Key: "advice:shop:1:0", Partner: "shop", Transport: "folder"}, []byte("x"))
	if got, err := s.Lookup("advice:shop:1:0"); got != id || err != nil {
		t.Fatalf("lookup: %d %v", got, err)
	}
	if got, _ := s.Lookup("advice:shop:2:0"); got != 0 {
		t.Fatalf("lookup of an unknown key: %d", got)
	}
	select {
	case <-s.Notify():
	default:
		t.Error("an enqueued message was not told on Notify")
	}
	s.Due(1)
	<-s.Changes() // drained
	s.Succeeded(id, outbox.Receipt{Text: "ok"})
	select {
	case <-s.Changes():
	default:
		t.Fatal("a delivery was not told on Changes")
	}
}

// supersededWhileSendingAndRestarted: a message superseded while being
// sent, cut short by a restart, is not sent again.
func supersededWhileSendingAndRestarted(t *testing.T, f Factory) {
	c := NewClock()
	opts := outbox.Options{Now: c.Now}
	s := f.Open(t, opts)
	id, _ := s.Enqueue(&outbox.Message{Partner: "shop", Transport: "folder"}, []byte("old"))
	s.Due(1)
	if st, err := s.Supersede(id, 2); st != outbox.Sending || err != nil {
		t.Fatalf("supersede while sending: %s %v", st, err)
	}
	s = f.Restart(t, s, opts)
	if due, _ := s.Due(10); len(due) != 0 {
		t.Fatalf("sent again after the restart: %+v", due[0])
	}
	if m, _ := s.Get(id); m.State != outbox.Superseded {
		t.Errorf("state %s", m.State)
	}
}

// unconfirmedReceiptIsSentAgain: a pending receipt with a deadline (an
// asynchronous MDN) that does not come makes the message due again, as a
// counted attempt; one that comes in time ends it; after the last
// attempt the message is dead. A pending receipt without a deadline (an
// SFTP pickup) waits for ever.
func unconfirmedReceiptIsSentAgain(t *testing.T, f Factory) {
	c := NewClock()
	s := f.Open(t, options(c)) // MaxAttempts 3
	id, err := s.Enqueue(&outbox.Message{Partner: "shopmart", Transport: "as2", Kind: "846"}, []byte("ISA..."))
	if err != nil {
		t.Fatal(err)
	}
	pickup, _ := s.Enqueue(&outbox.Message{Partner: "acme", Transport: "sftp", Name: "997.x12"}, []byte("x"))
	send := func(want int) {
		t.Helper()
		due, err := s.Due(10)
		if err != nil || len(due) != want {
			t.Fatalf("due: %d messages (%v), want %d", len(due), err, want)
		}
		for _, m := range due {
			r := outbox.Receipt{Text: "awaiting the MDN", Pending: true, ConfirmWithin: time.Hour}
			if m.ID == pickup {
				r = outbox.Receipt{Text: "in out/", Pending: true}
			}
			if err := s.Succeeded(m.ID, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(2)
	if m, _ := s.Get(id); m.State != outbox.Sent || !m.ConfirmBy.Equal(c.T.Add(time.Hour)) {
		t.Fatalf("after the send: %s, confirm by %v", m.State, m.ConfirmBy)
	}
	c.Add(59 * time.Minute)
	send(0)
	c.Add(2 * time.Minute)
	due, _ := s.Due(10)
	if len(due) != 1 || due[0].ID != id || due[0].Attempts != 2 || !strings.Contains(due[0].LastError, "no receipt by") {
		t.Fatalf("after the deadline: %+v", due)
	}
	if err := s.Succeeded(id, outbox.Receipt{Text: "awaiting the MDN", Pending: true, ConfirmWithin: time.Hour}); err != nil {
		t.Fatal(err)
	}
	c.Add(30 * time.Minute)
	if err := s.Confirm(id, "MDN processed"); err != nil {
		t.Fatal(err)
	}
	c.Add(2 * time.Hour)
	send(0)
	if m, _ := s.Get(id); m.State != outbox.Delivered || m.Receipt != "MDN processed" || !m.ConfirmBy.IsZero() {
		t.Fatalf("confirmed: %+v", m)
	}
	if m, _ := s.Get(pickup); m.State != outbox.Sent {
		t.Fatalf("a pickup without a deadline: %s", m.State)
	}

	// Never confirmed: dead after the last attempt.
	id2, _ := s.Enqueue(&outbox.Message{Partner: "shopmart", Transport: "as2", Kind: "846"}, []byte("ISA..."))
	for attempt := 1; attempt <= 3; attempt++ {
		send(1)
		c.Add(61 * time.Minute)
	}
	send(0)
	if m, _ := s.Get(id2); m.State != outbox.Dead || m.Attempts != 3 || !strings.Contains(m.LastError, "no receipt by") {
		t.Fatalf("never confirmed: %+v", m)
	}
}

// claimedOnce: several goroutines taking due messages at once take each
// one exactly once.
func claimedOnce(t *testing.T, f Factory) {
	c := NewClock()
	s := f.Open(t, options(c))
	const n = 60
	for i := range n {
		if _, err := s.Enqueue(&outbox.Message{Partner: fmt.Sprintf("p%d", i%3), Transport: "folder"}, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	taken := map[uint64]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				due, err := s.Due(3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(due) == 0 {
					return
				}
				for _, m := range due {
					mu.Lock()
					taken[m.ID]++
					mu.Unlock()
					if err := s.Succeeded(m.ID, outbox.Receipt{Text: "ok"}); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(taken) != n {
		t.Errorf("%d messages taken, want %d", len(taken), n)
	}
	for id, k := range taken {
		if k != 1 {
			t.Errorf("message %d taken %d times", id, k)
		}
	}
	if pending, dead, _ := s.Backlog(); pending != 0 || dead != 0 {
		t.Errorf("backlog %d pending, %d dead", pending, dead)
	}
}

func backlogAndList(t *testing.T, f Factory) {
	c := NewClock()
	s := f.Open(t, options(c))
	var ids []uint64
	for i, p := range []string{"a", "b", "a", "a"} {
		id, err := s.Enqueue(&outbox.Message{Partner: p, Transport: "folder", Kind: []string{"997", "846"}[i%2]}, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	due, _ := s.Due(1)
	s.Succeeded(due[0].ID, outbox.Receipt{Text: "ok"})
	if pending, dead, err := s.Backlog(); pending != 3 || dead != 0 || err != nil {
		t.Errorf("backlog %d pending, %d dead, %v", pending, dead, err)
	}
	idsOf := func(ms []*outbox.Message) []uint64 {
		var out []uint64
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    outbox.Filter
		want []uint64
	}{
		{"all, newest first", outbox.Filter{}, []uint64{ids[3], ids[2], ids[1], ids[0]}},
		{"partner", outbox.Filter{Partner: "a"}, []uint64{ids[3], ids[2], ids[0]}},
		{"state", outbox.Filter{State: outbox.Delivered}, []uint64{ids[0]}},
		{"kind", outbox.Filter{Kind: "846"}, []uint64{ids[3], ids[1]}},
		{"page", outbox.Filter{Before: ids[2], Limit: 1}, []uint64{ids[1]}},
		{"partner and page", outbox.Filter{Partner: "a", Before: ids[3], Limit: 5}, []uint64{ids[2], ids[0]}},
	}
	for _, tc := range tests {
		got, err := s.List(tc.f)
		if err != nil || !slices.Equal(idsOf(got), tc.want) {
			t.Errorf("%s: %v %v, want %v", tc.name, idsOf(got), err, tc.want)
		}
	}
}

// ackDeliversSent: the partner's acknowledgement of a message awaiting
// its receipt (an asynchronous MDN) proves delivery: the message is
// delivered and not attempted again when the receipt's deadline passes.
func ackDeliversSent(t *testing.T, f Factory) {
	c := NewClock()
	s := f.Open(t, options(c))
	id, _ := s.Enqueue(&outbox.Message{Partner: "shop", Transport: "as2", Kind: "846", Groups: []string{"5"}, AckWithin: time.Hour}, []byte("x"))
	s.Due(1)
	if err := s.Succeeded(id, outbox.Receipt{Text: "awaiting the MDN", Pending: true, ConfirmWithin: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.RecordAck(outbox.AckReport{Partner: "shop", Group: "5", State: outbox.AckAccepted}); got != id || err != nil {
		t.Fatalf("ack matched %d, %v", got, err)
	}
	c.Add(2 * time.Hour)
	if due, _ := s.Due(10); len(due) != 0 {
		t.Fatalf("a delivered message attempted again: %+v", due[0])
	}
	if m, _ := s.Get(id); m.State != outbox.Delivered || m.AckState != outbox.AckAccepted {
		t.Errorf("after the ack: %s, ack %s", m.State, m.AckState)
	}
}

// permanentFailure: an attempt failing with ErrPermanent makes the
// message dead on its first attempt; an operator's retry makes it due
// again; other failures are retried.
func permanentFailure(t *testing.T, f Factory) {
	for _, tc := range []struct {
		name  string
		cause error
		want  outbox.State
	}{
		{"permanent", fmt.Errorf("webhook: 410 Gone: %w", outbox.ErrPermanent), outbox.Dead},
		{"transient", errors.New("connection refused"), outbox.Failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := f.Open(t, options(NewClock()))
			id, err := s.Enqueue(&outbox.Message{Partner: "shop", Transport: "webhook", Kind: "846"}, []byte("{}"))
			if err != nil {
				t.Fatal(err)
			}
			s.Due(1)
			if err := s.Failed(id, tc.cause); err != nil {
				t.Fatal(err)
			}
			if m, _ := s.Get(id); m.State != tc.want || m.LastError != tc.cause.Error() {
				t.Fatalf("after one attempt: %s (%q), want %s", m.State, m.LastError, tc.want)
			}
			if tc.want == outbox.Dead {
				if err := s.Retry(id); err != nil {
					t.Fatal(err)
				}
				if due, _ := s.Due(1); len(due) != 1 || due[0].ID != id {
					t.Fatalf("retried message not due: %v", due)
				}
			}
		})
	}
}
