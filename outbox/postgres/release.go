package postgres

import (
	"context"
	"fmt"
)

// ReleaseNode ends the lease of every message node was sending, so that
// the next Due on any node takes them up, as interrupted, and returns
// how many. It is for a node known to be dead (its next run from the
// same data folder); a live node's claims are left to their leases.
func (s *Store) ReleaseNode(ctx context.Context, node string) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE outbox_messages SET lease_until = now()
		WHERE claimed_by = $1 AND state = 'sending' AND lease_until >= now()`, node)
	if err != nil {
		return 0, fmt.Errorf("outbox: releasing the claims of %s: %w", node, err)
	}
	if n := tag.RowsAffected(); n > 0 {
		signal(s.notify)
		return n, nil
	}
	return 0, nil
}
