package inbox

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// openTest opens a store in a temp folder and checks the database's
// consistency when the test ends.
func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, &Options{MaxSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkAndClose(t, s) })
	return s, dir
}

func checkAndClose(t *testing.T, s *Store) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil {
		t.Errorf("database inconsistent: %v", err)
	}
	s.Close()
}

func receive(t *testing.T, s *Store, partner, name, body string) *Message {
	t.Helper()
	m, err := s.Receive(context.Background(), Arrival{Partner: partner, Transport: "test", Name: name}, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// claimUntil claims messages until it gets id.
func claimUntil(t *testing.T, s *Store, id uint64) *Message {
	t.Helper()
	for {
		m, err := s.Claim()
		if err != nil {
			t.Fatalf("claiming %d: %v", id, err)
		}
		if m.ID == id {
			return m
		}
	}
}

func TestReopenRequeuesInterruptedClaims(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := receive(t, s, "acme", "a", "x")
	if _, err := s.Claim(); err != nil {
		t.Fatal(err)
	}
	s.Close() // a crash leaves it in processing
	s, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer checkAndClose(t, s)
	again, err := s.Claim()
	if err != nil || again.ID != m.ID || again.Attempts != 2 {
		t.Fatalf("after reopen: %+v, %v", again, err)
	}
}

func TestSizeLimit(t *testing.T) {
	s, dir := openTest(t)
	_, err := s.Receive(context.Background(), Arrival{Name: "big"}, strings.NewReader(strings.Repeat("x", 1<<20+1)))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
	entries, _ := os.ReadDir(dir + "/blobs")
	if len(entries) != 0 {
		t.Errorf("left files: %v", entries)
	}
}

func TestReceiveKey(t *testing.T) {
	s, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	a := Arrival{Partner: "p", Transport: "http", Name: "events", Key: "k1"}
	first, err := s.Receive(ctx, a, strings.NewReader("one"))
	if err != nil || first.Key != "k1" {
		t.Fatalf("first: %v %+v", err, first)
	}
	again, err := s.Receive(ctx, a, strings.NewReader("one"))
	if err != nil || again.ID != first.ID {
		t.Fatalf("same key and bytes: %v, message %d, want %d", err, again.ID, first.ID)
	}
	if _, err := s.Receive(ctx, a, strings.NewReader("two")); !errors.Is(err, ErrKeyReused) {
		t.Fatalf("same key, other bytes: %v", err)
	}
	other := a
	other.Partner = "q"
	if m, err := s.Receive(ctx, other, strings.NewReader("two")); err != nil || m.ID == first.ID {
		t.Fatalf("another partner's key: %v", err)
	}
	if m, _ := s.ByKey("p", "k1"); m == nil || m.ID != first.ID {
		t.Fatalf("ByKey: %+v", m)
	}
	m, err := s.Claim()
	if err != nil || m.ID != first.ID {
		t.Fatalf("claim: %v %+v", err, m)
	}
	if err := s.Finish(m.ID, Outcome{State: Failed}); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.ByKey("p", "k1"); m != nil {
		t.Fatalf("key of a failed message still held by %d", m.ID)
	}
	if m, err := s.Receive(ctx, a, strings.NewReader("two")); err != nil || m.ID == first.ID || m.State != Received {
		t.Fatalf("key free after failure: %v %+v", err, m)
	}
}
