package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/jackc/pgx/v5"
)

// copyPage is how many entries CopyFrom reads and writes at a time.
const copyPage = 1000

// CopyFrom copies the entries of src (the bbolt audit log) that dst
// lacks, under their own ids, then verifies every entry of src against
// dst (times to the microsecond, as PostgreSQL keeps them). Entries
// already in dst with the same id are kept: a second run copies nothing.
// See pgstore.CopyReport.
func CopyFrom(ctx context.Context, src audit.Store, dst *Store) (pgstore.CopyReport, error) {
	r := pgstore.CopyReport{Store: Migrations.Store}
	var all []audit.Entry
	for before := uint64(0); ; {
		page, next, err := src.List(ctx, audit.Filter{Before: before, Limit: copyPage})
		if err != nil {
			return r, fmt.Errorf("audit: reading the source: %w", err)
		}
		all = append(all, page...)
		if next == 0 {
			break
		}
		before = next
	}
	slices.Reverse(all) // oldest first
	r.Source = len(all)
	for chunk := range slices.Chunk(all, copyPage) {
		var b pgx.Batch
		for _, e := range chunk {
			b.Queue(`INSERT INTO audit_entries (id, at, who, remote, action, target, detail, error) OVERRIDING SYSTEM VALUE
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
				int64(e.ID), e.Time.UTC().Truncate(time.Microsecond), e.Who, e.Remote, e.Action, e.Target, e.Detail, e.Error)
		}
		err := pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) error {
			br := tx.SendBatch(ctx, &b)
			defer br.Close()
			for range chunk {
				tag, err := br.Exec()
				if err != nil {
					return err
				}
				r.Copied += int(tag.RowsAffected())
			}
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("audit: copying entries: %w", err)
		}
	}
	r.Present = r.Source - r.Copied
	if err := pgstore.AdvanceIdentity(ctx, dst.pool, "audit_entries"); err != nil {
		return r, err
	}
	// Verify: every source entry equal in dst, and no other entry.
	got := map[uint64]audit.Entry{}
	rows, err := dst.pool.Query(ctx, `SELECT id, at, who, remote, action, target, detail, error FROM audit_entries`)
	if err != nil {
		return r, fmt.Errorf("audit: verifying: %w", err)
	}
	var e audit.Entry
	if _, err := pgx.ForEachRow(rows, []any{&e.ID, &e.Time, &e.Who, &e.Remote, &e.Action, &e.Target, &e.Detail, &e.Error}, func() error {
		got[e.ID] = e
		return nil
	}); err != nil {
		return r, fmt.Errorf("audit: verifying: %w", err)
	}
	for _, want := range all {
		have, ok := got[want.ID]
		switch {
		case !ok:
			return r, pgstore.Mismatch(r.Store, fmt.Sprintf("entry %d", want.ID), "missing in PostgreSQL")
		case !have.Time.Equal(want.Time.Truncate(time.Microsecond)) || have.Who != want.Who || have.Remote != want.Remote ||
			have.Action != want.Action || have.Target != want.Target || have.Detail != want.Detail || have.Error != want.Error:
			return r, pgstore.Mismatch(r.Store, fmt.Sprintf("entry %d", want.ID), fmt.Sprintf("PostgreSQL has %+v, bbolt %+v", have, want))
		}
		r.Verified++
	}
	if len(got) != len(all) {
		return r, pgstore.Mismatch(r.Store, "entries", fmt.Sprintf("PostgreSQL has %d, bbolt %d", len(got), len(all)))
	}
	return r, nil
}
