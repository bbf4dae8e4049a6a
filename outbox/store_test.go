package outbox_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/outbox/outboxtest"
)

// bolt is the outboxtest factory of the bbolt outbox: each store a file
// of its own, checked for consistency when the test ends.
func bolt() outboxtest.Factory {
	var mu sync.Mutex
	dirs := map[outbox.Storage]string{}
	open := func(t *testing.T, dir string, opts outbox.Options) outbox.Storage {
		t.Helper()
		s, err := outbox.Open(dir, &opts)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		dirs[s] = dir
		mu.Unlock()
		t.Cleanup(func() {
			for _, err := range outbox.Check(s) {
				t.Errorf("database inconsistent: %v", err)
			}
			s.Close()
		})
		return s
	}
	return outboxtest.Factory{
		Open: func(t *testing.T, opts outbox.Options) outbox.Storage { return open(t, t.TempDir(), opts) },
		Restart: func(t *testing.T, s outbox.Storage, opts outbox.Options) outbox.Storage {
			for _, err := range outbox.Check(s.(*outbox.Store)) {
				t.Errorf("database inconsistent: %v", err)
			}
			s.Close()
			mu.Lock()
			dir := dirs[s]
			mu.Unlock()
			return open(t, dir, opts)
		},
	}
}

// TestContract runs the outbox.Storage contract suite on bbolt.
func TestContract(t *testing.T) { outboxtest.Run(t, bolt()) }

func openBench(b *testing.B, opts outbox.Options) outbox.Storage {
	s, err := outbox.Open(b.TempDir(), &opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkHealth is outboxtest.BenchHealth on bbolt, 20,000 messages.
func BenchmarkHealth(b *testing.B) { outboxtest.BenchHealth(b, openBench, 20_000) }

// BenchmarkSend is outboxtest.BenchSend on bbolt.
func BenchmarkSend(b *testing.B) { outboxtest.BenchSend(b, openBench) }

// TestIndexesBuiltForOlderFiles: a file written before the state
// indexes gets them when opened, and Backlog and state lists read them.
func TestIndexesBuiltForOlderFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := outbox.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for range 4 {
		id, _ := s.Enqueue(&outbox.Message{Partner: "acme", Transport: "folder", AckDeadline: time.Now().Add(-time.Minute)}, []byte("x"))
		ids = append(ids, id)
	}
	due, _ := s.Due(2)
	s.Succeeded(due[0].ID, outbox.Receipt{Text: "ok"})
	s.Failed(due[1].ID, errors.New("refused"))
	s.MarkOverdue()
	if err := outbox.DropIndexes(s); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = outbox.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if pending, dead, err := s.Backlog(); pending != 3 || dead != 0 || err != nil {
		t.Errorf("backlog %d pending, %d dead, %v", pending, dead, err)
	}
	if got, _ := s.List(outbox.Filter{State: outbox.Queued}); len(got) != 2 || got[0].ID != ids[3] {
		t.Errorf("queued: %d messages", len(got))
	}
	if got, _ := s.List(outbox.Filter{AckState: outbox.AckOverdue}); len(got) != 4 {
		t.Errorf("overdue: %d messages", len(got))
	}
	for _, err := range outbox.Check(s) {
		t.Errorf("database inconsistent: %v", err)
	}
}
