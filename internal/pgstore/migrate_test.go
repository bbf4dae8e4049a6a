package pgstore

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

func openPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func testSet(files map[string]string) Set {
	fsys := fstest.MapFS{}
	for name, sql := range files {
		fsys["m/"+name] = &fstest.MapFile{Data: []byte(sql)}
	}
	return MustLoad("test", fsys, "m")
}

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		ok    bool
	}{
		{"in order", []string{"0001_a.sql", "0002_b.sql"}, true},
		{"empty", nil, true},
		{"gap", []string{"0001_a.sql", "0003_c.sql"}, false},
		{"not from one", []string{"0002_b.sql"}, false},
		{"misnamed", []string{"0001_a.sql", "2_b.sql"}, false},
		{"not sql", []string{"0001_a.txt"}, false},
		{"twice", []string{"0001_a.sql", "0001_b.sql"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"m": &fstest.MapFile{Mode: os.ModeDir}}
			for _, f := range tc.files {
				fsys["m/"+f] = &fstest.MapFile{Data: []byte("SELECT 1")}
			}
			set, err := Load("x", fsys, "m")
			if tc.ok && (err != nil || set.Latest() != len(tc.files)) {
				t.Errorf("Load: %v (%d migrations)", err, set.Latest())
			}
			if !tc.ok && !errors.Is(err, ErrMigration) {
				t.Errorf("Load: %v, want ErrMigration", err)
			}
		})
	}
}

// TestMigrateConcurrently: several nodes migrating one database at once
// apply every migration exactly once, and all end current.
func TestMigrateConcurrently(t *testing.T) {
	url := pg.Database(t)
	set := testSet(map[string]string{
		"0001_t.sql": "CREATE TABLE t (id bigint PRIMARY KEY); INSERT INTO t VALUES (1);",
		"0002_u.sql": "ALTER TABLE t ADD COLUMN u text; INSERT INTO t VALUES (2, 'two');",
		"0003_v.sql": "CREATE INDEX t_u ON t (u);",
	})
	const nodes = 4
	applied := make([][]Applied, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		pool := openPool(t, url) // one pool per node
		wg.Go(func() { applied[i], errs[i] = Migrate(context.Background(), pool, set) })
	}
	wg.Wait()
	total := 0
	for i := range nodes {
		if errs[i] != nil {
			t.Errorf("node %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	if total != 3 {
		t.Errorf("%d migrations applied in all, want 3: %v", total, applied)
	}
	pool := openPool(t, url)
	var rows int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM t").Scan(&rows); err != nil || rows != 2 {
		t.Errorf("%d rows in t (%v): a migration ran twice or not at all", rows, err)
	}
	if again, err := Migrate(context.Background(), pool, set); err != nil || len(again) != 0 {
		t.Errorf("migrating a current database: %v %v", again, err)
	}
}

// TestMigrateFailureRollsBack: a failing migration leaves neither its
// changes nor its record, and the ones before it stay.
func TestMigrateFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	pool := openPool(t, pg.Database(t))
	set := testSet(map[string]string{
		"0001_t.sql":   "CREATE TABLE t (id int);",
		"0002_bad.sql": "CREATE TABLE half (id int); SELECT no_such_function();",
	})
	done, err := Migrate(ctx, pool, set)
	if err == nil || len(done) != 1 {
		t.Fatalf("applied %v, error %v", done, err)
	}
	var half bool
	pool.QueryRow(ctx, "SELECT to_regclass('half') IS NOT NULL").Scan(&half)
	if half {
		t.Errorf("the failed migration's table stayed")
	}
	if err := Require(ctx, pool, set); !errors.Is(err, ErrSchemaBehind) {
		t.Errorf("Require: %v, want ErrSchemaBehind", err)
	}
}

// TestRequire: a store refuses a database behind, ahead of, or changed
// from its migrations.
func TestRequire(t *testing.T) {
	ctx := context.Background()
	pool := openPool(t, pg.Database(t))
	one := testSet(map[string]string{"0001_t.sql": "CREATE TABLE t (id int);"})
	two := testSet(map[string]string{"0001_t.sql": "CREATE TABLE t (id int);", "0002_u.sql": "CREATE TABLE u (id int);"})
	changed := testSet(map[string]string{"0001_t.sql": "CREATE TABLE t (id bigint);"})
	if err := Require(ctx, pool, one); !errors.Is(err, ErrSchemaBehind) {
		t.Errorf("empty database: %v", err)
	}
	if _, err := Migrate(ctx, pool, two); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		set  Set
		want error
	}{{two, nil}, {one, ErrSchemaAhead}, {changed, ErrChanged}} {
		if err := Require(ctx, pool, tc.set); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%v: %v, want %v", tc.set.Migrations, err, tc.want)
		}
	}
	if _, err := Migrate(ctx, pool, changed); !errors.Is(err, ErrChanged) {
		t.Errorf("migrating with a changed migration: %v", err)
	}
}

func TestOpenRefusesOtherURLs(t *testing.T) {
	for _, u := range []string{"", "bolt:///data", "mysql://u:secret@h/db"} {
		if _, err := Open(context.Background(), u); !errors.Is(err, ErrURL) {
			t.Errorf("%q: %v", u, err)
		}
	}
	if r := Redact("postgres://u:secret@h/db"); r != "postgres://u:xxxxx@h/db" {
		t.Errorf("redacted %q", r)
	}
}

// TestOpenBoundsIdleTransactions: a pool's sessions end a transaction
// left idle, unless the URL says otherwise.
func TestOpenBoundsIdleTransactions(t *testing.T) {
	url := pg.Database(t)
	for _, tc := range []struct{ url, want string }{
		{url, "1min"},
		{url + "&idle_in_transaction_session_timeout=5000", "5s"},
	} {
		var got string
		if err := openPool(t, tc.url).QueryRow(context.Background(), "SHOW idle_in_transaction_session_timeout").Scan(&got); err != nil || got != tc.want {
			t.Errorf("%s: %q %v, want %q", tc.url, got, err, tc.want)
		}
	}
}
