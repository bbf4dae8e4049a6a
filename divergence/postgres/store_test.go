package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/cluster"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/cluster/postgres/leasetest"
	"github.com/dockside-edi/dockside/divergence"
	"github.com/dockside-edi/dockside/divergence/divergencetest"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/pgtest"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// TestContract runs the divergence.Store contract suite on PostgreSQL.
func TestContract(t *testing.T) {
	divergencetest.Run(t, func(t *testing.T) divergence.Store {
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

// TestMarkAlerted: of two nodes marking the same divergences, each is
// marked (told of) once; a divergence that ended and comes back is a
// new incident; a deposed leader's marks are refused (cluster.ErrFenced)
// and mark nothing.
func TestMarkAlerted(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations, clusterpg.Migrations)
	a, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	row := func(sku string) divergence.Row {
		return divergence.Row{Kind: divergence.KindChannel, Partner: "shop", SKU: sku, Location: "dallas"}
	}
	rows := []divergence.Row{row("A"), row("B")}
	if err := a.Track(rows, t0); err != nil {
		t.Fatal(err)
	}
	mark := func(s *Store, ctx context.Context, rows ...divergence.Row) string {
		t.Helper()
		fresh, err := s.MarkAlerted(ctx, rows)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(fresh)
		return strings.ReplaceAll(fmt.Sprint(fresh), "\x00", "/")
	}
	if got := mark(a, ctx, rows...); got != "[channel/shop/A/dallas channel/shop/B/dallas]" {
		t.Errorf("first marks: %s", got)
	}
	if got := mark(b, ctx, rows...); got != "[]" {
		t.Errorf("the other node's marks of the same divergences: %s, want none", got)
	}
	// B ends, then comes back: a new incident.
	if err := b.Track(rows[:1], t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := b.Track(rows, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := mark(b, ctx, rows...); got != "[channel/shop/B/dallas]" {
		t.Errorf("marks after B came back: %s, want B only", got)
	}

	// A deposed leader: its term was taken over.
	old, current := leasetest.Takeover(t, pool, "leader")
	c := row("C")
	if _, err := a.MarkAlerted(cluster.WithTerm(ctx, old), []divergence.Row{c}); !errors.Is(err, cluster.ErrFenced) {
		t.Errorf("the deposed leader's mark: %v, want ErrFenced", err)
	}
	if got := mark(b, cluster.WithTerm(ctx, current), c); got != "[channel/shop/C/dallas]" {
		t.Errorf("the new leader's mark after the refused one: %s, want C", got)
	}
}
