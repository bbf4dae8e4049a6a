package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/jackc/pgx/v5"
)

// copyPage is how many broadcasts CopyFrom writes in one transaction.
const copyPage = 200

// CopyFrom copies the broadcast state of src (the bbolt store of a
// stopped gateway) into dst: each broadcast dst lacks, oldest first,
// with the figures it told (COPY) in its page's transaction; then each
// partner dst lacks, with its state, the figures its channel holds and
// its unknown SKUs in one transaction; then it moves dst's ID sequence
// past the copied IDs. What dst has is kept: a second run, or one after
// an interrupted run, copies only what is missing. Then it verifies
// every broadcast (record and figures told) and every partner (state,
// held and unknown figures) of src against dst. Source counts
// broadcasts and partners. See pgstore.CopyReport.
func CopyFrom(ctx context.Context, src *broadcast.BoltStore, dst *Store) (pgstore.CopyReport, error) {
	r := pgstore.CopyReport{Store: Migrations.Store}
	for after := uint64(0); ; {
		page, err := src.Broadcasts(after, copyPage)
		if err != nil {
			return r, err
		}
		if len(page) == 0 {
			break
		}
		told := make([]map[string]int64, len(page))
		for i, b := range page {
			if told[i], err = src.Told(b.ID); err != nil {
				return r, fmt.Errorf("broadcast: figures of %d: %w", b.ID, err)
			}
		}
		copied := 0
		err = pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) error {
			copied = 0
			for i := range page {
				b := &page[i]
				v, err := json.Marshal(b)
				if err != nil {
					return err
				}
				tag, err := tx.Exec(ctx, `INSERT INTO broadcast_broadcasts (id, partner, open, pending, record) VALUES ($1, $2, $3, $4, $5)
					ON CONFLICT (id) DO NOTHING`, int64(b.ID), b.Partner, open(b), pending(b), v)
				if err != nil {
					return err
				}
				if tag.RowsAffected() == 0 {
					continue // copied before, with its figures
				}
				copied++
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{"broadcast_told"}, []string{"id", "sku", "qty"},
					pgx.CopyFromRows(rowsOf(int64(b.ID), told[i]))); err != nil {
					return fmt.Errorf("figures of broadcast %d: %w", b.ID, err)
				}
			}
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("broadcast: copying broadcasts after %d: %w", after, err)
		}
		r.Source += len(page)
		r.Copied += copied
		after = page[len(page)-1].ID
	}
	if _, err := dst.pool.Exec(ctx, `SELECT setval('broadcast_ids', GREATEST((SELECT max(id) FROM broadcast_broadcasts), 1))`); err != nil {
		return r, fmt.Errorf("broadcast: advancing the ids: %w", err)
	}
	partners, err := src.Partners()
	if err != nil {
		return r, err
	}
	for _, p := range partners {
		err := pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) error {
			s := p.State
			tag, err := tx.Exec(ctx, `INSERT INTO broadcast_partners (partner, examined, last, last_sent, split) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (partner) DO NOTHING`, p.Partner, int64(s.Examined), int64(s.Last), int64(s.LastSent), s.Split)
			if err != nil || tag.RowsAffected() == 0 {
				return err // copied before, with its figures
			}
			r.Copied++
			for table, f := range map[string]map[string]int64{"broadcast_believes": p.Believes, "broadcast_unknown": p.Unknown} {
				rows := rowsOf(0, f)
				for _, row := range rows {
					row[0] = p.Partner
				}
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, []string{"partner", "sku", "qty"}, pgx.CopyFromRows(rows)); err != nil {
					return fmt.Errorf("%s: %w", table, err)
				}
			}
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("broadcast: copying partner %s: %w", p.Partner, err)
		}
		r.Source++
	}
	r.Present = r.Source - r.Copied
	return r, verify(ctx, src, partners, dst, &r)
}

// rowsOf returns figures as COPY rows (key, sku, qty).
func rowsOf(key any, f map[string]int64) [][]any {
	rows := make([][]any, 0, len(f))
	for sku, q := range f {
		rows = append(rows, []any{key, sku, q})
	}
	return rows
}

// verify compares every broadcast and partner of src with dst.
func verify(ctx context.Context, src *broadcast.BoltStore, partners []broadcast.PartnerContents, dst *Store, r *pgstore.CopyReport) error {
	n := 0
	for after := uint64(0); ; {
		page, err := src.Broadcasts(after, copyPage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, w := range page {
			what := fmt.Sprintf("broadcast %d", w.ID)
			h, err := dst.Get(w.ID)
			if err != nil {
				return pgstore.Mismatch(r.Store, what, err.Error())
			}
			hj, _ := json.Marshal(h)
			wj, _ := json.Marshal(w)
			if string(hj) != string(wj) {
				return pgstore.Mismatch(r.Store, what, fmt.Sprintf("PostgreSQL has %s, bbolt %s", hj, wj))
			}
			ht, err := dst.Told(w.ID)
			if err != nil {
				return fmt.Errorf("broadcast: verifying: %w", err)
			}
			wt, err := src.Told(w.ID)
			if err != nil {
				return fmt.Errorf("broadcast: verifying: %w", err)
			}
			if !maps.Equal(ht, wt) {
				return pgstore.Mismatch(r.Store, what, fmt.Sprintf("told %d figures in PostgreSQL, %d in bbolt, or other ones", len(ht), len(wt)))
			}
			n++
		}
		after = page[len(page)-1].ID
	}
	var count int
	if err := dst.pool.QueryRow(ctx, `SELECT count(*) FROM broadcast_broadcasts`).Scan(&count); err != nil {
		return fmt.Errorf("broadcast: verifying: %w", err)
	}
	if count != n {
		return pgstore.Mismatch(r.Store, "broadcasts", fmt.Sprintf("PostgreSQL has %d, bbolt %d", count, n))
	}
	for _, p := range partners {
		what := "partner " + p.Partner
		hs, err := dst.Partner(p.Partner)
		if err != nil {
			return fmt.Errorf("broadcast: verifying: %w", err)
		}
		if !reflect.DeepEqual(hs, p.State) {
			return pgstore.Mismatch(r.Store, what, fmt.Sprintf("PostgreSQL has %+v, bbolt %+v", hs, p.State))
		}
		for table, want := range map[string]map[string]int64{"broadcast_believes": p.Believes, "broadcast_unknown": p.Unknown} {
			have, err := dst.figures(`SELECT sku, qty FROM `+table+` WHERE partner = $1`, p.Partner)
			if err != nil {
				return fmt.Errorf("broadcast: verifying: %w", err)
			}
			if !maps.Equal(have, want) {
				return pgstore.Mismatch(r.Store, what, fmt.Sprintf("%s: %d figures in PostgreSQL, %d in bbolt, or other ones", table, len(have), len(want)))
			}
		}
		n++
	}
	if err := dst.pool.QueryRow(ctx, `SELECT count(*) FROM broadcast_partners`).Scan(&count); err != nil {
		return fmt.Errorf("broadcast: verifying: %w", err)
	}
	if count != len(partners) {
		return pgstore.Mismatch(r.Store, "partners", fmt.Sprintf("PostgreSQL has %d, bbolt %d", count, len(partners)))
	}
	r.Verified = n
	return nil
}
