package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/jackc/pgx/v5"
)

// positionColumns are the columns scanPosition reads.
const positionColumns = `p.sku, p.location, p.on_hand, p.allocated, p.in_transit, p.damaged, p.quarantined, p.seq, p.extra`

// scanState reads a position row (prefix: destinations of columns
// before positionColumns).
func scanState(row pgx.Row, prefix ...any) (ledger.Balance, ledger.PositionState, error) {
	var b ledger.Balance
	var st ledger.PositionState
	var seq int64
	var extra []byte
	dest := append(prefix, &b.SKU, &b.Location, &st.OnHand, &st.Allocated, &st.InTransit, &st.Damaged, &st.Quarantined, &seq, &extra)
	if err := row.Scan(dest...); err != nil {
		return ledger.Balance{}, ledger.PositionState{}, err
	}
	if err := decodeExtra(extra, &st); err != nil {
		return ledger.Balance{}, ledger.PositionState{}, fmt.Errorf("%s at %s: %w", b.SKU, b.Location, err)
	}
	st.Seq = uint64(seq)
	b.Quantities, b.Seq, b.Incoming = st.Quantities, st.Seq, st.Incoming
	return b, st, nil
}

// scanPosition reads a position row into a Balance.
func scanPosition(row pgx.Row) (ledger.Balance, error) {
	b, _, err := scanState(row)
	return b, err
}

// likePrefix returns a LIKE pattern matching the strings that start
// with prefix.
func likePrefix(prefix string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(prefix) + "%"
}

// Balance implements ledger.Store.
func (s *Store) Balance(ctx context.Context, sku, loc string) (ledger.Balance, error) {
	if err := s.begin(ctx); err != nil {
		return ledger.Balance{}, err
	}
	out := ledger.Balance{SKU: sku, Location: loc}
	rows, err := s.pool.Query(ctx, `SELECT `+positionColumns+` FROM ledger_positions p
		WHERE p.sku = $1 AND ($2 = '' OR p.location = $2) ORDER BY p.location`, sku, loc)
	if err != nil {
		return ledger.Balance{}, fmt.Errorf("ledger: balance of %q at %q: %w", sku, loc, err)
	}
	defer rows.Close()
	for rows.Next() {
		b, err := scanPosition(rows)
		if err != nil {
			return ledger.Balance{}, fmt.Errorf("ledger: balance of %q at %q: %w", sku, loc, err)
		}
		if loc != "" {
			return b, nil
		}
		b.Location = ""
		out = ledger.AddBalance(out, b)
	}
	if err := rows.Err(); err != nil {
		return ledger.Balance{}, fmt.Errorf("ledger: balance of %q at %q: %w", sku, loc, err)
	}
	return out, nil
}

// Balances implements ledger.Store.
func (s *Store) Balances(ctx context.Context, f ledger.Filter) ([]ledger.Balance, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	q := `SELECT ` + positionColumns + ` FROM ledger_positions p WHERE p.sku LIKE $1`
	args := []any{likePrefix(f.SKUPrefix)}
	if f.After != (ledger.Position{}) {
		args = append(args, f.After.SKU, f.After.Location)
		q += fmt.Sprintf(` AND (p.sku, p.location) > ($%d, $%d)`, len(args)-1, len(args))
	}
	if len(f.Locations) > 0 {
		args = append(args, f.Locations)
		q += fmt.Sprintf(` AND p.location = ANY ($%d::text[])`, len(args))
	}
	q += ` ORDER BY p.sku, p.location`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: listing balances: %w", err)
	}
	defer rows.Close()
	var out []ledger.Balance
	for rows.Next() {
		b, err := scanPosition(rows)
		if err != nil {
			return nil, fmt.Errorf("ledger: listing balances: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: listing balances: %w", err)
	}
	return out, nil
}

// asOfNanos returns the UnixNano BalanceAsOf compares effective times
// with: times beyond what the ledger stores are before or after every
// movement.
func asOfNanos(t time.Time) int64 {
	earliest, latest := ledger.TimeRange()
	switch {
	case t.Before(earliest):
		return earliest.UnixNano() - 1
	case t.After(latest):
		return latest.UnixNano()
	}
	return t.UnixNano()
}

// asOfQuery selects, per position of a SKU (at one location, or all when
// $2 is empty), the figures as of $3 (UnixNano).
const asOfQuery = `SELECT p.sku, p.location,
		p.on_hand - coalesce(sum(m.d_on_hand), 0)::bigint, p.allocated - coalesce(sum(m.d_allocated), 0)::bigint,
		p.in_transit - coalesce(sum(m.d_in_transit), 0)::bigint, p.damaged - coalesce(sum(m.d_damaged), 0)::bigint,
		p.quarantined - coalesce(sum(m.d_quarantined), 0)::bigint
	FROM ledger_positions p
	LEFT JOIN ledger_movements m ON m.pos = p.id AND m.effective > $3
	WHERE %s
	GROUP BY p.id ORDER BY p.sku, p.location`

// BalanceAsOf implements ledger.Store.
func (s *Store) BalanceAsOf(ctx context.Context, sku, loc string, t time.Time) (ledger.Balance, error) {
	if t.IsZero() {
		return ledger.Balance{}, fmt.Errorf("ledger: balance as of the zero time: %w", ledger.ErrInvalidTime)
	}
	if err := s.begin(ctx); err != nil {
		return ledger.Balance{}, err
	}
	out := ledger.Balance{SKU: sku, Location: loc}
	rows, err := s.pool.Query(ctx, fmt.Sprintf(asOfQuery, `p.sku = $1 AND ($2 = '' OR p.location = $2)`), sku, loc, asOfNanos(t))
	if err != nil {
		return ledger.Balance{}, fmt.Errorf("ledger: balance of %q at %q as of %v: %w", sku, loc, t, err)
	}
	defer rows.Close()
	for rows.Next() {
		var b ledger.Balance
		if err := rows.Scan(&b.SKU, &b.Location, &b.OnHand, &b.Allocated, &b.InTransit, &b.Damaged, &b.Quarantined); err != nil {
			return ledger.Balance{}, err
		}
		out = ledger.AddBalance(out, ledger.Balance{Quantities: b.Quantities})
	}
	if err := rows.Err(); err != nil {
		return ledger.Balance{}, fmt.Errorf("ledger: balance of %q at %q as of %v: %w", sku, loc, t, err)
	}
	out.Seq = 0
	return out, nil
}

// locationFigures is ledger.LocationFigures for Reconcile.
func (s *Store) locationFigures(ctx context.Context, loc string, b ledger.Bucket, at time.Time) (map[string]int64, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	asOf := int64(math.MaxInt64)
	if !at.IsZero() {
		asOf = asOfNanos(at)
	}
	rows, err := s.pool.Query(ctx, fmt.Sprintf(asOfQuery, `p.location = $2 AND $1 = ''`), "", loc, asOf)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var bal ledger.Balance
		if err := rows.Scan(&bal.SKU, &bal.Location, &bal.OnHand, &bal.Allocated, &bal.InTransit, &bal.Damaged, &bal.Quarantined); err != nil {
			return nil, err
		}
		out[bal.SKU] = bal.Get(b)
	}
	return out, rows.Err()
}

// Reconcile implements ledger.Store with the ledger's rules
// (ledger.ReconcileCounts).
func (s *Store) Reconcile(ctx context.Context, loc string, counts []ledger.Count, opts ledger.ReconcileOptions) (ledger.Reconciliation, error) {
	return ledger.ReconcileCounts(ctx, s.locationFigures, s.Post, loc, counts, opts)
}

// movementSelect selects the columns scanMovement reads; movementFrom
// joins what they come from.
const (
	movementSelect = `SELECT m.id, m.seq, m.source_key, p.sku, p.location, m.kind, m.bucket, m.flags, m.quantity,
	m.effective, m.expected, m.ref, g.recorded, m.d_on_hand, m.d_allocated, m.d_in_transit, m.d_damaged, m.d_quarantined`
	movementFrom = ` FROM ledger_movements m JOIN ledger_positions p ON p.id = m.pos JOIN ledger_postings g ON g.seq = m.seq`
)

// scanMovement reads a movement row; extra destinations follow.
func scanMovement(row pgx.Row, m *ledger.Movement, extra ...any) error {
	var id, seq, eff, rec int64
	var kind, bucket, flags int16
	var expected *int64
	var ref []byte
	dest := []any{&id, &seq, &m.SourceKey, &m.SKU, &m.Location, &kind, &bucket, &flags, &m.Quantity,
		&eff, &expected, &ref, &rec,
		&m.Delta.OnHand, &m.Delta.Allocated, &m.Delta.InTransit, &m.Delta.Damaged, &m.Delta.Quarantined}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return err
	}
	m.ID, m.Seq, m.Kind, m.Bucket = uint64(id), uint64(seq), ledger.Kind(kind), ledger.Bucket(bucket)
	m.Effective, m.Recorded = fromNanos(eff), fromNanos(rec)
	m.TakeInTransit, m.Stale, m.Absorbed = flags&flagTakeInTransit != 0, flags&flagStale != 0, flags&flagAbsorbed != 0
	if expected != nil {
		m.Expected = fromNanos(*expected)
	}
	return decodeRef(ref, m)
}

// History implements ledger.Store.
func (s *Store) History(ctx context.Context, sku, loc string, o ledger.HistoryOptions) ([]ledger.Movement, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	wrap := func(err error) error { return fmt.Errorf("ledger: history of %q at %q: %w", sku, loc, err) }
	eff, id := int64(math.MaxInt64), int64(math.MaxInt64)
	if o.Before != 0 {
		var msku, mloc string
		err := s.pool.QueryRow(ctx, `SELECT p.sku, p.location, m.effective, m.id FROM ledger_movements m
			JOIN ledger_positions p ON p.id = m.pos WHERE m.id = $1`, int64(min(o.Before, math.MaxInt64))).Scan(&msku, &mloc, &eff, &id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, wrap(fmt.Errorf("%w: movement %d", ledger.ErrUnknownCursor, o.Before))
		}
		if err != nil {
			return nil, wrap(err)
		}
		if msku != sku || (loc != "" && mloc != loc) {
			return nil, wrap(fmt.Errorf("%w: movement %d is not of %q at %q", ledger.ErrUnknownCursor, o.Before, sku, loc))
		}
	}
	q := movementSelect + `, g.document` + movementFrom + `
		WHERE p.sku = $1 AND ($2 = '' OR p.location = $2) AND (m.effective, m.id) < ($3, $4)
		ORDER BY m.effective DESC, m.id DESC`
	if o.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, o.Limit)
	}
	rows, err := s.pool.Query(ctx, q, sku, loc, eff, id)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []ledger.Movement
	for rows.Next() {
		var m ledger.Movement
		if err := scanMovement(rows, &m, &m.Document); err != nil {
			return nil, wrap(err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return out, nil
}

// ChangesSince implements ledger.Store. Postings commit in sequence
// order (the sequence row is locked until commit), so what it returns
// has no gaps, and a reader that goes on from the last sequence number
// it saw misses nothing.
func (s *Store) ChangesSince(ctx context.Context, seq uint64, limit int) ([]ledger.Change, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	wrap := func(err error) error { return fmt.Errorf("ledger: changes since %d: %w", seq, err) }
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, wrap(err)
	}
	defer tx.Rollback(context.Background())
	q := `SELECT seq, document, recorded, first_id, count FROM ledger_postings WHERE seq > $1 ORDER BY seq`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := tx.Query(ctx, q, int64(min(seq, math.MaxInt64)))
	if err != nil {
		return nil, wrap(err)
	}
	var out []ledger.Change
	var counts []int64
	var lo, hi int64
	for rows.Next() {
		var c ledger.Change
		var s, rec, first, count int64
		if err := rows.Scan(&s, &c.Document, &rec, &first, &count); err != nil {
			rows.Close()
			return nil, wrap(err)
		}
		c.Seq, c.Recorded = uint64(s), fromNanos(rec)
		if len(out) == 0 {
			lo = first
		}
		hi = first + count - 1
		out = append(out, c)
		counts = append(counts, count)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	mrows, err := tx.Query(ctx, movementSelect+movementFrom+` WHERE m.id BETWEEN $1 AND $2 ORDER BY m.id`, lo, hi)
	if err != nil {
		return nil, wrap(err)
	}
	defer mrows.Close()
	i := 0
	for mrows.Next() {
		var m ledger.Movement
		if err := scanMovement(mrows, &m); err != nil {
			return nil, wrap(err)
		}
		for i < len(out) && int64(len(out[i].Movements)) == counts[i] {
			i++
		}
		if i == len(out) || m.Seq != out[i].Seq {
			return nil, wrap(fmt.Errorf("%w: movement %d is not of posting %d", ledger.ErrCorrupt, m.ID, out[min(i, len(out)-1)].Seq))
		}
		m.Document = out[i].Document
		out[i].Movements = append(out[i].Movements, m)
	}
	if err := mrows.Err(); err != nil {
		return nil, wrap(err)
	}
	for j := range out {
		if int64(len(out[j].Movements)) != counts[j] {
			return nil, wrap(fmt.Errorf("%w: posting %d has %d of its %d movements", ledger.ErrCorrupt, out[j].Seq, len(out[j].Movements), counts[j]))
		}
	}
	return out, nil
}

// LastSeq implements ledger.Store.
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	if err := s.begin(ctx); err != nil {
		return 0, err
	}
	var seq int64
	if err := s.pool.QueryRow(ctx, `SELECT seq FROM ledger_head`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("ledger: last sequence number: %w", err)
	}
	return uint64(seq), nil
}

// HasSourcePrefix implements ledger.Store.
func (s *Store) HasSourcePrefix(ctx context.Context, prefix string) (bool, error) {
	if err := s.begin(ctx); err != nil {
		return false, err
	}
	// The first key at or after prefix, one probe of the source key's
	// index whatever the plan: a cached generic plan of LIKE $1 cannot use
	// the index and scanned every movement.
	var first string
	err := s.pool.QueryRow(ctx, `SELECT source_key FROM ledger_movements WHERE source_key >= $1 ORDER BY source_key LIMIT 1`, prefix).Scan(&first)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ledger: source keys under %q: %w", prefix, err)
	}
	return strings.HasPrefix(first, prefix), nil
}

// SourceMovements implements ledger.Store.
func (s *Store) SourceMovements(ctx context.Context, keys []string) ([]ledger.Movement, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	out := make([]ledger.Movement, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, movementSelect+`, u.i`+movementFrom+`
		JOIN unnest($1::text[]) WITH ORDINALITY AS u(k, i) ON m.source_key = u.k COLLATE "C"`, keys)
	if err != nil {
		return nil, fmt.Errorf("ledger: movements of %d source keys: %w", len(keys), err)
	}
	defer rows.Close()
	for rows.Next() {
		var m ledger.Movement
		var i int64
		if err := scanMovement(rows, &m, &i); err != nil {
			return nil, fmt.Errorf("ledger: movements of %d source keys: %w", len(keys), err)
		}
		out[i-1] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: movements of %d source keys: %w", len(keys), err)
	}
	return out, nil
}
