package inbox

import (
	"fmt"
	"time"
)

// The changes of a message's record on claim, outcome and replay. Every
// backend applies them, so that states, attempts and history mean the
// same whatever keeps the records.

// ApplyClaim marks m claimed at now: processing, one more attempt; an
// interrupted claim (its claimer stopped before an outcome) first counts
// in Interrupted.
func (m *Message) ApplyClaim(now time.Time, interrupted bool) {
	if interrupted {
		m.Interrupted++
	}
	m.State = Processing
	m.Attempts++
	m.UpdatedAt = now
}

// ApplyOutcome ends the claim of m at now with o: the attempt joins the
// history, and the record takes o's state, errors and result. It returns
// an error wrapping ErrState when o is not an end or m is not claimed.
func (m *Message) ApplyOutcome(o Outcome, now time.Time) error {
	if o.State != Done && o.State != Failed && o.State != Duplicate {
		return fmt.Errorf("inbox: finishing message %d as %q: %w", m.ID, o.State, ErrState)
	}
	if m.State != Processing {
		return fmt.Errorf("message %d is %s, not processing: %w", m.ID, m.State, ErrState)
	}
	m.History = appendAttempt(m.History, attemptOf(m, o, now))
	m.ReplayedBy = ""
	m.State, m.Errors, m.Result, m.DuplicateOf = o.State, o.Errors, o.Result, o.DuplicateOf
	m.UpdatedAt = now
	return nil
}

// ApplyReplay puts failed message m back to received at now, on behalf
// of who ("" when unnamed), its interruptions forgotten. It returns an
// error wrapping ErrState when m has not failed.
func (m *Message) ApplyReplay(who string, now time.Time) error {
	if m.State != Failed {
		return fmt.Errorf("message %d is %s; only failed messages are replayed: %w", m.ID, m.State, ErrState)
	}
	m.State, m.ReplayedBy = Received, who
	if who == "" {
		m.ReplayedBy = unnamedReplay
	}
	m.Interrupted = 0
	m.UpdatedAt = now
	return nil
}
