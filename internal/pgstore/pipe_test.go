package pgstore

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestPipe: a pipelined transaction commits what its batches wrote when
// every statement succeeded, whatever the reading of the last batch's
// results returns; a failing statement skips the COMMIT after it, and
// Release rolls back (also a pipe left open) and returns a usable
// connection; an async pipe commits with synchronous_commit off.
func TestPipe(t *testing.T) {
	ctx := context.Background()
	pool := openPool(t, pg.Database(t))
	if _, err := pool.Exec(ctx, `CREATE TABLE t (k int PRIMARY KEY, v text)`); err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	run := func(async bool, second string, read func(pgx.BatchResults) error) error {
		p, err := BeginPipe(ctx, pool, async)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Release()
		b := p.Batch()
		b.Queue(`INSERT INTO t VALUES (1, 'a') ON CONFLICT (k) DO UPDATE SET v = t.v || 'a' RETURNING v`)
		b.Queue(`SHOW synchronous_commit`)
		br, err := p.Send(ctx, b)
		if err != nil {
			return err
		}
		var v, sync string
		if err := br.QueryRow().Scan(&v); err != nil {
			t.Fatal(err)
		}
		if err := br.QueryRow().Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]string{true: "off", false: "on"}[async]; sync != want {
			t.Errorf("async %v: synchronous_commit %s in the transaction", async, sync)
		}
		if err := br.Close(); err != nil {
			t.Fatal(err)
		}
		if second == "" {
			return nil // left open: Release rolls back
		}
		b = p.Batch()
		b.Queue(second)
		return p.Commit(ctx, b, read)
	}
	if err := run(false, `INSERT INTO t VALUES (2, 'b')`, nil); err != nil || count() != 2 {
		t.Fatalf("committed: %v, %d rows", err, count())
	}
	if err := run(true, `INSERT INTO t VALUES (2, 'again')`, nil); err == nil || count() != 2 {
		t.Fatalf("a failing statement: %v, %d rows", err, count())
	}
	var v string
	if pool.QueryRow(ctx, `SELECT v FROM t WHERE k = 1`).Scan(&v); v != "a" {
		t.Errorf("the failed pipe's first batch was kept: %q", v)
	}
	if err := run(true, "", nil); err != nil {
		t.Fatal(err)
	}
	if pool.QueryRow(ctx, `SELECT v FROM t WHERE k = 1`).Scan(&v); v != "a" {
		t.Errorf("a pipe left open kept %q", v)
	}
	stop := errors.New("stop")
	if err := run(true, `INSERT INTO t VALUES (3, 'c') RETURNING k`, func(br pgx.BatchResults) error { return stop }); err != stop {
		t.Fatalf("a read error: %v", err)
	}
	if pool.QueryRow(ctx, `SELECT v FROM t WHERE k = 1`).Scan(&v); v != "aa" || count() != 3 {
		t.Errorf("after an async commit whose results were not read: %q, %d rows", v, count())
	}
}
