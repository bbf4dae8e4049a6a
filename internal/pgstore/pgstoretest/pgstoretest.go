// Package pgstoretest gives a PostgreSQL store's tests a database of
// their own with the store's migrations applied: the few lines every
// store's test file would otherwise repeat.
package pgstoretest

import (
	"context"
	"testing"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Migrated returns a pool on a new database of the test server srv, with
// the migration sets applied; the pool is closed when the test ends.
func Migrated(t testing.TB, srv *pgtest.Server, sets ...pgstore.Set) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	pool, err := pgstore.Open(ctx, srv.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pgstore.Migrate(ctx, pool, sets...); err != nil {
		t.Fatal(err)
	}
	return pool
}
