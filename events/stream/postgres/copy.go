package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/dockside-edi/dockside/internal/pgstore"
)

// CursorSource is what CopyFrom reads: a stopped bbolt gateway's
// stream.BoltCursors (any stream.CursorStore).
type CursorSource interface {
	// Cursors returns every subscriber's cursor.
	Cursors(ctx context.Context) (map[string]uint64, error)
}

// CopyFrom copies the cursors of src (the change stream's cursors of a
// stopped bbolt gateway: the NATS publisher's, each webhook
// subscriber's) that dst lacks, by name, in one statement, keeping those
// dst has; then it verifies that dst holds exactly src's cursors. The
// cursors are change sequence numbers of the ledger, which
// ledger/postgres.CopyFrom keeps, so each subscriber resumes where it
// was rather than as a new one (from_start). A second run copies
// nothing. The copy is not fenced: no leader runs while copying. See
// pgstore.CopyReport.
func CopyFrom(ctx context.Context, src CursorSource, dst *Cursors) (pgstore.CopyReport, error) {
	r := pgstore.CopyReport{Store: Migrations.Store}
	want, err := src.Cursors(ctx)
	if err != nil {
		return r, fmt.Errorf("stream: reading the source: %w", err)
	}
	names := slices.Sorted(maps.Keys(want))
	seqs := make([]int64, len(names))
	for i, n := range names {
		seqs[i] = int64(want[n]) // bit for bit, as SetCursor
	}
	r.Source = len(names)
	if len(names) > 0 {
		tag, err := dst.pool.Exec(ctx, `INSERT INTO stream_cursors (name, seq) SELECT * FROM unnest($1::text[], $2::bigint[])
			ON CONFLICT (name) DO NOTHING`, names, seqs)
		if err != nil {
			return r, fmt.Errorf("stream: copying cursors: %w", err)
		}
		r.Copied = int(tag.RowsAffected())
	}
	r.Present = r.Source - r.Copied
	have, err := dst.Cursors(ctx)
	if err != nil {
		return r, fmt.Errorf("stream: verifying: %w", err)
	}
	for _, n := range names {
		what := fmt.Sprintf("cursor of %q", n)
		seq, ok := have[n]
		switch {
		case !ok:
			return r, pgstore.Mismatch(r.Store, what, "missing in PostgreSQL")
		case seq != want[n]:
			return r, pgstore.Mismatch(r.Store, what, fmt.Sprintf("PostgreSQL has %d, bbolt %d", seq, want[n]))
		}
		r.Verified++
	}
	for _, n := range slices.Sorted(maps.Keys(have)) {
		if _, ok := want[n]; !ok {
			return r, pgstore.Mismatch(r.Store, fmt.Sprintf("cursor of %q", n), "in PostgreSQL, not in bbolt")
		}
	}
	return r, nil
}
