package postgres

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/dockside-edi/dockside/reservations"
	"github.com/dockside-edi/dockside/reservations/reservationstest"
	"github.com/jackc/pgx/v5/pgxpool"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// TestContract runs the reservations.Store contract suite on PostgreSQL.
func TestContract(t *testing.T) {
	reservationstest.Run(t, func(t *testing.T) reservations.Store {
		s, err := Open(context.Background(), pgstoretest.Migrated(t, &pg, Migrations))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestOpenRefusesUnmigrated(t *testing.T) {
	ctx := context.Background()
	pool, err := pgstore.Open(ctx, pg.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := Open(ctx, pool); !errors.Is(err, pgstore.ErrSchemaBehind) {
		t.Errorf("Open on an empty database: %v", err)
	}
}

func pgstoretestMigrated(t *testing.T) *pgxpool.Pool { return pgstoretest.Migrated(t, &pg, Migrations) }
