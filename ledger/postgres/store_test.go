package postgres

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/ledger/ledgertest"
	"github.com/jackc/pgx/v5/pgxpool"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// migrated returns a pool on a new, migrated database.
func migrated(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return pgstoretest.Migrated(t, &pg, Migrations)
}

// node opens a store on pool as one gateway node, with its own pool when
// separate (as another process would have). Cleanup closes it and runs
// Verify.
func node(t testing.TB, pool *pgxpool.Pool, separate bool, opts *Options) *Store {
	t.Helper()
	if separate {
		p, err := pgxpool.New(context.Background(), pool.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		pool = p
	}
	s, err := Open(context.Background(), pool, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		check, err := Open(context.Background(), pool, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer check.Close()
		if err := check.Verify(context.Background()); err != nil {
			t.Errorf("verify: %v", err)
		}
	})
	return s
}

func openStore(t testing.TB, now func() time.Time) ledger.Store {
	return node(t, migrated(t), false, &Options{Now: now})
}

// TestContract runs the ledger's contract suite on PostgreSQL.
func TestContract(t *testing.T) { ledgertest.Run(t, openStore) }

// BenchmarkPostLargeDocument is ledgertest.BenchPostLargeDocument on
// PostgreSQL; compare with package ledger's BenchmarkStorePostLargeDocument.
func BenchmarkPostLargeDocument(b *testing.B) { ledgertest.BenchPostLargeDocument(b, openStore) }

// BenchmarkPostConcurrent is ledgertest.BenchPostConcurrent on
// PostgreSQL; compare with package ledger's BenchmarkStorePostConcurrent.
func BenchmarkPostConcurrent(b *testing.B) { ledgertest.BenchPostConcurrent(b, openStore) }
