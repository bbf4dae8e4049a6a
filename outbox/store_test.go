package outbox

import (
	"context"
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// fakeClock is a settable clock for tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time      { return c.t }
func (c *fakeClock) Add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock               { return &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }
func openTest(t *testing.T, c *fakeClock) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, &Options{Now: c.Now, MaxAttempts: 3, BaseDelay: time.Minute, MaxDelay: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkAndClose(t, s) })
	return s, dir
}

func checkAndClose(t *testing.T, s *Store) {
	t.Helper()
	s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("database inconsistent: %v", err)
		}
		return nil
	})
	s.Close()
}

func TestDeliveryAndRetries(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c)
	id, err := s.Enqueue(&Message{Partner: "acme", Transport: "folder", Kind: "997", Name: "a.997"}, []byte("ISA..."))
	if err != nil {
		t.Fatal(err)
	}
	due, _ := s.Due(10)
	if len(due) != 1 || due[0].ID != id || due[0].State != Sending || due[0].Attempts != 1 {
		t.Fatalf("due %+v", due)
	}
	if again, _ := s.Due(10); len(again) != 0 {
		t.Fatalf("a message being sent is due again")
	}
	s.Failed(id, errors.New("connection refused"))
	m, _ := s.Get(id)
	if m.State != Failed || m.NextAttempt.Sub(c.t) < 48*time.Second || m.NextAttempt.Sub(c.t) > 72*time.Second {
		t.Fatalf("after first failure: %s next in %v", m.State, m.NextAttempt.Sub(c.t))
	}
	if d, _ := s.Due(10); len(d) != 0 {
		t.Fatal("due before its backoff")
	}
	c.Add(2 * time.Minute)
	d, _ := s.Due(10)
	s.Failed(d[0].ID, errors.New("again"))
	c.Add(time.Hour)
	d, _ = s.Due(10)
	s.Failed(d[0].ID, errors.New("third"))
	if m, _ := s.Get(id); m.State != Dead || m.Attempts != 3 || m.LastError != "third" {
		t.Fatalf("after max attempts: %+v", m)
	}
	if err := s.Retry(id); err != nil {
		t.Fatal(err)
	}
	d, _ = s.Due(10)
	if len(d) != 1 {
		t.Fatal("retry did not make it due")
	}
	s.Succeeded(id, Receipt{Text: "dropped"})
	if m, _ := s.Get(id); m.State != Delivered || m.Receipt != "dropped" {
		t.Fatalf("%+v", m)
	}
	if body, _ := s.Body(id); string(body) != "ISA..." {
		t.Errorf("body %q", body)
	}
}

func TestPickupConfirmsByName(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c)
	id, _ := s.Enqueue(&Message{Partner: "acme", Transport: "sftp", Name: "997-1.x12"}, []byte("x"))
	s.Due(1)
	s.Succeeded(id, Receipt{Text: "in out/", Pending: true})
	if m, _ := s.Get(id); m.State != Sent {
		t.Fatalf("state %s", m.State)
	}
	if got, _ := s.ConfirmByName("other", "997-1.x12", "picked up"); got != 0 {
		t.Errorf("another partner's pickup confirmed message %d", got)
	}
	if got, err := s.ConfirmByName("acme", "997-1.x12", "picked up"); got != id || err != nil {
		t.Fatalf("confirm: %d %v", got, err)
	}
	if m, _ := s.Get(id); m.State != Delivered || m.Receipt != "picked up" {
		t.Errorf("%+v", m)
	}
}

func TestControlNumbersNeverRepeat(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	s, _ := Open(dir, &Options{Now: c.Now})
	a, _ := s.NextControl("acme", ControlInterchange)
	b, _ := s.NextControl("acme", ControlInterchange)
	o, _ := s.NextControl("beta", ControlInterchange)
	s.Close()
	s, _ = Open(dir, &Options{Now: c.Now})
	defer checkAndClose(t, s)
	d, _ := s.NextControl("acme", ControlInterchange)
	if a != 1 || b != 2 || o != 1 || d != 3 {
		t.Errorf("got %d %d %d %d", a, b, o, d)
	}
}

func TestAckMatchingAndOverdue(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c)
	acked, _ := s.Enqueue(&Message{Partner: "shop", Transport: "as2", Kind: "846", Interchange: "000000007", Groups: []string{"7"}, AckDeadline: c.t.Add(time.Hour)}, []byte("a"))
	silent, _ := s.Enqueue(&Message{Partner: "shop", Transport: "as2", Kind: "846", Interchange: "000000008", Groups: []string{"8"}, AckDeadline: c.t.Add(time.Hour)}, []byte("b"))
	got, err := s.RecordAck(AckReport{Partner: "shop", Group: "7", State: AckRejected, Detail: "AK9*R*1*1*0"})
	if err != nil || got != acked {
		t.Fatalf("matched %d, %v", got, err)
	}
	if none, _ := s.RecordAck(AckReport{Partner: "other", Group: "8", State: AckAccepted}); none != 0 {
		t.Errorf("another partner's ack matched %d", none)
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
	if m, _ := s.Get(acked); m.AckState != AckRejected {
		t.Errorf("acked message is %s", m.AckState)
	}
	if m, _ := s.Get(silent); m.AckState != AckOverdue {
		t.Errorf("silent message is %s", m.AckState)
	}
}

func TestRestartReschedulesInterruptedSends(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	s, _ := Open(dir, &Options{Now: c.Now})
	id, _ := s.Enqueue(&Message{Partner: "acme", Transport: "folder"}, []byte("x"))
	s.Due(1)
	s.Close()
	s, _ = Open(dir, &Options{Now: c.Now})
	defer checkAndClose(t, s)
	d, _ := s.Due(1)
	if len(d) != 1 || d[0].ID != id || d[0].Attempts != 2 {
		t.Fatalf("after restart: %+v", d)
	}
}

func TestDispatcher(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c)
	ok, _ := s.Enqueue(&Message{Partner: "a", Transport: "folder"}, []byte("good"))
	bad, _ := s.Enqueue(&Message{Partner: "a", Transport: "nowhere"}, []byte("bad"))
	var got []string
	d := &Dispatcher{Store: s, Senders: map[string]Sender{
		"folder": SenderFunc(func(_ context.Context, m *Message, body []byte) (Receipt, error) {
			got = append(got, string(body))
			return Receipt{Text: "written"}, nil
		}),
	}}
	n, err := d.SendDue(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("tried %d, %v", n, err)
	}
	if len(got) != 1 || got[0] != "good" {
		t.Errorf("sent %v", got)
	}
	if m, _ := s.Get(ok); m.State != Delivered {
		t.Errorf("ok: %s", m.State)
	}
	if m, _ := s.Get(bad); m.State != Failed || m.LastError == "" {
		t.Errorf("bad: %s %q", m.State, m.LastError)
	}
}

func TestEnqueueWithKeyIsIdempotent(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c)
	a, err := s.Enqueue(&Message{Key: "ack:7", Partner: "acme", Transport: "sftp"}, []byte("first"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Enqueue(&Message{Key: "ack:7", Partner: "acme", Transport: "sftp"}, []byte("second"))
	if err != nil || b != a {
		t.Fatalf("second enqueue: %d, %v; want %d", b, err, a)
	}
	if body, _ := s.Body(a); string(body) != "first" {
		t.Errorf("body %q", body)
	}
	if all, _ := s.List(Filter{}); len(all) != 1 {
		t.Errorf("%d messages", len(all))
	}
	first, _ := s.ReserveControls("acme", ControlInterchange, 3)
	next, _ := s.NextControl("acme", ControlInterchange)
	if first != 1 || next != 4 {
		t.Errorf("reserved from %d, next %d", first, next)
	}
}
