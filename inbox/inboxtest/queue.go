package inboxtest

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
)

func testReceiveStoresBytesFirst(t *testing.T, open Open) {
	s := open(t, nil, 1<<20)
	m := receive(t, s, "acme", "a.edi", "hello")
	if m.State != inbox.Received || m.Size != 5 || m.SHA256 != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
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

func testDuplicates(t *testing.T, open Open) {
	s := open(t, nil, 1<<20)
	first := receive(t, s, "acme", "a.edi", "same bytes")
	if again := receive(t, s, "acme", "a2.edi", "same bytes"); again.State != inbox.Duplicate || again.DuplicateOf != first.ID {
		t.Errorf("resend from same partner: %s dup of %d", again.State, again.DuplicateOf)
	}
	if other := receive(t, s, "beta", "a.edi", "same bytes"); other.State != inbox.Received {
		t.Errorf("same bytes from another partner: %s", other.State)
	}
	// The first one fails: a resend is new work.
	claimUntil(t, s, first.ID)
	if err := s.Finish(first.ID, inbox.Outcome{State: inbox.Failed, Errors: []inbox.Problem{{Msg: "bad"}}}); err != nil {
		t.Fatal(err)
	}
	if resend := receive(t, s, "acme", "a3.edi", "same bytes"); resend.State != inbox.Received {
		t.Errorf("resend after failure: %s", resend.State)
	}
}

func testClaimTakesTurnsBetweenPartners(t *testing.T, open Open) {
	s := open(t, nil, 1<<20)
	for i := 0; i < 5; i++ {
		receive(t, s, "flood", "f", "flood "+string(rune('a'+i)))
	}
	receive(t, s, "quiet", "q", "quiet one")
	receive(t, s, "calm", "c", "calm one")
	var order []string
	for {
		m, err := s.Claim()
		if errors.Is(err, inbox.ErrEmptyQueue) {
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

func testReplayOnlyFailed(t *testing.T, open Open) {
	s := open(t, nil, 1<<20)
	m := receive(t, s, "acme", "a", "x")
	if _, err := s.Replay(m.ID); !errors.Is(err, inbox.ErrState) {
		t.Errorf("replay of a received message: %v", err)
	}
	claimUntil(t, s, m.ID)
	s.Finish(m.ID, inbox.Outcome{State: inbox.Failed, Errors: []inbox.Problem{{Place: "a: line 3", Msg: "no such item"}}})
	got, _ := s.Get(m.ID)
	if got.State != inbox.Failed || got.Errors[0].Place != "a: line 3" {
		t.Fatalf("failed record %+v", got)
	}
	if _, err := s.Replay(m.ID); err != nil {
		t.Fatal(err)
	}
	again := claimUntil(t, s, m.ID)
	if again.Attempts != 2 {
		t.Errorf("attempts %d", again.Attempts)
	}
	if err := s.Finish(m.ID, inbox.Outcome{State: inbox.Done, Result: &inbox.Result{Movements: 3}}); err != nil {
		t.Fatal(err)
	}
	done, _ := s.Get(m.ID)
	if done.State != inbox.Done || done.Errors != nil || done.Result.Movements != 3 {
		t.Errorf("done record %+v", done)
	}
}

func testInterchangeDuplicates(t *testing.T, open Open) {
	s := open(t, nil, 1<<20)
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

// testPurgeKeepsWhatIsNotDone: retention removes the bytes of what is
// done, never of what failed or still waits.
func testPurgeKeepsWhatIsNotDone(t *testing.T, open Open) {
	now := time.Now()
	clock := now.Add(-48 * time.Hour)
	s := open(t, func() time.Time { return clock }, 1<<20)
	done := receive(t, s, "acme", "a", "old and done")
	failed := receive(t, s, "acme", "b", "old and failed")
	shared := receive(t, s, "beta", "c", "old and done") // same bytes, still waiting
	claimUntil(t, s, done.ID)
	s.Finish(done.ID, inbox.Outcome{State: inbox.Done})
	claimUntil(t, s, failed.ID)
	s.Finish(failed.ID, inbox.Outcome{State: inbox.Failed})
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

// TestReplayKeepsHistory: a replay keeps the failure before it, with its
// errors, its time and who started each attempt.
func testReplayKeepsHistory(t *testing.T, open Open) {
	s := open(t, nil, 1<<20)
	m := receive(t, s, "acme", "a.edi", "x")
	claimUntil(t, s, m.ID)
	bad := []inbox.Problem{{Place: "a.edi: line 4", Msg: "bad"}}
	if err := s.Finish(m.ID, inbox.Outcome{State: inbox.Failed, Errors: bad}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplayBy(m.ID, "ops"); err != nil {
		t.Fatal(err)
	}
	claimUntil(t, s, m.ID)
	if err := s.Finish(m.ID, inbox.Outcome{State: inbox.Done, Result: &inbox.Result{Movements: 3}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != inbox.Done || len(got.Errors) != 0 || got.ReplayedBy != "" || len(got.History) != 2 {
		t.Fatalf("%+v", got)
	}
	first, second := got.History[0], got.History[1]
	if first.N != 1 || first.By != "" || first.Replay || first.State != inbox.Failed || first.ErrorCount != 1 || first.Errors[0] != bad[0] ||
		first.Started.IsZero() || first.Finished.Before(first.Started) {
		t.Errorf("first attempt %+v", first)
	}
	if second.N != 2 || second.By != "ops" || !second.Replay || second.State != inbox.Done || second.Movements != 3 || second.ErrorCount != 0 {
		t.Errorf("second attempt %+v", second)
	}
	// The failed message's index entries moved with it.
	if ms, err := s.List(inbox.Filter{State: inbox.Failed}); err != nil || len(ms) != 0 {
		t.Errorf("failed after the replay: %v %v", ms, err)
	}
}

// TestReplayUnnamed: a replay whose caller gives no name (the CLI) is
// still marked a replay.
func testReplayUnnamed(t *testing.T, open Open) {
	s := open(t, nil, 1<<20)
	m := receive(t, s, "acme", "a.edi", "x")
	claimUntil(t, s, m.ID)
	s.Finish(m.ID, inbox.Outcome{State: inbox.Failed})
	if _, err := s.Replay(m.ID); err != nil {
		t.Fatal(err)
	}
	claimUntil(t, s, m.ID)
	s.Finish(m.ID, inbox.Outcome{State: inbox.Failed})
	got, _ := s.Get(m.ID)
	if h := got.History; len(h) != 2 || !h[1].Replay || h[1].By != "" || got.ReplayedBy != "" {
		t.Errorf("%+v", h)
	}
}

// testSizeLimit: a file over the limit is refused and leaves no message.
func testSizeLimit(t *testing.T, open Open) {
	s := open(t, nil, 1<<20)
	_, err := s.Receive(context.Background(), inbox.Arrival{Name: "big"}, strings.NewReader(strings.Repeat("x", 1<<20+1)))
	if !errors.Is(err, inbox.ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
	if ms, err := s.List(inbox.Filter{}); err != nil || len(ms) != 0 {
		t.Errorf("after a refused file: %v %v", ms, err)
	}
	if _, err := s.Claim(); !errors.Is(err, inbox.ErrEmptyQueue) {
		t.Errorf("claim after a refused file: %v", err)
	}
}

// testFinishChecks: only a claimed message finishes, and only with an end.
func testFinishChecks(t *testing.T, open Open) {
	s := open(t, nil, 1<<20)
	m := receive(t, s, "acme", "a", "x")
	if err := s.Finish(m.ID, inbox.Outcome{State: inbox.Done}); !errors.Is(err, inbox.ErrState) {
		t.Errorf("finishing an unclaimed message: %v", err)
	}
	claimUntil(t, s, m.ID)
	if err := s.Finish(m.ID, inbox.Outcome{State: inbox.Received}); !errors.Is(err, inbox.ErrState) {
		t.Errorf("finishing as received: %v", err)
	}
	if err := s.Finish(m.ID, inbox.Outcome{State: inbox.Done}); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(m.ID, inbox.Outcome{State: inbox.Done}); !errors.Is(err, inbox.ErrState) {
		t.Errorf("finishing twice: %v", err)
	}
	if _, err := s.Get(m.ID + 100); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("get of no message: %v", err)
	}
	if err := s.SetPartner(m.ID, "beta"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(m.ID); got.Partner != "beta" || got.State != inbox.Done {
		t.Errorf("after SetPartner: %+v", got)
	}
}

// testReceiveKey: an idempotency key (Arrival.Key) sent again by the
// same partner returns the live message sent with it, and nothing is
// recorded; with other bytes, ErrKeyReused; another partner's key is
// its own; a failed message lets go of its key.
func testReceiveKey(t *testing.T, open Open) {
	s := open(t, nil, 0)
	ctx := context.Background()
	a := inbox.Arrival{Partner: "p", Transport: "http", Name: "events", Key: "k1"}
	first, err := s.Receive(ctx, a, strings.NewReader("one"))
	if err != nil || first.Key != "k1" {
		t.Fatalf("first: %v %+v", err, first)
	}
	again, err := s.Receive(ctx, a, strings.NewReader("one"))
	if err != nil || again.ID != first.ID {
		t.Fatalf("same key and bytes: %v, message %+v, want %d", err, again, first.ID)
	}
	if _, err := s.Receive(ctx, a, strings.NewReader("two")); !errors.Is(err, inbox.ErrKeyReused) {
		t.Fatalf("same key, other bytes: %v", err)
	}
	other := a
	other.Partner = "q"
	if m, err := s.Receive(ctx, other, strings.NewReader("two")); err != nil || m.ID == first.ID {
		t.Fatalf("another partner's key: %v %+v", err, m)
	}
	if m, err := s.ByKey("p", "k1"); err != nil || m == nil || m.ID != first.ID {
		t.Fatalf("ByKey: %v %+v", err, m)
	}
	if m, err := s.ByKey("p", "nope"); err != nil || m != nil {
		t.Fatalf("ByKey of an unknown key: %v %+v", err, m)
	}
	claimUntil(t, s, first.ID)
	if err := s.Finish(first.ID, inbox.Outcome{State: inbox.Failed}); err != nil {
		t.Fatal(err)
	}
	if m, err := s.ByKey("p", "k1"); err != nil || m != nil {
		t.Fatalf("key of a failed message still held: %v %+v", err, m)
	}
	m, err := s.Receive(ctx, a, strings.NewReader("two"))
	if err != nil || m.ID == first.ID || m.State != inbox.Received {
		t.Fatalf("key free after failure: %v %+v", err, m)
	}
	if k, err := s.ByKey("p", "k1"); err != nil || k == nil || k.ID != m.ID {
		t.Fatalf("ByKey after the key was taken again: %v %+v", err, k)
	}
}
