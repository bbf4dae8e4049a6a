package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"
)

// Term is one node's hold on a lease.
type Term struct {
	Name    string    // the lease: what work it guards
	Holder  string    // the node holding it
	Epoch   int64     // grows at every change of holder; the fencing token
	Expires time.Time // when the term ends unless renewed, by the lease's clock
}

// Lease is a leadership that one node holds at a time.
type Lease interface {
	// Acquire takes the lease for this node when nobody holds it or its
	// term has expired (a new term, with a higher epoch), or renews the
	// term this node holds (same epoch). When another node holds an
	// unexpired term it returns a *NotLeaderError (ErrNotLeader).
	Acquire(ctx context.Context) (Term, error)
	// Check returns nil when term is the lease's current, unexpired term,
	// else an error wrapping ErrFenced. Outside a transaction it only
	// tells; writes that must be fenced check inside their transaction
	// (cluster/postgres.Fence).
	Check(ctx context.Context, term Term) error
	// Release ends term now, so that another node takes over without
	// waiting for it to expire. Releasing a term no longer held does
	// nothing.
	Release(ctx context.Context, term Term) error
	// TTL is how long a term lasts without a renewal.
	TTL() time.Duration
}

// Node returns a name for this process as a lease holder: the host name,
// the process id and a random suffix, so that a restarted process is a
// new holder.
func Node() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Single is the lease of a gateway that runs alone (bbolt: one process
// on one file): always held, epoch 1, never expiring.
type Single struct{}

var _ Lease = Single{}

// SingleTerm is the term Single grants.
var SingleTerm = Term{Name: "single", Holder: "this process", Epoch: 1, Expires: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}

// Acquire implements Lease: always SingleTerm.
func (Single) Acquire(ctx context.Context) (Term, error) { return SingleTerm, ctx.Err() }

// Check implements Lease: only SingleTerm's epoch is current.
func (Single) Check(ctx context.Context, term Term) error {
	if term.Epoch != SingleTerm.Epoch {
		return &FencedError{Term: term, Current: SingleTerm.Epoch}
	}
	return nil
}

// Release implements Lease: nothing to release.
func (Single) Release(context.Context, Term) error { return nil }

// TTL implements Lease: an hour (the term never ends; the Elector renews
// it that rarely).
func (Single) TTL() time.Duration { return time.Hour }

type termKey struct{}

// WithTerm returns ctx carrying term: leader-only work's context.
func WithTerm(ctx context.Context, term Term) context.Context {
	return context.WithValue(ctx, termKey{}, term)
}

// TermFrom returns the term ctx carries, if any.
func TermFrom(ctx context.Context) (Term, bool) {
	t, ok := ctx.Value(termKey{}).(Term)
	return t, ok
}
