package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/transports/webhook"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the shared endpoints' list.
var Migrations = pgstore.MustLoad("webhook", migrationFiles, "migrations")

// State is the endpoints' list in PostgreSQL: a webhook.SharedState.
type State struct {
	pool *pgxpool.Pool
}

var _ webhook.SharedState = (*State)(nil)

// Open returns the list in the database of pool, which must be migrated
// (Migrations). The pool stays its owner's.
func Open(ctx context.Context, pool *pgxpool.Pool) (*State, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("webhook endpoints: %w", err)
	}
	return &State{pool: pool}, nil
}

// Load implements webhook.SharedState.
func (s *State) Load(ctx context.Context) ([]byte, error) {
	var doc string
	if err := s.pool.QueryRow(ctx, `SELECT document FROM webhook_endpoints WHERE id = 1`).Scan(&doc); err != nil {
		return nil, fmt.Errorf("reading the webhook endpoints: %w", err)
	}
	return []byte(doc), nil
}

// Update implements webhook.SharedState: change runs once, with the row
// locked until the new document commits.
func (s *State) Update(ctx context.Context, change func(old []byte) ([]byte, error)) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var doc string
		if err := tx.QueryRow(ctx, `SELECT document FROM webhook_endpoints WHERE id = 1 FOR UPDATE`).Scan(&doc); err != nil {
			return fmt.Errorf("locking the webhook endpoints: %w", err)
		}
		next, err := change([]byte(doc))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET document = $1, updated_at = now() WHERE id = 1`, string(next)); err != nil {
			return fmt.Errorf("writing the webhook endpoints: %w", err)
		}
		return nil
	})
}
