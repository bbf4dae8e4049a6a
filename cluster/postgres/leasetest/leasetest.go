// Package leasetest gives the tests of fenced writes (stores whose
// leader-only writes run cluster/postgres.FenceIfTerm) a deposed leader
// and its successor on a real database.
package leasetest

import (
	"context"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/cluster"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Takeover has node "node-a" take the lease name of pool's database (migrated
// to cluster/postgres.Migrations), ends its term as if it had stopped
// renewing, and has "node-b" take the lease over. It returns a's term,
// deposed, and b's, current: a write under the first must be fenced,
// under the second it must land.
func Takeover(t testing.TB, pool *pgxpool.Pool, name string) (deposed, current cluster.Term) {
	t.Helper()
	ctx := context.Background()
	lease := func(holder string) *clusterpg.Lease {
		l, err := clusterpg.New(ctx, pool, name, holder, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a, b := lease("node-a"), lease("node-b")
	deposed, err := a.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clusterpg.EndTermsOf(ctx, pool, "node-a"); err != nil {
		t.Fatal(err)
	}
	if current, err = b.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	return deposed, current
}
