package postgres

import (
	"context"
	"sync"
	"time"
)

// DefaultPoll is how often a Store looks for postings of other nodes, to
// wake Committed's waiters.
const DefaultPoll = time.Second

// signal wakes waiters when a posting commits.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns the channel closed at the next fire.
func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// fire closes the channel waiters hold; the next wait gets a new one.
func (s *signal) fire() {
	s.mu.Lock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
	s.mu.Unlock()
}

// Committed returns a channel that is closed when a posting next commits
// (or when the store closes): at once for this Store's postings, within
// Options.Poll for other nodes'. A reader of the change log takes the
// channel first, then reads ChangesSince, and waits on the channel only
// when it found nothing new; it cannot miss a posting.
func (s *Store) Committed() <-chan struct{} {
	if s.closed.Load() {
		c := make(chan struct{})
		close(c)
		return c
	}
	return s.committed.wait()
}

// pollLoop fires the signal when the change sequence moves from last
// (other nodes' postings), until the store closes.
func (s *Store) pollLoop(last int64) {
	t := time.NewTicker(s.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			s.committed.fire()
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.Poll)
		var seq int64
		err := s.pool.QueryRow(ctx, `SELECT seq FROM ledger_head`).Scan(&seq)
		cancel()
		if err != nil {
			continue // the database is away: try again next time
		}
		if seq != last {
			s.committed.fire()
		}
		last = seq
	}
}
