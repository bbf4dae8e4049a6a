package postgres

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the order book.
var Migrations = pgstore.MustLoad("orders", migrationFiles, "migrations")

// Store is the order book in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

var _ orders.Store = (*Store)(nil)

// Open returns the order book in the database of pool, which must be
// migrated (Migrations). Close does not close the pool: its owner does.
func Open(ctx context.Context, pool *pgxpool.Pool) (*Store, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close implements orders.Store; the pool stays open.
func (s *Store) Close() error { return nil }

// noun names a kind of record, for errors.
func noun(kind mapping.OrderKind) string {
	if kind == mapping.KindOrder {
		return "order"
	}
	return string(kind)
}

func decode(v []byte) (*orders.Record, error) {
	r := &orders.Record{}
	if err := json.Unmarshal(v, r); err != nil {
		return nil, err
	}
	return r, nil
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func getRecord(ctx context.Context, q querier, key []byte) (*orders.Record, error) {
	var v []byte
	err := q.QueryRow(ctx, `SELECT record FROM orders_records WHERE k = $1`, key).Scan(&v)
	if err != nil {
		return nil, err
	}
	return decode(v)
}

// Get implements orders.Store.
func (s *Store) Get(ctx context.Context, kind mapping.OrderKind, partner, number string) (*orders.Record, error) {
	r, err := getRecord(ctx, s.pool, orders.KindKey(kind, partner, number))
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("%s %s of %s: %w", noun(kind), number, partner, orders.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	return r, nil
}

// put stores r and its warehouse index entries in tx. The record's row
// is written first, which locks it: two puts of one record queue up.
func put(ctx context.Context, tx pgx.Tx, r *orders.Record) error {
	key := orders.KindKey(r.Kind, r.Partner, r.Number)
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO orders_records (k, kind, partner, number, record) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (k) DO UPDATE SET record = excluded.record`, key, string(r.Kind), r.Partner, r.Number, v)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM orders_by_warehouse WHERE k = $1`, key); err != nil {
		return err
	}
	// In key order: two records taking the same warehouse orders lock
	// them in one order, never in a circle.
	ds := slices.SortedFunc(slices.Values(r.Dispatches), func(a, b orders.Dispatch) int {
		return bytes.Compare(orders.Key(a.Warehouse, a.Order), orders.Key(b.Warehouse, b.Order))
	})
	for _, d := range ds {
		wk := orders.Key(d.Warehouse, d.Order)
		// Taken by another record: no row comes back. A concurrent
		// insert of the same warehouse order waits for that one's
		// commit, then sees it.
		var holder []byte
		err := tx.QueryRow(ctx, `INSERT INTO orders_by_warehouse (wk, k) VALUES ($1, $2)
			ON CONFLICT (wk) DO UPDATE SET k = excluded.k WHERE orders_by_warehouse.k = excluded.k
			RETURNING k`, wk, key).Scan(&holder)
		if errors.Is(err, pgx.ErrNoRows) {
			if err := tx.QueryRow(ctx, `SELECT k FROM orders_by_warehouse WHERE wk = $1`, wk).Scan(&holder); err != nil {
				return err
			}
			return fmt.Errorf("order %s at %s is held by %s: %w", d.Order, d.Warehouse, bytes.ReplaceAll(holder, []byte{0}, []byte(" order ")), orders.ErrOrderTaken)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// remove deletes the record under key and its index entries.
func remove(ctx context.Context, tx pgx.Tx, key []byte) error {
	if _, err := tx.Exec(ctx, `DELETE FROM orders_by_warehouse WHERE k = $1`, key); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM orders_records WHERE k = $1`, key)
	return err
}

// Put implements orders.Store.
func (s *Store) Put(ctx context.Context, r *orders.Record) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return put(ctx, tx, r) })
	if err != nil {
		return fmt.Errorf("orders: recording order %s of %s: %w", r.Number, r.Partner, err)
	}
	return nil
}

// Delete implements orders.Store.
func (s *Store) Delete(ctx context.Context, kind mapping.OrderKind, partner, number string) error {
	key := orders.KindKey(kind, partner, number)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := remove(ctx, tx, key); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM orders_pending WHERE k = $1`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("orders: deleting %s %s of %s: %w", noun(kind), number, partner, err)
	}
	return nil
}

// ByWarehouse implements orders.Store.
func (s *Store) ByWarehouse(ctx context.Context, warehouse, order string) (*orders.Record, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT r.record FROM orders_by_warehouse w JOIN orders_records r ON r.k = w.k WHERE w.wk = $1`,
		orders.Key(warehouse, order)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("order %s at warehouse %s: %w", order, warehouse, orders.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	r, err := decode(v)
	if err != nil {
		return nil, fmt.Errorf("orders: order %s at warehouse %s: %w", order, warehouse, err)
	}
	return r, nil
}

// listPage is how many rows List reads at a time while Match drops some.
const listPage = 500

// List implements orders.Store.
func (s *Store) List(ctx context.Context, f orders.Filter) ([]*orders.Record, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	after := f.After
	var out []*orders.Record
	for len(out) < limit {
		rows, err := s.pool.Query(ctx, `SELECT k, record FROM orders_records
			WHERE kind = '' AND ($1::text = '' OR partner = $1) AND ($2::bytea IS NULL OR k > $2)
			ORDER BY k LIMIT $3`, f.Partner, after, listPage)
		if err != nil {
			return nil, fmt.Errorf("orders: listing: %w", err)
		}
		n := 0
		var k, v []byte
		_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error {
			n++
			after = bytes.Clone(k)
			if len(out) >= limit {
				return nil
			}
			r, err := decode(v)
			if err != nil {
				return fmt.Errorf("order %q: %w", k, err)
			}
			if f.Match == nil || f.Match(r) {
				out = append(out, r)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("orders: listing: %w", err)
		}
		if n < listPage {
			break
		}
	}
	return out, nil
}

// Seed implements orders.Store.
func (s *Store) Seed(ctx context.Context, rs []*orders.Record) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, r := range rs {
			if err := put(ctx, tx, r); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO orders_meta (name, value) VALUES ('seeded', $1)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, time.Now().UTC().Format(time.RFC3339))
		return err
	})
	if err != nil {
		return fmt.Errorf("orders: seeding: %w", err)
	}
	return nil
}

// Seeded implements orders.Store.
func (s *Store) Seeded(ctx context.Context) (bool, error) {
	var seeded bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM orders_meta WHERE name = 'seeded')`).Scan(&seeded)
	if err != nil {
		return false, fmt.Errorf("orders: %w", err)
	}
	return seeded, nil
}

// Begin implements orders.Store.
func (s *Store) Begin(ctx context.Context, cs []orders.Change) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, c := range cs {
			mark, err := json.Marshal(c)
			if err != nil {
				return err
			}
			if err := put(ctx, tx, c.Next); err != nil {
				return fmt.Errorf("%s %s of %s: %w", noun(c.Next.Kind), c.Next.Number, c.Next.Partner, err)
			}
			_, err = tx.Exec(ctx, `INSERT INTO orders_pending (k, mark) VALUES ($1, $2)
				ON CONFLICT (k) DO UPDATE SET mark = excluded.mark`, orders.KindKey(c.Next.Kind, c.Next.Partner, c.Next.Number), mark)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("orders: recording %d orders before their posting: %w", len(cs), err)
	}
	return nil
}

// Mark implements orders.Store.
func (s *Store) Mark(ctx context.Context, kind mapping.OrderKind, partner, number string) (*orders.Change, error) {
	var mark, rec []byte
	err := s.pool.QueryRow(ctx, `SELECT p.mark, r.record FROM orders_pending p LEFT JOIN orders_records r ON r.k = p.k WHERE p.k = $1`,
		orders.KindKey(kind, partner, number)).Scan(&mark, &rec)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	c := &orders.Change{}
	if err == nil {
		err = json.Unmarshal(mark, c)
	}
	if err == nil && rec != nil {
		c.Next, err = decode(rec)
	}
	if err != nil {
		return nil, fmt.Errorf("orders: reading the pending mark of %s %s of %s: %w", noun(kind), number, partner, err)
	}
	return c, nil
}

// End implements orders.Store.
func (s *Store) End(ctx context.Context, os []orders.Outcome) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, o := range os {
			key := orders.KindKey(o.Kind, o.Partner, o.Number)
			// Deleting the mark first locks it: a mark settled by two
			// nodes at once is settled by one.
			var v []byte
			err := tx.QueryRow(ctx, `DELETE FROM orders_pending WHERE k = $1 RETURNING mark`, key).Scan(&v)
			if errors.Is(err, pgx.ErrNoRows) {
				v, err = nil, nil
			}
			if err != nil {
				return err
			}
			switch {
			case o.Posted && o.Record != nil:
				err = put(ctx, tx, o.Record)
			case o.Posted || v == nil:
				// the record stays
			default:
				var mark orders.Change
				if err := json.Unmarshal(v, &mark); err != nil {
					return err
				}
				if mark.Prev != nil {
					err = put(ctx, tx, mark.Prev)
				} else {
					err = remove(ctx, tx, key)
				}
			}
			if err != nil {
				return fmt.Errorf("%s %s of %s: %w", noun(o.Kind), o.Number, o.Partner, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("orders: settling %d orders after their posting: %w", len(os), err)
	}
	return nil
}

// Marked implements orders.Store.
func (s *Store) Marked(ctx context.Context) ([]*orders.Record, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.k, r.record FROM orders_pending p JOIN orders_records r ON r.k = p.k ORDER BY p.k`)
	if err != nil {
		return nil, fmt.Errorf("orders: listing pending records: %w", err)
	}
	var out []*orders.Record
	var k, v []byte
	_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error {
		r, err := decode(v)
		if err != nil {
			return fmt.Errorf("order %q: %w", k, err)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("orders: listing pending records: %w", err)
	}
	return out, nil
}
