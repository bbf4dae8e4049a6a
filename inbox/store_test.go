package inbox

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

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

func TestReceiveStoresBytesFirst(t *testing.T) {
	s, _ := openTest(t)
	m := receive(t, s, "acme", "a.edi", "hello")
	if m.State != Received || m.Size != 5 || m.SHA256 != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Fatalf("got %+v", m)
	}
	rc, err := s.Body(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "hello" {
		t.Errorf("body %q", b)
	}
}

func TestDuplicates(t *testing.T) {
	s, _ := openTest(t)
	first := receive(t, s, "acme", "a.edi", "same bytes")
	if again := receive(t, s, "acme", "a2.edi", "same bytes"); again.State != Duplicate || again.DuplicateOf != first.ID {
		t.Errorf("resend from same partner: %s dup of %d", again.State, again.DuplicateOf)
	}
	if other := receive(t, s, "beta", "a.edi", "same bytes"); other.State != Received {
		t.Errorf("same bytes from another partner: %s", other.State)
	}
	// The first one fails: a resend is new work.
	claimUntil(t, s, first.ID)
	if err := s.Finish(first.ID, Outcome{State: Failed, Errors: []Problem{{Msg: "bad"}}}); err != nil {
		t.Fatal(err)
	}
	if resend := receive(t, s, "acme", "a3.edi", "same bytes"); resend.State != Received {
		t.Errorf("resend after failure: %s", resend.State)
	}
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

func TestClaimTakesTurnsBetweenPartners(t *testing.T) {
	s, _ := openTest(t)
	for i := 0; i < 5; i++ {
		receive(t, s, "flood", "f", "flood "+string(rune('a'+i)))
	}
	receive(t, s, "quiet", "q", "quiet one")
	receive(t, s, "calm", "c", "calm one")
	var order []string
	for {
		m, err := s.Claim()
		if errors.Is(err, ErrEmptyQueue) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, m.Partner)
	}
	got := strings.Join(order[:3], ",")
	if got != "calm,flood,quiet" {
		t.Errorf("first three claims %s; want one per partner", got)
	}
	if len(order) != 7 {
		t.Errorf("claimed %d of 7", len(order))
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

func TestReplayOnlyFailed(t *testing.T) {
	s, _ := openTest(t)
	m := receive(t, s, "acme", "a", "x")
	if _, err := s.Replay(m.ID); !errors.Is(err, ErrState) {
		t.Errorf("replay of a received message: %v", err)
	}
	claimUntil(t, s, m.ID)
	s.Finish(m.ID, Outcome{State: Failed, Errors: []Problem{{Place: "a: line 3", Msg: "no such item"}}})
	got, _ := s.Get(m.ID)
	if got.State != Failed || got.Errors[0].Place != "a: line 3" {
		t.Fatalf("failed record %+v", got)
	}
	if _, err := s.Replay(m.ID); err != nil {
		t.Fatal(err)
	}
	again := claimUntil(t, s, m.ID)
	if again.Attempts != 2 {
		t.Errorf("attempts %d", again.Attempts)
	}
	if err := s.Finish(m.ID, Outcome{State: Done, Result: &Result{Movements: 3}}); err != nil {
		t.Fatal(err)
	}
	done, _ := s.Get(m.ID)
	if done.State != Done || done.Errors != nil || done.Result.Movements != 3 {
		t.Errorf("done record %+v", done)
	}
}

func TestInterchangeDuplicates(t *testing.T) {
	s, _ := openTest(t)
	a := receive(t, s, "acme", "a", "ISA one")
	b := receive(t, s, "acme", "b", "ISA one, other bytes")
	if dup, err := s.MarkInterchange(a.ID, "ACME|DOCK|000000001"); err != nil || dup != 0 {
		t.Fatalf("first mark: %d, %v", dup, err)
	}
	if dup, _ := s.MarkInterchange(a.ID, "ACME|DOCK|000000001"); dup != 0 {
		t.Errorf("marking again the same message reports a duplicate of %d", dup)
	}
	if dup, _ := s.MarkInterchange(b.ID, "ACME|DOCK|000000001"); dup != a.ID {
		t.Errorf("second message with the same interchange: dup of %d, want %d", dup, a.ID)
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

func TestPurgeKeepsWhatIsNotDone(t *testing.T) {
	s, _ := openTest(t)
	now := time.Now()
	s.opts.Now = func() time.Time { return now.Add(-48 * time.Hour) }
	done := receive(t, s, "acme", "a", "old and done")
	failed := receive(t, s, "acme", "b", "old and failed")
	shared := receive(t, s, "beta", "c", "old and done") // same bytes, still waiting
	claimUntil(t, s, done.ID)
	s.Finish(done.ID, Outcome{State: Done})
	claimUntil(t, s, failed.ID)
	s.Finish(failed.ID, Outcome{State: Failed})
	n, err := s.Purge(now.Add(-24 * time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v", n, err)
	}
	if _, err := s.Body(failed.ID); err != nil {
		t.Errorf("failed message lost its bytes: %v", err)
	}
	if _, err := s.Body(shared.ID); err != nil {
		t.Errorf("bytes shared with a waiting message removed: %v", err)
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
