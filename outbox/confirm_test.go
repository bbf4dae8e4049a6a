package outbox

import (
	"strings"
	"testing"
	"time"
)

// TestUnconfirmedReceiptIsSentAgain: a pending receipt with a deadline
// (an asynchronous MDN) that does not come makes the message due again,
// as a counted attempt; one that comes in time ends it; after the last
// attempt the message is dead. A pending receipt without a deadline (an
// SFTP pickup) waits for ever.
func TestUnconfirmedReceiptIsSentAgain(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c) // MaxAttempts 3
	id, err := s.Enqueue(&Message{Partner: "shopmart", Transport: "as2", Kind: "846"}, []byte("ISA..."))
	if err != nil {
		t.Fatal(err)
	}
	pickup, _ := s.Enqueue(&Message{Partner: "acme", Transport: "sftp", Name: "997.x12"}, []byte("x"))
	send := func(want int) {
		t.Helper()
		due, err := s.Due(10)
		if err != nil || len(due) != want {
			t.Fatalf("due: %d messages (%v), want %d", len(due), err, want)
		}
		for _, m := range due {
			r := Receipt{Text: "awaiting the MDN", Pending: true, ConfirmWithin: time.Hour}
			if m.ID == pickup {
				r = Receipt{Text: "in out/", Pending: true}
			}
			if err := s.Succeeded(m.ID, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(2)
	if m, _ := s.Get(id); m.State != Sent || !m.ConfirmBy.Equal(c.t.Add(time.Hour)) {
		t.Fatalf("after the send: %s, confirm by %v", m.State, m.ConfirmBy)
	}
	c.Add(59 * time.Minute)
	send(0)
	c.Add(2 * time.Minute)
	due, _ := s.Due(10)
	if len(due) != 1 || due[0].ID != id || due[0].Attempts != 2 || !strings.Contains(due[0].LastError, "no receipt by") {
		t.Fatalf("after the deadline: %+v", due)
	}
	if err := s.Succeeded(id, Receipt{Text: "awaiting the MDN", Pending: true, ConfirmWithin: time.Hour}); err != nil {
		t.Fatal(err)
	}
	c.Add(30 * time.Minute)
	if err := s.Confirm(id, "MDN processed"); err != nil {
		t.Fatal(err)
	}
	c.Add(2 * time.Hour)
	send(0)
	if m, _ := s.Get(id); m.State != Delivered || m.Receipt != "MDN processed" || !m.ConfirmBy.IsZero() {
		t.Fatalf("confirmed: %+v", m)
	}
	if m, _ := s.Get(pickup); m.State != Sent {
		t.Fatalf("a pickup without a deadline: %s", m.State)
	}

	// Never confirmed: dead after the last attempt.
	id2, _ := s.Enqueue(&Message{Partner: "shopmart", Transport: "as2", Kind: "846"}, []byte("ISA..."))
	for attempt := 1; attempt <= 3; attempt++ {
		send(1)
		c.Add(61 * time.Minute)
	}
	send(0)
	if m, _ := s.Get(id2); m.State != Dead || m.Attempts != 3 || !strings.Contains(m.LastError, "no receipt by") {
		t.Fatalf("never confirmed: %+v", m)
	}
}
