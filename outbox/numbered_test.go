package outbox_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/dockside-edi/dockside/outbox"
)

// TestEnqueueNumbered: one commit reserves the numbers and queues the
// messages built with the first; keyed messages are not queued twice; a
// build that fails reserves nothing.
func TestEnqueueNumbered(t *testing.T) {
	s, err := outbox.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	build := func(first int64) ([]*outbox.Message, []byte, error) {
		body := fmt.Appendf(nil, "ISA*%09d~", first)
		return []*outbox.Message{
			{Key: "ack:1:0", Partner: "acme", Transport: "sftp", Kind: "997"},
			{Key: "ack:1:1", Partner: "acme", Transport: "as2", Kind: "997"},
		}, body, nil
	}
	first, ids, err := s.EnqueueNumbered("acme", outbox.ControlInterchange, 2, build)
	if err != nil || first != 1 || len(ids) != 2 || ids[0] == ids[1] {
		t.Fatalf("first %d, ids %v, %v", first, ids, err)
	}
	for _, id := range ids {
		if body, err := s.Body(id); err != nil || string(body) != "ISA*000000001~" {
			t.Errorf("message %d: %q, %v", id, body, err)
		}
	}
	// Processed again: new numbers, the same messages.
	again, ids2, err := s.EnqueueNumbered("acme", outbox.ControlInterchange, 2, build)
	if err != nil || again != 3 || fmt.Sprint(ids2) != fmt.Sprint(ids) {
		t.Fatalf("again: first %d, ids %v, %v", again, ids2, err)
	}
	bad := errors.New("no envelope")
	if _, _, err := s.EnqueueNumbered("acme", outbox.ControlInterchange, 2, func(int64) ([]*outbox.Message, []byte, error) {
		return nil, nil, bad
	}); err != bad {
		t.Fatalf("failed build: %v", err)
	}
	if next, err := s.NextControl("acme", outbox.ControlInterchange); err != nil || next != 5 {
		t.Fatalf("after a failed build the next number is %d, %v; want 5", next, err)
	}
	if pending, _, _ := s.Backlog(); pending != 2 {
		t.Errorf("%d pending, want 2", pending)
	}
}
