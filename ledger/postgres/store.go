package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the ledger.
var Migrations = pgstore.MustLoad("ledger", migrationFiles, "migrations")

// Defaults for Options.
const (
	// DefaultMaxBatchMovements is how many movements one transaction
	// gathers at most from concurrent posters (one larger document still
	// commits alone).
	DefaultMaxBatchMovements = 200_000
	// DefaultCommitTimeout bounds one posting transaction.
	DefaultCommitTimeout = 5 * time.Minute
	// DefaultCommitters is how many posting transactions a Store runs at
	// once.
	DefaultCommitters = 1
)

// maxAttempts bounds the retries of a transaction that lost a race
// (another node recorded one of its source keys first, or a deadlock).
const maxAttempts = 20

// Options tune Open. The zero value (or nil) is right for most uses.
type Options struct {
	// Now is the clock for recorded times; nil means time.Now.
	Now func() time.Time
	// MaxBatchMovements caps the movements of one transaction; zero means
	// DefaultMaxBatchMovements.
	MaxBatchMovements int
	// CommitTimeout bounds one posting transaction; zero means
	// DefaultCommitTimeout.
	CommitTimeout time.Duration
	// Poll is how often Committed looks for other nodes' postings; zero
	// means DefaultPoll.
	Poll time.Duration
	// ForCopy opens a ledger that CopyFrom is copying into. Without it,
	// Open refuses one whose copy has not finished (ErrCopyUnfinished):
	// its balances are not there yet.
	ForCopy bool
	// Committers is how many transactions one Store runs at once; zero
	// means DefaultCommitters. Transactions take the ledger's writer lock
	// first, so a second committer only has its first round trip waiting
	// on the server; it also halves the documents each transaction
	// gathers.
	Committers int
}

// Store is the ledger in PostgreSQL. Its methods are safe for concurrent
// use, and any number of Stores (in any number of processes) may share
// one database.
type Store struct {
	pool *pgxpool.Pool
	opts Options

	reqs    chan *request   // to the committer; unbuffered
	groups  chan []*request // to the committer, to share a transaction (PostAll); unbuffered
	quit    chan struct{}   // closed by Close
	stopped sync.WaitGroup  // the committers and the poll loop

	committed signal // fired when a posting commits
	closing   sync.Once
	closed    atomic.Bool
	closeErr  error
}

var _ ledger.Store = (*Store)(nil)

// Open returns the ledger in the database of pool, which must be migrated
// (Migrations). Close stops it; it does not close the pool.
func Open(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	s := &Store{pool: pool, reqs: make(chan *request), groups: make(chan []*request), quit: make(chan struct{})}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	if s.opts.MaxBatchMovements <= 0 {
		s.opts.MaxBatchMovements = DefaultMaxBatchMovements
	}
	if s.opts.CommitTimeout <= 0 {
		s.opts.CommitTimeout = DefaultCommitTimeout
	}
	if s.opts.Committers <= 0 {
		s.opts.Committers = DefaultCommitters
	}
	if s.opts.Poll <= 0 {
		s.opts.Poll = DefaultPoll
	}
	var seq int64
	var copying bool
	if err := pool.QueryRow(ctx, `SELECT seq, EXISTS (SELECT 1 FROM ledger_postings WHERE seq > h.seq) FROM ledger_head h`).Scan(&seq, &copying); err != nil {
		return nil, fmt.Errorf("ledger: reading the change sequence: %w", err)
	}
	if copying && !s.opts.ForCopy {
		return nil, ErrCopyUnfinished
	}
	for range s.opts.Committers {
		s.stopped.Go(s.committer)
	}
	s.stopped.Go(func() { s.pollLoop(seq) })
	return s, nil
}

// Close waits for the transaction in progress, fails postings still
// waiting with ledger.ErrClosed, and stops the store. Calling it again
// returns the first call's result.
func (s *Store) Close() error {
	s.closing.Do(func() {
		s.closed.Store(true)
		close(s.quit)
		s.stopped.Wait()
	})
	return s.closeErr
}

// begin checks ctx and that the store is open, for the reads.
func (s *Store) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return ledger.ErrClosed
	}
	return nil
}

// retryable reports whether a transaction lost a race it may win when
// run again: a source key another transaction recorded first, a deadlock
// or a serialization failure.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01":
		return true
	case "23505":
		return pe.ConstraintName == "ledger_movements_source" || pe.ConstraintName == "ledger_positions_key"
	}
	return false
}
