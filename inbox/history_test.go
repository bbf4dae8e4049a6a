package inbox

import (
	"testing"
)

// TestReplayKeepsHistory: a replay keeps the failure before it, with its
// errors, its time and who started each attempt.
func TestReplayKeepsHistory(t *testing.T) {
	s, _ := openTest(t)
	m := receive(t, s, "acme", "a.edi", "x")
	claimUntil(t, s, m.ID)
	bad := []Problem{{Place: "a.edi: line 4", Msg: "bad"}}
	if err := s.Finish(m.ID, Outcome{State: Failed, Errors: bad}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplayBy(m.ID, "ops"); err != nil {
		t.Fatal(err)
	}
	claimUntil(t, s, m.ID)
	if err := s.Finish(m.ID, Outcome{State: Done, Result: &Result{Movements: 3}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != Done || len(got.Errors) != 0 || got.ReplayedBy != "" || len(got.History) != 2 {
		t.Fatalf("%+v", got)
	}
	first, second := got.History[0], got.History[1]
	if first.N != 1 || first.By != "" || first.Replay || first.State != Failed || first.ErrorCount != 1 || first.Errors[0] != bad[0] ||
		first.Started.IsZero() || first.Finished.Before(first.Started) {
		t.Errorf("first attempt %+v", first)
	}
	if second.N != 2 || second.By != "ops" || !second.Replay || second.State != Done || second.Movements != 3 || second.ErrorCount != 0 {
		t.Errorf("second attempt %+v", second)
	}
	// The failed message's index entries moved with it.
	if ms, err := s.List(Filter{State: Failed}); err != nil || len(ms) != 0 {
		t.Errorf("failed after the replay: %v %v", ms, err)
	}
}

// TestReplayUnnamed: a replay whose caller gives no name (the CLI) is
// still marked a replay.
func TestReplayUnnamed(t *testing.T) {
	s, _ := openTest(t)
	m := receive(t, s, "acme", "a.edi", "x")
	claimUntil(t, s, m.ID)
	s.Finish(m.ID, Outcome{State: Failed})
	if _, err := s.Replay(m.ID); err != nil {
		t.Fatal(err)
	}
	claimUntil(t, s, m.ID)
	s.Finish(m.ID, Outcome{State: Failed})
	got, _ := s.Get(m.ID)
	if h := got.History; len(h) != 2 || !h[1].Replay || h[1].By != "" || got.ReplayedBy != "" {
		t.Errorf("%+v", h)
	}
}

func TestHistoryBounded(t *testing.T) {
	var h []Attempt
	for i := 1; i <= maxHistory+10; i++ {
		h = appendAttempt(h, Attempt{N: i})
	}
	if len(h) != maxHistory || h[0].N != 1 || h[1].N != 12 || h[len(h)-1].N != maxHistory+10 {
		t.Errorf("%d attempts: first %d, second %d, last %d", len(h), h[0].N, h[1].N, h[len(h)-1].N)
	}
}
