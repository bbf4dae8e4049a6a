package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// EndTermsOf ends now every unexpired term that holder holds, of any
// lease, and returns how many it ended. It is for a holder known to be
// dead (a node's previous run, whose data-folder lock its next run
// holds): another node, or the next run, takes over at once, under a
// higher epoch, rather than after the TTL. The dead holder's fenced
// writes fail from then on, as after an expiry.
func EndTermsOf(ctx context.Context, pool *pgxpool.Pool, holder string) (int64, error) {
	tag, err := pool.Exec(ctx, `UPDATE cluster_leases SET expires_at = now() WHERE holder = $1 AND expires_at > now()`, holder)
	if err != nil {
		return 0, fmt.Errorf("cluster: ending the terms of %s: %w", holder, err)
	}
	return tag.RowsAffected(), nil
}
