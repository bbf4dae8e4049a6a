package ledger

import (
	"context"
	"time"
)

// Store is the ledger as the gateway uses it, whatever keeps it: the
// bbolt file (*Ledger) or a database shared by several gateway nodes
// (package ledger/postgres). Every implementation has the semantics the
// contract suite ledger/ledgertest defines, which are those documented on
// *Ledger's methods; the rules of Post are shared code ([Prepare], [Stepper]).
type Store interface {
	// Post records one document's movements, all or nothing.
	Post(ctx context.Context, doc Document) (PostResult, error)
	// HasSourcePrefix reports whether any recorded source key starts
	// with prefix.
	HasSourcePrefix(ctx context.Context, prefix string) (bool, error)
	// SourceMovements returns, per source key, its recorded movement (the
	// zero Movement when the key was never recorded).
	SourceMovements(ctx context.Context, keys []string) ([]Movement, error)
	// Balance returns a position's balance, or a SKU's across locations
	// when loc is empty.
	Balance(ctx context.Context, sku, loc string) (Balance, error)
	// Balances lists balances in (SKU, location) order.
	Balances(ctx context.Context, f Filter) ([]Balance, error)
	// BalanceAsOf returns the figures as of t (movements effective at t
	// included).
	BalanceAsOf(ctx context.Context, sku, loc string, t time.Time) (Balance, error)
	// History lists a position's movements, newest (effective, ID) first.
	History(ctx context.Context, sku, loc string, o HistoryOptions) ([]Movement, error)
	// ChangesSince returns the postings after sequence number seq, in
	// order, at most limit (no limit when limit ≤ 0).
	ChangesSince(ctx context.Context, seq uint64, limit int) ([]Change, error)
	// LastSeq returns the sequence number of the last posting.
	LastSeq(ctx context.Context) (uint64, error)
	// Committed returns a channel closed at the next commit of a posting
	// (on a shared store: a posting by any node, noticed within its
	// poll interval), for readers of ChangesSince to wait on.
	Committed() <-chan struct{}
	// Reconcile compares a partner's full count of a location with the
	// ledger, and can post it as snapshots.
	Reconcile(ctx context.Context, loc string, counts []Count, opts ReconcileOptions) (Reconciliation, error)
	// Verify checks the stored ledger's invariants.
	Verify(ctx context.Context) error
	// Close releases the store.
	Close() error
}

var _ Store = (*Ledger)(nil)
