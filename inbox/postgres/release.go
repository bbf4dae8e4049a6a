package postgres

import (
	"context"
	"fmt"
)

// ReleaseNode ends the lease of every message node has claimed, so that
// any node claims them at once, as interrupted, and returns how many.
// It is for a node known to be dead (its next run from the same data
// folder); a live node's claims are left to their leases.
func (s *Store) ReleaseNode(ctx context.Context, node string) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE inbox_queue SET lease_until = now() WHERE claimed_by = $1 AND lease_until >= now()`, node)
	if err != nil {
		return 0, fmt.Errorf("inbox: releasing the claims of %s: %w", node, err)
	}
	if n := tag.RowsAffected(); n > 0 {
		s.wake()
		return n, nil
	}
	return 0, nil
}
