package inbox

import (
	"context"
	"io"
	"time"
)

// Reader is what the operator's views read of an inbox: one message and
// its bytes, keyset-paged searches, and counters that need no scan.
// Store implements it over bbolt; another backend (PostgreSQL) must pass
// the same contract tests (inboxtest.Run).
type Reader interface {
	// Get returns message id, or an error wrapping ErrNotFound.
	Get(id uint64) (*Message, error)
	// Body opens the bytes of message id as received.
	Body(id uint64) (io.ReadCloser, error)
	// Search returns one page of the messages that match f, newest
	// first by (received time, id); Page.Next continues it.
	Search(ctx context.Context, f Filter) (Page, error)
	// Count returns how many messages match f, up to max (0: no
	// bound), and whether it stopped there.
	Count(ctx context.Context, f Filter, max int) (int, bool, error)
	// List is Search without a scan bound, for small results.
	List(f Filter) ([]*Message, error)
	// Counts returns the number of messages per partner and state.
	Counts() (map[string]map[State]int, error)
	// Hourly returns the messages received per hour between since and
	// until, by current state.
	Hourly(since, until time.Time) ([]HourCount, error)
	// Waiting returns how many messages wait to be processed.
	Waiting() (int, error)
}

var _ Reader = (*Store)(nil)
