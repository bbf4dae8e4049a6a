package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/divergence"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the divergence store.
var Migrations = pgstore.MustLoad("divergence", migrationFiles, "migrations")

// opTimeout bounds one call (divergence.Store takes no context).
const opTimeout = time.Minute

// Store is the divergence store in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

var (
	_ divergence.Store      = (*Store)(nil)
	_ divergence.AlertStore = (*Store)(nil)
)

// Open returns the divergence store in the database of pool, which must
// be migrated (Migrations). Close does not close the pool.
func Open(ctx context.Context, pool *pgxpool.Pool) (*Store, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("divergence: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close implements divergence.Store; the pool stays open.
func (s *Store) Close() error { return nil }

// Report implements divergence.Store.
func (s *Store) Report(figures []divergence.Reported) error {
	if len(figures) == 0 {
		return nil
	}
	// One row per key (an upsert may not touch a row twice): the last
	// figure given wins, as on bbolt.
	type key struct{ partner, sku, loc string }
	last := make(map[key]int, len(figures))
	for i, f := range figures {
		last[key{f.Partner, f.SKU, f.Location}] = i
	}
	n := len(last)
	partners, skus, locs := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	qs, ats := make([]int64, 0, n), make([]time.Time, 0, n)
	for i, f := range figures {
		if last[key{f.Partner, f.SKU, f.Location}] != i {
			continue
		}
		partners, skus, locs = append(partners, f.Partner), append(skus, f.SKU), append(locs, f.Location)
		qs, ats = append(qs, f.Quantity), append(ats, f.At)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := s.upsert(ctx, partners, skus, locs, qs, ats); err != nil {
		return fmt.Errorf("divergence: reporting %d figures: %w", n, err)
	}
	return nil
}

// upsert writes the figures in one round trip. The rows are locked in
// key order, so that two reports of the same positions never deadlock;
// and the commit does not wait for its WAL flush (synchronous_commit
// off), so that the rows every file of a partner's feed updates are not
// held through one: the figures are the partner's latest, kept for the
// report, and the gateway finishes the message that brought them with a
// synchronous commit, which flushes them too (the WAL is flushed in
// order). A crash of the database before then loses them with that
// message's processing, which is done again.
func (s *Store) upsert(ctx context.Context, partners, skus, locs []string, qs []int64, ats []time.Time) error {
	p, err := pgstore.BeginPipe(ctx, s.pool, true)
	if err != nil {
		return err
	}
	defer p.Release()
	b := p.Batch()
	b.Queue(`INSERT INTO divergence_reported (partner, sku, location, quantity, at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[]) ORDER BY 1, 2, 3
		ON CONFLICT (partner, sku, location) DO UPDATE SET quantity = excluded.quantity, at = excluded.at`,
		partners, skus, locs, qs, ats)
	return p.Commit(ctx, b, nil)
}

// Reported implements divergence.Store.
func (s *Store) Reported() ([]divergence.Reported, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT partner, sku, location, quantity, at FROM divergence_reported ORDER BY partner, sku, location`)
	if err != nil {
		return nil, fmt.Errorf("divergence: %w", err)
	}
	var out []divergence.Reported
	var r divergence.Reported
	_, err = pgx.ForEachRow(rows, []any{&r.Partner, &r.SKU, &r.Location, &r.Quantity, &r.At}, func() error {
		r.At = r.At.UTC()
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("divergence: %w", err)
	}
	return out, nil
}

// Track implements divergence.Store, in one transaction.
func (s *Store) Track(rows []divergence.Row, now time.Time) error {
	keys := make([][]byte, len(rows)) // a key holds zero bytes: bytea
	for i := range rows {
		keys[i] = []byte(rows[i].Key())
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	since := map[string]time.Time{}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		clear(since)
		if _, err := tx.Exec(ctx, `DELETE FROM divergence_since WHERE NOT (key = ANY($1))`, keys); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO divergence_since (key, since) SELECT k, $2 FROM unnest($1::bytea[]) k
			ON CONFLICT (key) DO NOTHING`, keys, now.UTC()); err != nil {
			return err
		}
		res, _ := tx.Query(ctx, `SELECT key, since FROM divergence_since WHERE key = ANY($1)`, keys)
		var k []byte
		var t time.Time
		_, err := pgx.ForEachRow(res, []any{&k, &t}, func() error { since[string(k)] = t.UTC(); return nil })
		return err
	})
	if err != nil {
		return fmt.Errorf("divergence: tracking %d divergences: %w", len(rows), err)
	}
	for i := range rows {
		rows[i].Since = since[string(keys[i])]
	}
	return nil
}

// MarkAlerted implements divergence.AlertStore: one statement marks the
// rows not marked yet and returns them, so of two nodes marking at once
// exactly one gets each row. A row not tracked yet is tracked from its
// Since. Leader-only work's call is fenced (clusterpg.FenceIfTerm) in
// the same transaction.
func (s *Store) MarkAlerted(ctx context.Context, rows []divergence.Row) ([]string, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	keys, since := make([][]byte, len(rows)), make([]time.Time, len(rows))
	for i := range rows {
		keys[i], since[i] = []byte(rows[i].Key()), rows[i].Since.UTC()
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	var fresh []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		fresh = fresh[:0]
		if err := clusterpg.FenceIfTerm(ctx, tx); err != nil {
			return err
		}
		res, _ := tx.Query(ctx, `INSERT INTO divergence_since AS d (key, since, alerted_at)
			SELECT k, s, now() FROM unnest($1::bytea[], $2::timestamptz[]) AS u(k, s)
			ON CONFLICT (key) DO UPDATE SET alerted_at = now() WHERE d.alerted_at IS NULL
			RETURNING key`, keys, since)
		var k []byte
		_, err := pgx.ForEachRow(res, []any{&k}, func() error { fresh = append(fresh, string(k)); return nil })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("divergence: marking %d divergences told of: %w", len(rows), err)
	}
	return fresh, nil
}
