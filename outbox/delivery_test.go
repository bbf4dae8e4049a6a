package outbox

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestAckClockStartsAtDelivery: a message expecting its acknowledgement
// within a window is never overdue while it is not delivered, however
// long delivery fails; the window runs from delivery.
func TestAckClockStartsAtDelivery(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c)
	id, err := s.Enqueue(&Message{Partner: "shop", Transport: "folder", Kind: "846", Groups: []string{"2"}, AckWithin: time.Hour}, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Get(id); m.AckState != AckPending || !m.AckDeadline.IsZero() {
		t.Fatalf("queued: ack %s, deadline %v", m.AckState, m.AckDeadline)
	}
	due, _ := s.Due(1)
	s.Failed(due[0].ID, errors.New("drop folder not writable"))
	c.Add(3 * time.Hour)
	if late, _ := s.MarkOverdue(); len(late) != 0 {
		t.Fatalf("an undelivered message is overdue: %+v", late[0])
	}
	due, _ = s.Due(1)
	if err := s.Succeeded(due[0].ID, Receipt{Text: "renamed into place"}); err != nil {
		t.Fatal(err)
	}
	delivered := c.t
	if m, _ := s.Get(id); m.State != Delivered || !m.AckDeadline.Equal(delivered.Add(time.Hour)) {
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

// TestSupersede: a waiting or failed message is superseded at once and
// never sent; one being sent is superseded if that attempt fails, and
// delivered if it succeeds.
func TestSupersede(t *testing.T) {
	tests := []struct {
		name   string
		before func(s *Store, id uint64)
		after  func(s *Store, id uint64) // the attempt in flight ends
		want   State
	}{
		{"queued", func(*Store, uint64) {}, nil, Superseded},
		{"failed", func(s *Store, id uint64) { s.Due(1); s.Failed(id, errors.New("refused")) }, nil, Superseded},
		{"sending, then fails", func(s *Store, id uint64) { s.Due(1) }, func(s *Store, id uint64) { s.Failed(id, errors.New("refused")) }, Superseded},
		{"sending, then delivered", func(s *Store, id uint64) { s.Due(1) }, func(s *Store, id uint64) { s.Succeeded(id, Receipt{Text: "ok"}) }, Delivered},
		{"delivered", func(s *Store, id uint64) { s.Due(1); s.Succeeded(id, Receipt{Text: "ok"}) }, nil, Delivered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			s, _ := openTest(t, c)
			id, _ := s.Enqueue(&Message{Partner: "shop", Transport: "folder", Kind: "846", AckWithin: time.Hour}, []byte("old"))
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
			if m.State == Superseded && (m.AckState != "" || m.SupersededBy != 99) {
				t.Errorf("superseded: ack %q, by %d", m.AckState, m.SupersededBy)
			}
		})
	}
}

func TestLookupByKeyAndChanges(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c)
	id, _ := s.Enqueue(&Message{Key: "advice:shop:1:0", Partner: "shop", Transport: "folder"}, []byte("x"))
	if got, err := s.Lookup("advice:shop:1:0"); got != id || err != nil {
		t.Fatalf("lookup: %d %v", got, err)
	}
	if got, _ := s.Lookup("advice:shop:2:0"); got != 0 {
		t.Fatalf("lookup of an unknown key: %d", got)
	}
	s.Due(1)
	<-s.Changes() // drained
	s.Succeeded(id, Receipt{Text: "ok"})
	select {
	case <-s.Changes():
	default:
		t.Fatal("a delivery was not told on Changes")
	}
}

// TestSupersededWhileSendingAndRestarted: a message superseded while
// being sent, cut short by a restart, is not sent again.
func TestSupersededWhileSendingAndRestarted(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	s, _ := Open(dir, &Options{Now: c.Now})
	id, _ := s.Enqueue(&Message{Partner: "shop", Transport: "folder"}, []byte("old"))
	s.Due(1)
	if st, err := s.Supersede(id, 2); st != Sending || err != nil {
		t.Fatalf("supersede while sending: %s %v", st, err)
	}
	s.Close()
	s, _ = Open(dir, &Options{Now: c.Now})
	defer checkAndClose(t, s)
	if due, _ := s.Due(10); len(due) != 0 {
		t.Fatalf("sent again after the restart: %+v", due[0])
	}
	if m, _ := s.Get(id); m.State != Superseded {
		t.Errorf("state %s", m.State)
	}
}

// TestPermanentFailureIsDeadAtOnce: an attempt failing with ErrPermanent
// makes the message dead on its first attempt; an operator's retry makes
// it due again; other failures are retried.
func TestPermanentFailureIsDeadAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cause error
		want  State
	}{
		{"permanent", fmt.Errorf("webhook: 410 Gone: %w", ErrPermanent), Dead},
		{"transient", errors.New("connection refused"), Failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTest(t, newClock())
			id, err := s.Enqueue(&Message{Partner: "shop", Transport: "webhook", Kind: "846"}, []byte("{}"))
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
			if tc.want == Dead {
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
