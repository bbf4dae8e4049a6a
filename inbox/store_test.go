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
