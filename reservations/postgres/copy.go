package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/reservations"
	"github.com/jackc/pgx/v5"
)

// copyPage is how many records CopyFrom reads, writes (one transaction)
// and verifies at a time.
const copyPage = 1000

// CopyFrom copies the records of src (the bbolt store of a stopped
// gateway) that dst lacks, a page per transaction in key order, then
// verifies every record of src against dst (times to the microsecond)
// and that dst holds no other. Records already in dst are kept: a second
// run, or one after an interrupted run, copies only what is missing.
// See pgstore.CopyReport.
func CopyFrom(ctx context.Context, src reservations.Store, dst *Store) (pgstore.CopyReport, error) {
	r := pgstore.CopyReport{Store: Migrations.Store}
	for after := ""; ; {
		page, err := src.List(ctx, after, copyPage)
		if err != nil {
			return r, fmt.Errorf("reservations: reading the source: %w", err)
		}
		if len(page) == 0 {
			break
		}
		var b pgx.Batch
		for _, rec := range page {
			b.Queue(insert, args(rec)...)
		}
		copied := 0
		err = pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) error {
			copied = 0
			br := tx.SendBatch(ctx, &b)
			defer br.Close()
			for range page {
				tag, err := br.Exec()
				if err != nil {
					return err
				}
				copied += int(tag.RowsAffected())
			}
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("reservations: copying records after %q: %w", after, err)
		}
		r.Source += len(page)
		r.Copied += copied
		r.Present += len(page) - copied
		after = page[len(page)-1].Key
	}
	return r, verify(ctx, src, dst, &r)
}

// verify compares src and dst page by page, both in key order.
func verify(ctx context.Context, src reservations.Store, dst *Store, r *pgstore.CopyReport) error {
	for after := ""; ; {
		want, err := src.List(ctx, after, copyPage)
		if err != nil {
			return fmt.Errorf("reservations: verifying: %w", err)
		}
		have, err := dst.List(ctx, after, copyPage)
		if err != nil {
			return fmt.Errorf("reservations: verifying: %w", err)
		}
		for i, w := range want {
			w.Created, w.Released = w.Created.Truncate(time.Microsecond), w.Released.Truncate(time.Microsecond)
			switch {
			case i >= len(have) || have[i].Key > w.Key:
				return pgstore.Mismatch(r.Store, fmt.Sprintf("reservation %q", w.Key), "missing in PostgreSQL")
			case have[i].Key < w.Key:
				return pgstore.Mismatch(r.Store, fmt.Sprintf("reservation %q", have[i].Key), "in PostgreSQL, not in bbolt")
			case !have[i].Equal(w):
				return pgstore.Mismatch(r.Store, fmt.Sprintf("reservation %q", w.Key), fmt.Sprintf("PostgreSQL has %+v, bbolt %+v", have[i], w))
			}
			r.Verified++
		}
		if len(have) > len(want) {
			return pgstore.Mismatch(r.Store, fmt.Sprintf("reservation %q", have[len(want)].Key), "in PostgreSQL, not in bbolt")
		}
		if len(want) == 0 {
			return nil
		}
		after = want[len(want)-1].Key
	}
}
