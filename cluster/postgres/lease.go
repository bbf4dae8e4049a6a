package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/dockside-edi/dockside/cluster"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the leases and of the reload generation.
var Migrations = pgstore.MustLoad("cluster", migrationFiles, "migrations")

// Lease is one lease row, held by one node at a time.
type Lease struct {
	pool   *pgxpool.Pool
	name   string
	holder string
	ttl    time.Duration
}

var _ cluster.Lease = (*Lease)(nil)

// New returns the lease name in the database of pool (migrated to
// Migrations) for the node holder (cluster.Node()), whose terms last ttl
// unless renewed.
func New(ctx context.Context, pool *pgxpool.Pool, name, holder string, ttl time.Duration) (*Lease, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if name == "" || holder == "" || ttl < time.Millisecond {
		return nil, fmt.Errorf("cluster: lease %q for %q with TTL %s: a name, a holder and a TTL of at least 1 ms are needed", name, holder, ttl)
	}
	return &Lease{pool: pool, name: name, holder: holder, ttl: ttl}, nil
}

const acquireSQL = `INSERT INTO cluster_leases AS l (name, holder, epoch, acquired_at, expires_at)
	VALUES ($1, $2, 1, now(), now() + make_interval(secs => $3))
	ON CONFLICT (name) DO UPDATE SET
		epoch = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > now() THEN l.epoch ELSE l.epoch + 1 END,
		acquired_at = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > now() THEN l.acquired_at ELSE now() END,
		holder = EXCLUDED.holder,
		expires_at = EXCLUDED.expires_at
	WHERE l.holder = EXCLUDED.holder OR l.expires_at <= now()
	RETURNING epoch, expires_at`

// Acquire implements cluster.Lease.
func (l *Lease) Acquire(ctx context.Context) (cluster.Term, error) {
	t := cluster.Term{Name: l.name, Holder: l.holder}
	err := l.pool.QueryRow(ctx, acquireSQL, l.name, l.holder, l.ttl.Seconds()).Scan(&t.Epoch, &t.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		e := &cluster.NotLeaderError{Name: l.name}
		if err := l.pool.QueryRow(ctx, `SELECT holder, expires_at FROM cluster_leases WHERE name = $1`, l.name).Scan(&e.Holder, &e.Expires); err != nil {
			return t, fmt.Errorf("cluster: lease %s: %w", l.name, err)
		}
		return t, e
	}
	if err != nil {
		return t, fmt.Errorf("cluster: acquiring lease %s: %w", l.name, err)
	}
	return t, nil
}

// Check implements cluster.Lease.
func (l *Lease) Check(ctx context.Context, term cluster.Term) error {
	return check(ctx, l.pool, term, "")
}

// Release implements cluster.Lease.
func (l *Lease) Release(ctx context.Context, term cluster.Term) error {
	_, err := l.pool.Exec(ctx, `UPDATE cluster_leases SET expires_at = now()
		WHERE name = $1 AND holder = $2 AND epoch = $3 AND expires_at > now()`, term.Name, term.Holder, term.Epoch)
	if err != nil {
		return fmt.Errorf("cluster: releasing lease %s: %w", term.Name, err)
	}
	return nil
}

// TTL implements cluster.Lease.
func (l *Lease) TTL() time.Duration { return l.ttl }

// Fence checks, inside tx, that term is the current, unexpired term of
// its lease, and holds the lease row shared until tx ends: a takeover
// waits for tx, so tx's writes commit only under the current term. It
// returns an error wrapping cluster.ErrFenced otherwise; tx should then
// roll back.
func Fence(ctx context.Context, tx pgx.Tx, term cluster.Term) error {
	return check(ctx, tx, term, " FOR SHARE")
}

// FenceContext is Fence with the term that ctx carries (leader-only
// work's context, cluster.WithTerm); without one it refuses.
func FenceContext(ctx context.Context, tx pgx.Tx) error {
	term, ok := cluster.TermFrom(ctx)
	if !ok {
		return fmt.Errorf("%w: no leadership term in the context", cluster.ErrFenced)
	}
	return Fence(ctx, tx, term)
}

// FenceIfTerm fences tx (Fence) when ctx carries a term: a write made by
// leader-only work (under a cluster.Elector) commits only while its term
// is current, so a deposed leader that has not noticed yet writes
// nothing. A write outside leader-only work (ctx carries no term: an
// operator's command, an API call, any node's own work) and a write
// under cluster.SingleTerm (a node that runs alone) are not fenced.
// Stores shared by the nodes call it first in their leader-only writes.
func FenceIfTerm(ctx context.Context, tx pgx.Tx) error {
	term, ok := cluster.TermFrom(ctx)
	if !ok || term == cluster.SingleTerm {
		return nil
	}
	return Fence(ctx, tx, term)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func check(ctx context.Context, q querier, term cluster.Term, lock string) error {
	var epoch int64
	var holder string
	var live bool
	err := q.QueryRow(ctx, `SELECT epoch, holder, expires_at > now() FROM cluster_leases WHERE name = $1`+lock, term.Name).Scan(&epoch, &holder, &live)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return &cluster.FencedError{Term: term}
	case err != nil:
		return fmt.Errorf("cluster: checking lease %s: %w", term.Name, err)
	case epoch != term.Epoch || holder != term.Holder || !live:
		return &cluster.FencedError{Term: term, Current: epoch}
	}
	return nil
}
