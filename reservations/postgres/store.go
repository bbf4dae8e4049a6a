package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/reservations"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the reservation records.
var Migrations = pgstore.MustLoad("reservations", migrationFiles, "migrations")

// Store is the reservation records in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

var _ reservations.Store = (*Store)(nil)

// Open returns the store in the database of pool, which must be
// migrated (Migrations). Close does not close the pool.
func Open(ctx context.Context, pool *pgxpool.Pool) (*Store, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("reservations: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close implements reservations.Store; the pool stays open.
func (s *Store) Close() error { return nil }

const columns = `key, sku, location, quantity, order_no, available, seq, created, replayed, released, channel, ship_to`

func scan(row pgx.Row) (reservations.Record, error) {
	var r reservations.Record
	var seq int64
	var released *time.Time
	err := row.Scan(&r.Key, &r.SKU, &r.Location, &r.Quantity, &r.Order, &r.Available, &seq, &r.Created, &r.Replayed,
		&released, &r.Channel, &r.ShipTo)
	r.Seq, r.Created = uint64(seq), r.Created.UTC()
	if released != nil {
		r.Released = released.UTC()
	}
	return r, err
}

func args(r reservations.Record) []any {
	var released *time.Time
	if !r.Released.IsZero() {
		t := r.Released.UTC()
		released = &t
	}
	return []any{r.Key, r.SKU, r.Location, r.Quantity, r.Order, r.Available, int64(r.Seq), r.Created.UTC(), r.Replayed,
		released, r.Channel, r.ShipTo}
}

// insert is the idempotent insert of one record: nothing on a held key.
const insert = `INSERT INTO reservations (` + columns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (key) DO NOTHING`

// Get implements reservations.Store.
func (s *Store) Get(ctx context.Context, key string) (reservations.Record, error) {
	r, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM reservations WHERE key = $1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("%w: %q", reservations.ErrNotFound, key)
	}
	if err != nil {
		return r, fmt.Errorf("reservations: reading %q: %w", key, err)
	}
	return r, nil
}

// Create implements reservations.Store by the primary key.
func (s *Store) Create(ctx context.Context, r reservations.Record) error {
	tag, err := s.pool.Exec(ctx, insert, args(r)...)
	if err != nil {
		return fmt.Errorf("reservations: creating %q: %w", r.Key, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %q", reservations.ErrExists, r.Key)
	}
	return nil
}

// Release implements reservations.Store.
func (s *Store) Release(ctx context.Context, key string, at time.Time) (reservations.Record, error) {
	r, err := scan(s.pool.QueryRow(ctx, `UPDATE reservations SET released = COALESCE(released, $2) WHERE key = $1
		RETURNING `+columns, key, at.UTC()))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("%w: %q", reservations.ErrNotFound, key)
	}
	if err != nil {
		return r, fmt.Errorf("reservations: releasing %q: %w", key, err)
	}
	return r, nil
}

// List implements reservations.Store.
func (s *Store) List(ctx context.Context, after string, limit int) ([]reservations.Record, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM reservations WHERE key > $1 ORDER BY key LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("reservations: listing: %w", err)
	}
	defer rows.Close()
	var out []reservations.Record
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("reservations: listing: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reservations: listing: %w", err)
	}
	return out, nil
}
