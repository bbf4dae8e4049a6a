package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/orders"
	"github.com/jackc/pgx/v5"
)

// copyPage is how many records CopyFrom writes in one transaction.
const copyPage = 500

// CopyFrom copies the order book of src (the bbolt store of a stopped
// gateway) into dst: each record dst lacks, in key order, with its
// warehouse index entries and pending mark in the same transaction (a
// page of records per transaction), the bytes as bbolt holds them; then
// the seeded mark. Records already in dst are kept: a second run, or one
// after an interrupted run, copies only what is missing. Then it
// verifies that dst holds exactly src's records, index entries, marks
// and seeded mark, byte for byte. See pgstore.CopyReport.
func CopyFrom(ctx context.Context, src *orders.Bolt, dst *Store) (pgstore.CopyReport, error) {
	r := pgstore.CopyReport{Store: Migrations.Store}
	c, err := src.Contents(ctx)
	if err != nil {
		return r, fmt.Errorf("orders: reading the source: %w", err)
	}
	r.Source = len(c.Records)
	index := map[string][]orders.Entry{} // record key → its warehouse entries
	for _, e := range c.ByWarehouse {
		index[string(e.Value)] = append(index[string(e.Value)], e)
	}
	marks := map[string][]byte{}
	for _, e := range c.Pending {
		marks[string(e.Key)] = e.Value
	}
	for start := 0; start < len(c.Records); start += copyPage {
		page := c.Records[start:min(start+copyPage, len(c.Records))]
		copied := 0
		err := pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) error {
			copied = 0
			for _, e := range page {
				var id struct {
					Kind    string `json:"kind"`
					Partner string `json:"partner"`
					Number  string `json:"number"`
				}
				if err := json.Unmarshal(e.Value, &id); err != nil {
					return fmt.Errorf("record %q: %w", e.Key, err)
				}
				tag, err := tx.Exec(ctx, `INSERT INTO orders_records (k, kind, partner, number, record) VALUES ($1, $2, $3, $4, $5)
					ON CONFLICT (k) DO NOTHING`, e.Key, id.Kind, id.Partner, id.Number, e.Value)
				if err != nil {
					return err
				}
				if tag.RowsAffected() == 0 {
					continue // copied before, with its entries and mark
				}
				copied++
				for _, w := range index[string(e.Key)] {
					if _, err := tx.Exec(ctx, `INSERT INTO orders_by_warehouse (wk, k) VALUES ($1, $2)`, w.Key, w.Value); err != nil {
						return fmt.Errorf("warehouse order %q: %w", w.Key, err)
					}
				}
				if m, ok := marks[string(e.Key)]; ok {
					if _, err := tx.Exec(ctx, `INSERT INTO orders_pending (k, mark) VALUES ($1, $2)`, e.Key, m); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("orders: copying records from %q: %w", page[0].Key, err)
		}
		r.Copied += copied
		r.Present += len(page) - copied
	}
	if c.Seeded != nil {
		if _, err := dst.pool.Exec(ctx, `INSERT INTO orders_meta (name, value) VALUES ('seeded', $1) ON CONFLICT (name) DO NOTHING`,
			string(c.Seeded)); err != nil {
			return r, fmt.Errorf("orders: copying the seeded mark: %w", err)
		}
	}
	return r, verify(ctx, c, dst, &r)
}

// verify compares every table of dst with c.
func verify(ctx context.Context, c orders.Contents, dst *Store, r *pgstore.CopyReport) error {
	for _, p := range []struct {
		what string
		want []orders.Entry
		sql  string
	}{
		{"record", c.Records, `SELECT k, record FROM orders_records ORDER BY k`},
		{"warehouse order", c.ByWarehouse, `SELECT wk, k FROM orders_by_warehouse ORDER BY wk`},
		{"pending mark", c.Pending, `SELECT k, mark FROM orders_pending ORDER BY k`},
		{"seeded mark", seeded(c.Seeded), `SELECT convert_to(name, 'UTF8'), convert_to(value, 'UTF8') FROM orders_meta ORDER BY name`},
	} {
		rows, err := dst.pool.Query(ctx, p.sql)
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
		if err := sameEntries(r.Store, p.what, p.want, have); err != nil {
			return err
		}
		if p.what == "record" {
			r.Verified = len(have)
		}
	}
	return nil
}

func seeded(v []byte) []orders.Entry {
	if v == nil {
		return nil
	}
	return []orders.Entry{{Key: []byte("seeded"), Value: v}}
}

// sameEntries reports the first difference of two key-ordered lists as
// a pgstore.ErrCopyMismatch.
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
