package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/orders"
	"github.com/jackc/pgx/v5"
)

// copyPage is how many records CopyFrom writes in one transaction, and
// how many entries it reads and verifies at a time.
const copyPage = 500

// CopyFrom copies the order book of src (the bbolt store of a stopped
// gateway) into dst: each record dst lacks, in key order, a page per
// transaction, the bytes as bbolt holds them, with its warehouse index
// entries (from its dispatches, as every Put indexes them) and its
// pending mark in the same transaction; then the seeded mark. Records
// already in dst are kept: a second run, or one after an interrupted
// run, copies only what is missing. Then it verifies, page by page, that
// dst holds exactly src's records, index entries and marks, byte for
// byte, and its seeded mark. Memory is bounded by a page. See
// pgstore.CopyReport.
func CopyFrom(ctx context.Context, src *orders.Bolt, dst *Store) (pgstore.CopyReport, error) {
	r := pgstore.CopyReport{Store: Migrations.Store}
	for after := []byte(nil); ; {
		page, err := src.Entries(ctx, orders.PartRecords, after, copyPage)
		if err != nil {
			return r, err
		}
		if len(page) == 0 {
			break
		}
		copied := 0
		err = pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) error {
			copied = 0
			for _, e := range page {
				ok, err := copyRecord(ctx, src, tx, e)
				if err != nil {
					return fmt.Errorf("record %q: %w", e.Key, err)
				}
				if ok {
					copied++
				}
			}
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("orders: copying: %w", err)
		}
		r.Source += len(page)
		r.Copied += copied
		r.Present += len(page) - copied
		after = page[len(page)-1].Key
	}
	seeded, err := src.SeededAt()
	if err != nil {
		return r, fmt.Errorf("orders: reading the source: %w", err)
	}
	if seeded != nil {
		if _, err := dst.pool.Exec(ctx, `INSERT INTO orders_meta (name, value) VALUES ('seeded', $1) ON CONFLICT (name) DO NOTHING`,
			string(seeded)); err != nil {
			return r, fmt.Errorf("orders: copying the seeded mark: %w", err)
		}
	}
	return r, verify(ctx, src, seeded, dst, &r)
}

// copyRecord writes e, its warehouse index entries and its pending mark
// in tx, unless dst has the record; it reports whether it wrote it.
func copyRecord(ctx context.Context, src *orders.Bolt, tx pgx.Tx, e orders.Entry) (bool, error) {
	var rec struct {
		Kind       string `json:"kind"`
		Partner    string `json:"partner"`
		Number     string `json:"number"`
		Dispatches []struct {
			Warehouse string `json:"warehouse"`
			Order     string `json:"order"`
		} `json:"dispatches"`
	}
	if err := json.Unmarshal(e.Value, &rec); err != nil {
		return false, err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO orders_records (k, kind, partner, number, record) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (k) DO NOTHING`, e.Key, rec.Kind, rec.Partner, rec.Number, e.Value)
	if err != nil || tag.RowsAffected() == 0 {
		return false, err // copied before, with its entries and mark
	}
	for _, d := range rec.Dispatches {
		if _, err := tx.Exec(ctx, `INSERT INTO orders_by_warehouse (wk, k) VALUES ($1, $2) ON CONFLICT (wk) DO NOTHING`,
			orders.Key(d.Warehouse, d.Order), e.Key); err != nil {
			return false, fmt.Errorf("warehouse order %s at %s: %w", d.Order, d.Warehouse, err)
		}
	}
	mark, err := src.Entry(orders.PartPending, e.Key)
	if err != nil {
		return false, err
	}
	if mark != nil {
		if _, err := tx.Exec(ctx, `INSERT INTO orders_pending (k, mark) VALUES ($1, $2)`, e.Key, mark); err != nil {
			return false, err
		}
	}
	return true, nil
}

// verify compares every table of dst with src, a page at a time.
func verify(ctx context.Context, src *orders.Bolt, seeded []byte, dst *Store, r *pgstore.CopyReport) error {
	for _, p := range []struct {
		what string
		part orders.Part
		sql  string
	}{
		{"record", orders.PartRecords, `SELECT k, record FROM orders_records WHERE k > $1 ORDER BY k LIMIT $2`},
		{"warehouse order", orders.PartByWarehouse, `SELECT wk, k FROM orders_by_warehouse WHERE wk > $1 ORDER BY wk LIMIT $2`},
		{"pending mark", orders.PartPending, `SELECT k, mark FROM orders_pending WHERE k > $1 ORDER BY k LIMIT $2`},
	} {
		for after := []byte{}; ; {
			want, err := src.Entries(ctx, p.part, after, copyPage)
			if err != nil {
				return fmt.Errorf("orders: verifying: %w", err)
			}
			rows, err := dst.pool.Query(ctx, p.sql, after, copyPage)
			if err != nil {
				return fmt.Errorf("orders: verifying: %w", err)
			}
			have, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (orders.Entry, error) {
				var e orders.Entry
				err := row.Scan(&e.Key, &e.Value)
				return e, err
			})
			if err != nil {
				return fmt.Errorf("orders: verifying: %w", err)
			}
			if err := sameEntries(r.Store, p.what, want, have); err != nil {
				return err
			}
			if p.part == orders.PartRecords {
				r.Verified += len(want)
			}
			if len(want) == 0 {
				break
			}
			after = want[len(want)-1].Key
		}
	}
	var have []byte
	err := dst.pool.QueryRow(ctx, `SELECT convert_to(value, 'UTF8') FROM orders_meta WHERE name = 'seeded'`).Scan(&have)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("orders: verifying: %w", err)
	}
	if !bytes.Equal(have, seeded) {
		return pgstore.Mismatch(r.Store, "seeded mark", fmt.Sprintf("PostgreSQL has %q, bbolt %q", have, seeded))
	}
	return nil
}

// sameEntries reports the first difference of two key-ordered pages
// read from the same key on as a pgstore.ErrCopyMismatch. A page of
// PostgreSQL may only be longer when bbolt's ended.
func sameEntries(store, what string, want, have []orders.Entry) error {
	for i, w := range want {
		switch {
		case i >= len(have) || bytes.Compare(have[i].Key, w.Key) > 0:
			return pgstore.Mismatch(store, fmt.Sprintf("%s %q", what, w.Key), "missing in PostgreSQL")
		case bytes.Compare(have[i].Key, w.Key) < 0:
			return pgstore.Mismatch(store, fmt.Sprintf("%s %q", what, have[i].Key), "in PostgreSQL, not in bbolt")
		case !bytes.Equal(have[i].Value, w.Value):
			return pgstore.Mismatch(store, fmt.Sprintf("%s %q", what, w.Key), fmt.Sprintf("PostgreSQL has %q, bbolt %q", have[i].Value, w.Value))
		}
	}
	if len(have) > len(want) {
		return pgstore.Mismatch(store, fmt.Sprintf("%s %q", what, have[len(want)].Key), "in PostgreSQL, not in bbolt")
	}
	return nil
}
