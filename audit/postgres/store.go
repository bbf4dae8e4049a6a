package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the audit log.
var Migrations = pgstore.MustLoad("audit", migrationFiles, "migrations")

// Store is the audit log in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

var _ audit.Store = (*Store)(nil)

// Open returns the audit log in the database of pool, which must be
// migrated (Migrations); now is the clock (nil: time.Now). Close does
// not close the pool: its owner does.
func Open(ctx context.Context, pool *pgxpool.Pool, now func() time.Time) (*Store, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Store{pool: pool, now: now}, nil
}

// Record implements audit.Store.
func (s *Store) Record(ctx context.Context, e audit.Entry) (audit.Entry, error) {
	if e.Action == "" || e.Who == "" {
		return e, fmt.Errorf("%w: action %q by %q", audit.ErrInvalid, e.Action, e.Who)
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond) // what timestamptz keeps
	err := s.pool.QueryRow(ctx, `INSERT INTO audit_entries (at, who, remote, action, target, detail, error)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		e.Time, e.Who, e.Remote, e.Action, e.Target, e.Detail, e.Error).Scan(&e.ID)
	if err != nil {
		return e, fmt.Errorf("audit: recording %s: %w", e.Action, err)
	}
	return e, nil
}

// List implements audit.Store.
func (s *Store) List(ctx context.Context, f audit.Filter) ([]audit.Entry, uint64, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	before := int64(f.Before)
	if f.Before == 0 || f.Before > 1<<62 {
		before = 1 << 62
	}
	// One row past the page says whether there is a next one.
	rows, err := s.pool.Query(ctx, `SELECT id, at, who, remote, action, target, detail, error FROM audit_entries
		WHERE id < $1 AND ($2 = '' OR action = $2) AND ($3 = '' OR who = $3) AND ($4 = '' OR target = $4)
		ORDER BY id DESC LIMIT $5`, before, f.Action, f.Who, f.Target, limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: listing: %w", err)
	}
	out := []audit.Entry{}
	var e audit.Entry
	_, err = pgx.ForEachRow(rows, []any{&e.ID, &e.Time, &e.Who, &e.Remote, &e.Action, &e.Target, &e.Detail, &e.Error}, func() error {
		e.Time = e.Time.UTC()
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("audit: listing: %w", err)
	}
	var next uint64
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID // Before is exclusive
	}
	return out, next, nil
}

// Close implements audit.Store; the pool stays open.
func (s *Store) Close() error { return nil }
