package inbox

import "testing"

// TestInterruptedCounted: every reopen that finds a message still claimed
// counts one interruption; a finished claim counts none; a replay starts
// the count again.
func TestInterruptedCounted(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := receive(t, s, "acme", "a", "x")
	for want := 1; want <= 3; want++ {
		if _, err := s.Claim(); err != nil {
			t.Fatal(err)
		}
		s.Close() // stopped while at it: left in processing
		if s, err = Open(dir, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != Received || got.Interrupted != want {
			t.Fatalf("after reopen %d: state %s, interrupted %d", want, got.State, got.Interrupted)
		}
	}
	defer checkAndClose(t, s)
	claimUntil(t, s, m.ID)
	if err := s.Finish(m.ID, Outcome{State: Failed, Errors: []Problem{{Msg: "interrupted too often"}}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(m.ID); got.Interrupted != 3 {
		t.Errorf("failed: interrupted %d, want 3 kept for the record", got.Interrupted)
	}
	if _, err := s.Replay(m.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(m.ID); got.Interrupted != 0 || got.State != Received {
		t.Errorf("replayed: state %s, interrupted %d, want received and 0", got.State, got.Interrupted)
	}
}
