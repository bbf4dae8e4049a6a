package ledger

import "sync"

// commitSignal wakes readers of the change log when a posting commits.
type commitSignal struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns the channel closed at the next signal.
func (s *commitSignal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// fire closes the channel waiters hold; the next wait gets a new one.
func (s *commitSignal) fire() {
	s.mu.Lock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
	s.mu.Unlock()
}

// Committed returns a channel that is closed when a posting next commits
// (or when the ledger closes). A reader of the change log takes the
// channel first, then reads ChangesSince, and waits on the channel only
// when it found nothing new: it then wakes on the next commit without
// polling, and cannot miss one. A ledger opened read-only never closes
// it before Close (another process's commits are not seen).
func (l *Ledger) Committed() <-chan struct{} {
	if l.closed.Load() {
		c := make(chan struct{})
		close(c)
		return c
	}
	return l.committed.wait()
}
