package postgres

import (
	"context"
	"fmt"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ReloadGeneration is the cluster-wide generation of the partner
// profiles' reloads (the one row of cluster_reload_generation): a node
// that reloads at an operator's request bumps it, and a node whose
// generation is older than the cluster's missed a reload.
type ReloadGeneration struct {
	pool *pgxpool.Pool
}

// NewReloadGeneration returns the reload generation kept in the database
// of pool, which must be migrated to Migrations.
func NewReloadGeneration(ctx context.Context, pool *pgxpool.Pool) (*ReloadGeneration, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	return &ReloadGeneration{pool: pool}, nil
}

// bumpSQL increments the generation in one statement: concurrent bumps
// are serialized by the row lock and each gets its own number. The
// upsert also makes the row should it have been deleted.
const bumpSQL = `INSERT INTO cluster_reload_generation AS r (one, generation) VALUES (true, 1)
	ON CONFLICT (one) DO UPDATE SET generation = r.generation + 1
	RETURNING generation`

// Bump increments the cluster's reload generation and returns the new
// one, which no other Bump returns.
func (r *ReloadGeneration) Bump(ctx context.Context) (int64, error) {
	var gen int64
	if err := r.pool.QueryRow(ctx, bumpSQL).Scan(&gen); err != nil {
		return 0, fmt.Errorf("cluster: bumping the reload generation: %w", err)
	}
	return gen, nil
}

// Generation returns the cluster's current reload generation: 0 before
// the first Bump.
func (r *ReloadGeneration) Generation(ctx context.Context) (int64, error) {
	var gen int64
	err := r.pool.QueryRow(ctx, `SELECT coalesce(max(generation), 0) FROM cluster_reload_generation`).Scan(&gen)
	if err != nil {
		return 0, fmt.Errorf("cluster: reading the reload generation: %w", err)
	}
	return gen, nil
}
