package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Migration is one versioned change of a store's schema.
type Migration struct {
	Version int    // 1, 2, 3… within its set
	Name    string // the file name, e.g. 0001_entries.sql
	SQL     string
}

// Set is the migrations of one store, oldest first.
type Set struct {
	Store      string // the store's name in schema_migrations: "audit", "inbox"
	Migrations []Migration
}

// Latest returns the version the set brings a database to.
func (s Set) Latest() int { return len(s.Migrations) }

var fileName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// Load reads the migrations of store from the .sql files of dir in fsys
// (an embed.FS, usually): files NNNN_what.sql, numbered from 0001 without
// gaps.
func Load(store string, fsys fs.FS, dir string) (Set, error) {
	set := Set{Store: store}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return set, fmt.Errorf("%w: %s: %w", ErrMigration, store, err)
	}
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return set, fmt.Errorf("%w: %s: %s is not named NNNN_what.sql", ErrMigration, store, e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return set, fmt.Errorf("%w: %s: %w", ErrMigration, store, err)
		}
		set.Migrations = append(set.Migrations, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	slices.SortFunc(set.Migrations, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range set.Migrations {
		if m.Version != i+1 {
			return set, fmt.Errorf("%w: %s: %s: expected version %04d", ErrMigration, store, m.Name, i+1)
		}
	}
	return set, nil
}

// MustLoad is Load for a store's embedded migrations, which a test
// checks: it panics on an error.
func MustLoad(store string, fsys fs.FS, dir string) Set {
	s, err := Load(store, fsys, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// Applied is one migration Migrate applied.
type Applied struct {
	Store   string
	Version int
	Name    string
}

// lockKey is the advisory lock every migration transaction takes
// ("dockside" as a number).
const lockKey int64 = 0x646f636b73696465

const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	store      text NOT NULL,
	version    integer NOT NULL,
	name       text NOT NULL,
	checksum   text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (store, version))`

// Migrate brings the database up to every set's latest version and
// returns what it applied (nothing when it was current). Each migration
// runs in its own transaction under a transaction-scoped advisory lock,
// so nodes migrating together do not race.
func Migrate(ctx context.Context, pool *pgxpool.Pool, sets ...Set) ([]Applied, error) {
	var done []Applied
	for _, set := range sets {
		for _, m := range set.Migrations {
			applied, err := apply(ctx, pool, set.Store, m)
			if err != nil {
				return done, fmt.Errorf("pgstore: migrating %s to %04d (%s): %w", set.Store, m.Version, m.Name, err)
			}
			if applied {
				done = append(done, Applied{Store: set.Store, Version: m.Version, Name: m.Name})
			}
		}
		if err := Require(ctx, pool, set); err != nil {
			return done, err
		}
	}
	return done, nil
}

// apply applies m unless it is already recorded; it reports whether it
// applied it.
func apply(ctx context.Context, pool *pgxpool.Pool, store string, m Migration) (bool, error) {
	sum := checksum(m.SQL)
	applied := false
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, createTable); err != nil {
			return err
		}
		var have string
		err := tx.QueryRow(ctx, "SELECT checksum FROM schema_migrations WHERE store = $1 AND version = $2", store, m.Version).Scan(&have)
		switch {
		case err == nil && have == sum:
			return nil
		case err == nil:
			return fmt.Errorf("%w: recorded checksum %s, this program's %s", ErrChanged, have, sum)
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (store, version, name, checksum) VALUES ($1, $2, $3, $4)",
			store, m.Version, m.Name, sum); err != nil {
			return err
		}
		applied = true
		return nil
	})
	return applied && err == nil, err
}

// Require checks that the database has exactly the migrations of set:
// ErrSchemaBehind when some are missing, ErrSchemaAhead when it has newer
// ones, ErrChanged when one differs.
func Require(ctx context.Context, pool *pgxpool.Pool, set Set) error {
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return fmt.Errorf("pgstore: %s: reading schema version: %w", set.Store, err)
	}
	have := map[int]string{}
	if exists {
		rows, err := pool.Query(ctx, "SELECT version, checksum FROM schema_migrations WHERE store = $1", set.Store)
		if err != nil {
			return fmt.Errorf("pgstore: %s: reading schema version: %w", set.Store, err)
		}
		var v int
		var sum string
		if _, err := pgx.ForEachRow(rows, []any{&v, &sum}, func() error { have[v] = sum; return nil }); err != nil {
			return fmt.Errorf("pgstore: %s: reading schema version: %w", set.Store, err)
		}
	}
	for _, m := range set.Migrations {
		sum, ok := have[m.Version]
		if !ok {
			return fmt.Errorf("%w: %s lacks %s", ErrSchemaBehind, set.Store, m.Name)
		}
		if sum != checksum(m.SQL) {
			return fmt.Errorf("%w: %s %s", ErrChanged, set.Store, m.Name)
		}
	}
	if len(have) > len(set.Migrations) {
		return fmt.Errorf("%w: %s at version %d, this program knows %d", ErrSchemaAhead, set.Store, len(have), len(set.Migrations))
	}
	return nil
}

func checksum(sql string) string {
	h := sha256.Sum256([]byte(sql))
	return hex.EncodeToString(h[:])
}
