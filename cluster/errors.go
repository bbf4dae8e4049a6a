package cluster

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of cluster.
var (
	// ErrNotLeader means another node holds the lease's current term.
	ErrNotLeader = errors.New("cluster: another node holds the lease")
	// ErrFenced means a term is no longer the lease's current one (it
	// expired, or another node took over): leader-only writes under it
	// are refused.
	ErrFenced = errors.New("cluster: leadership term lost; write refused")
)

// NotLeaderError is ErrNotLeader with who holds the lease and until when.
type NotLeaderError struct {
	Name    string    // the lease
	Holder  string    // the node that holds it
	Expires time.Time // the end of its term, by the lease's clock
}

// Error says who holds the lease until when.
func (e *NotLeaderError) Error() string {
	return fmt.Sprintf("cluster: lease %s is held by %s until %s", e.Name, e.Holder, e.Expires.UTC().Format(time.RFC3339Nano))
}

// Unwrap makes errors.Is(err, ErrNotLeader) true.
func (e *NotLeaderError) Unwrap() error { return ErrNotLeader }

// FencedError is ErrFenced with the term that was refused.
type FencedError struct {
	Term    Term
	Current int64 // the lease's current epoch (0: none)
}

// Error names the refused term and the current epoch.
func (e *FencedError) Error() string {
	return fmt.Sprintf("cluster: lease %s: term %d of %s is no longer current (current epoch %d); write refused",
		e.Term.Name, e.Term.Epoch, e.Term.Holder, e.Current)
}

// Unwrap makes errors.Is(err, ErrFenced) true.
func (e *FencedError) Unwrap() error { return ErrFenced }
