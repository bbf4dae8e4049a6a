package postgres

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/audit/audittest"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// migrated returns a pool on a new, migrated database.
func migrated(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return pgstoretest.Migrated(t, &pg, Migrations)
}

func openStore(t testing.TB, now func() time.Time) audit.Store {
	s, err := Open(context.Background(), migrated(t), now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) { audittest.Run(t, openStore) }

// BenchmarkRecord is audittest.Bench on PostgreSQL.
func BenchmarkRecord(b *testing.B) { audittest.Bench(b, openStore) }

func TestOpenRefusesUnmigrated(t *testing.T) {
	ctx := context.Background()
	pool, err := pgstore.Open(ctx, pg.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := Open(ctx, pool, nil); !errors.Is(err, pgstore.ErrSchemaBehind) {
		t.Errorf("Open on an empty database: %v", err)
	}
}

// TestNodesShareTheLog: entries recorded through two stores (two nodes)
// are one log.
func TestNodesShareTheLog(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	other, err := pgxpool.New(ctx, pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	a, _ := Open(ctx, pool, nil)
	b, err := Open(ctx, other, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range []*Store{a, b, a} {
		if _, err := s.Record(ctx, audit.Entry{Who: "ops", Action: audit.ActionReload, Target: []string{"a", "b", "a"}[i]}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []*Store{a, b} {
		got, next, err := s.List(ctx, audit.Filter{})
		if err != nil || len(got) != 3 || next != 0 || got[1].Target != "b" {
			t.Errorf("one node reads %+v (next %d, %v)", got, next, err)
		}
	}
}
