package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/dockside-edi/dockside/divergence"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/jackc/pgx/v5"
)

// copyPage is how many figures or first-seen times CopyFrom writes in
// one statement (and transaction).
const copyPage = 5000

// CopyFrom copies the divergence store of src (the bbolt store of a
// stopped gateway) into dst: the partners' reported figures and the
// first-seen time of each tracked divergence that dst lacks, a page per
// transaction, keeping what dst has; then it verifies that dst holds
// exactly src's figures and times (to the microsecond). A second run, or
// one after an interrupted run, copies only what is missing. Source
// counts figures and tracked divergences. See pgstore.CopyReport.
func CopyFrom(ctx context.Context, src *divergence.BoltStore, dst *Store) (pgstore.CopyReport, error) {
	r := pgstore.CopyReport{Store: Migrations.Store}
	figs, err := src.Reported()
	if err != nil {
		return r, fmt.Errorf("divergence: reading the source: %w", err)
	}
	since, err := src.Tracked()
	if err != nil {
		return r, fmt.Errorf("divergence: reading the source: %w", err)
	}
	keys := slices.Sorted(maps.Keys(since))
	r.Source = len(figs) + len(keys)
	for page := range slices.Chunk(figs, copyPage) {
		var partners, skus, locs []string
		var qs []int64
		var ats []time.Time
		for _, f := range page {
			partners, skus, locs = append(partners, f.Partner), append(skus, f.SKU), append(locs, f.Location)
			qs, ats = append(qs, f.Quantity), append(ats, f.At.UTC())
		}
		tag, err := dst.pool.Exec(ctx, `INSERT INTO divergence_reported (partner, sku, location, quantity, at)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[])
			ON CONFLICT (partner, sku, location) DO NOTHING`, partners, skus, locs, qs, ats)
		if err != nil {
			return r, fmt.Errorf("divergence: copying figures of %s: %w", page[0].Partner, err)
		}
		r.Copied += int(tag.RowsAffected())
	}
	for page := range slices.Chunk(keys, copyPage) {
		ks, ts := make([][]byte, len(page)), make([]time.Time, len(page))
		for i, k := range page {
			ks[i], ts[i] = []byte(k), since[k].UTC()
		}
		tag, err := dst.pool.Exec(ctx, `INSERT INTO divergence_since (key, since) SELECT * FROM unnest($1::bytea[], $2::timestamptz[])
			ON CONFLICT (key) DO NOTHING`, ks, ts)
		if err != nil {
			return r, fmt.Errorf("divergence: copying first-seen times: %w", err)
		}
		r.Copied += int(tag.RowsAffected())
	}
	r.Present = r.Source - r.Copied
	return r, verify(ctx, figs, since, dst, &r)
}

// verify compares dst with the source's figures and times.
func verify(ctx context.Context, figs []divergence.Reported, since map[string]time.Time, dst *Store, r *pgstore.CopyReport) error {
	have, err := dst.Reported() // in the order of src.Reported: partner, SKU, location
	if err != nil {
		return fmt.Errorf("divergence: verifying: %w", err)
	}
	for i, w := range figs {
		w.At = w.At.UTC().Truncate(time.Microsecond)
		what := fmt.Sprintf("figure of %s for %s at %s", w.Partner, w.SKU, w.Location)
		if i >= len(have) {
			return pgstore.Mismatch(r.Store, what, "missing in PostgreSQL")
		}
		if h := have[i]; h.Partner != w.Partner || h.SKU != w.SKU || h.Location != w.Location || h.Quantity != w.Quantity || !h.At.Equal(w.At) {
			return pgstore.Mismatch(r.Store, what, fmt.Sprintf("PostgreSQL has %+v, bbolt %+v", h, w))
		}
		r.Verified++
	}
	if len(have) > len(figs) {
		h := have[len(figs)]
		return pgstore.Mismatch(r.Store, fmt.Sprintf("figure of %s for %s at %s", h.Partner, h.SKU, h.Location), "in PostgreSQL, not in bbolt")
	}
	rows, err := dst.pool.Query(ctx, `SELECT key, since FROM divergence_since`)
	if err != nil {
		return fmt.Errorf("divergence: verifying: %w", err)
	}
	var k []byte
	var t time.Time
	n := 0
	_, err = pgx.ForEachRow(rows, []any{&k, &t}, func() error {
		w, ok := since[string(k)]
		switch {
		case !ok:
			return pgstore.Mismatch(r.Store, fmt.Sprintf("divergence %q", k), "in PostgreSQL, not in bbolt")
		case !t.Equal(w.Truncate(time.Microsecond)):
			return pgstore.Mismatch(r.Store, fmt.Sprintf("divergence %q", k), fmt.Sprintf("first seen %s in PostgreSQL, %s in bbolt", t, w))
		}
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("divergence: verifying: %w", err)
	}
	if n != len(since) {
		return pgstore.Mismatch(r.Store, "first-seen times", fmt.Sprintf("PostgreSQL has %d, bbolt %d", n, len(since)))
	}
	r.Verified += n
	return nil
}
