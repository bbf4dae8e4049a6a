package postgres

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/broadcast/broadcasttest"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/pgtest"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

func openStore(t *testing.T) broadcast.Store {
	s, err := Open(context.Background(), pgstoretest.Migrated(t, &pg, Migrations))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestContract runs the broadcast.Store contract suite on PostgreSQL.
func TestContract(t *testing.T) { broadcasttest.RunStoreContract(t, openStore) }

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

// BenchmarkStoreFullAdvice100k is broadcasttest.BenchFullAdvice on
// PostgreSQL, 100,000 figures.
func BenchmarkStoreFullAdvice100k(b *testing.B) {
	broadcasttest.BenchFullAdvice(b, func(b *testing.B) broadcast.Store {
		s, err := Open(context.Background(), pgstoretest.Migrated(b, &pg, Migrations))
		if err != nil {
			b.Fatal(err)
		}
		return s
	}, 100_000)
}
