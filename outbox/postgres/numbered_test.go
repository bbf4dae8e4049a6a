package postgres

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/outbox"
)

// TestEnqueueNumbered: one transaction reserves the numbers and queues
// the messages built with the first, each with its body and references;
// keyed messages are not queued twice, by any node; a build that fails
// reserves nothing.
func TestEnqueueNumbered(t *testing.T) {
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	s, other := node(t, pool, false, Options{}), node(t, pool, true, Options{})
	build := func(first int64) ([]*outbox.Message, []byte, error) {
		body := fmt.Appendf(nil, "ISA*%09d~", first)
		return []*outbox.Message{
			{Key: "ack:1:0", Partner: "acme", Transport: "sftp", Kind: "997", Interchange: fmt.Sprintf("%09d", first), Groups: []string{"7", "7"}},
			{Key: "ack:1:1", Partner: "acme", Transport: "as2", Kind: "997", Name: "ack.x12"},
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
		if m, err := s.Get(id); err != nil || m.State != outbox.Queued || m.Size != len("ISA*000000001~") {
			t.Errorf("message %d: %+v, %v", id, m, err)
		}
	}
	if id, err := s.RecordAck(outbox.AckReport{Partner: "acme", Group: "7", State: outbox.AckAccepted}); err != nil || id != ids[0] {
		t.Errorf("an ack of group 7 matched message %d (%v), want %d", id, err, ids[0])
	}
	// Processed again on another node: new numbers, the same messages.
	again, ids2, err := other.EnqueueNumbered("acme", outbox.ControlInterchange, 2, build)
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
	// Three nodes at once, keys of their own and keys in common: no
	// number twice, each key queued once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	byKey := map[string]map[uint64]bool{}
	seen := map[int64]bool{}
	for k := range 3 {
		n := node(t, pool, true, Options{})
		wg.Go(func() {
			for i := range 20 {
				key := fmt.Sprintf("shared:%d", i)
				if i%2 == 0 {
					key = fmt.Sprintf("own:%d:%d", k, i)
				}
				first, ids, err := n.EnqueueNumbered("shop", outbox.ControlInterchange, 1, func(first int64) ([]*outbox.Message, []byte, error) {
					return []*outbox.Message{{Key: key, Partner: "shop", Transport: "sftp", Kind: "997"}}, []byte("x"), nil
				})
				if err != nil || len(ids) != 1 {
					t.Error(ids, err)
					return
				}
				mu.Lock()
				if seen[first] {
					t.Errorf("control number %d handed out twice", first)
				}
				seen[first] = true
				if byKey[key] == nil {
					byKey[key] = map[uint64]bool{}
				}
				byKey[key][ids[0]] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for key, ids := range byKey {
		if len(ids) != 1 {
			t.Errorf("key %s queued as %d messages", key, len(ids))
		}
	}
	if len(byKey) != 3*10+10 {
		t.Errorf("%d keys, want 40", len(byKey))
	}
}
