package postgres

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// TestSessionKeySharedByNodesStartingTogether: nodes asking at once, each
// through its own pool, all get one key, and ask again get it again.
func TestSessionKeySharedByNodesStartingTogether(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations)
	const nodes = 8
	keys := make([][]byte, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		p, err := pgxpool.New(ctx, pool.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		wg.Go(func() { keys[i], errs[i] = SessionKey(ctx, p) })
	}
	wg.Wait()
	for i := range nodes {
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
		if len(keys[i]) != KeySize {
			t.Fatalf("node %d: a key of %d bytes", i, len(keys[i]))
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("node %d got another key than node 0", i)
		}
	}
	again, err := SessionKey(ctx, pool)
	if err != nil || !bytes.Equal(again, keys[0]) {
		t.Fatalf("asked again: a different key (err %v)", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM web_session_key`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows (err %v), want 1", n, err)
	}
}

// TestSessionKeyOnAnotherDatabaseDiffers: each database makes its own.
func TestSessionKeyOnAnotherDatabaseDiffers(t *testing.T) {
	ctx := context.Background()
	a, err := SessionKey(ctx, pgstoretest.Migrated(t, &pg, Migrations))
	if err != nil {
		t.Fatal(err)
	}
	b, err := SessionKey(ctx, pgstoretest.Migrated(t, &pg, Migrations))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Fatal("two databases share a key")
	}
}

// TestSessionKeyNeedsMigrations: an unmigrated database is refused.
func TestSessionKeyNeedsMigrations(t *testing.T) {
	pool := pgstoretest.Migrated(t, &pg)
	if _, err := SessionKey(context.Background(), pool); !errors.Is(err, pgstore.ErrSchemaBehind) {
		t.Fatalf("err = %v, want pgstore.ErrSchemaBehind", err)
	}
}
