package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/jackc/pgx/v5"
)

// recordedKeys returns which of keys are recorded source keys.
func recordedKeys(ctx context.Context, tx pgx.Tx, keys []string) (map[string]struct{}, error) {
	rows, err := tx.Query(ctx, `SELECT m.source_key FROM ledger_movements m
		WHERE m.source_key = ANY ($1::text[])`, keys)
	if err != nil {
		return nil, fmt.Errorf("looking up source keys: %w", err)
	}
	found := map[string]struct{}{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		found[k] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("looking up source keys: %w", err)
	}
	return found, nil
}

func sortedPositions(set map[ledger.Position]struct{}) []ledger.Position {
	out := make([]ledger.Position, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b ledger.Position) int {
		return cmp.Or(cmp.Compare(a.SKU, b.SKU), cmp.Compare(a.Location, b.Location))
	})
	return out
}

// lockPositions locks the positions (sorted), creating those that do not
// exist, in one statement: an upsert takes each row's lock in the order
// of its input, so every transaction locks in the same order. It loads
// their states into into, and returns the positions it created.
func lockPositions(ctx context.Context, tx pgx.Tx, ps []ledger.Position, into map[ledger.Position]ledger.PositionState) (map[ledger.Position]bool, error) {
	skus, locs := make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		skus[i], locs[i] = p.SKU, p.Location
	}
	rows, err := tx.Query(ctx, `INSERT INTO ledger_positions AS p (sku, location)
		SELECT u.sku, u.loc FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(sku, loc, i) ORDER BY u.i
		ON CONFLICT (sku, location) DO UPDATE SET seq = p.seq
		RETURNING p.sku, p.location, p.on_hand, p.allocated, p.in_transit, p.damaged, p.quarantined, p.seq, p.extra, (p.xmax = 0)`, skus, locs)
	if err != nil {
		return nil, fmt.Errorf("locking positions: %w", err)
	}
	created := map[ledger.Position]bool{}
	for rows.Next() {
		var pos ledger.Position
		var st ledger.PositionState
		var seq int64
		var extra []byte
		var inserted bool
		if err := rows.Scan(&pos.SKU, &pos.Location, &st.OnHand, &st.Allocated, &st.InTransit, &st.Damaged, &st.Quarantined, &seq, &extra, &inserted); err != nil {
			rows.Close()
			return nil, err
		}
		st.Seq = uint64(seq)
		if err := decodeExtra(extra, &st); err != nil {
			rows.Close()
			return nil, fmt.Errorf("%s at %s: %w", pos.SKU, pos.Location, err)
		}
		into[pos] = st
		if inserted {
			created[pos] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("locking positions: %w", err)
	}
	return created, nil
}

// loadAllocations reads the allocations named.
func loadAllocations(ctx context.Context, tx pgx.Tx, set map[ledger.OrderAllocation]struct{}, into map[ledger.OrderAllocation]int64) error {
	if len(set) == 0 {
		return nil
	}
	var skus, locs, orders []string
	for a := range set {
		skus, locs, orders = append(skus, a.SKU), append(locs, a.Location), append(orders, a.Order)
	}
	rows, err := tx.Query(ctx, `SELECT a.sku, a.location, a.order_no, a.quantity
		FROM unnest($1::text[], $2::text[], $3::text[]) AS u(sku, loc, ord)
		JOIN ledger_allocations a ON a.sku = u.sku COLLATE "C" AND a.location = u.loc COLLATE "C" AND a.order_no = u.ord COLLATE "C"`, skus, locs, orders)
	if err != nil {
		return fmt.Errorf("reading allocations: %w", err)
	}
	for rows.Next() {
		var a ledger.OrderAllocation
		var q int64
		if err := rows.Scan(&a.SKU, &a.Location, &a.Order, &q); err != nil {
			rows.Close()
			return err
		}
		into[a] = q
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading allocations: %w", err)
	}
	return nil
}

// loadLater sums, for each snapshot time, the deltas of the stored
// movements at its position effective after it. Positions created by
// this transaction have none.
func loadLater(ctx context.Context, tx pgx.Tx, set map[ledger.SnapshotTime]struct{}, created map[ledger.Position]bool, into map[ledger.SnapshotTime]ledger.Quantities) error {
	var keys []ledger.SnapshotTime
	for k := range set {
		if created[k.Position] {
			into[k] = ledger.Quantities{}
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil
	}
	skus, locs, ats := make([]string, len(keys)), make([]string, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		skus[i], locs[i], ats[i] = k.SKU, k.Location, k.At.UnixNano()
	}
	rows, err := tx.Query(ctx, `SELECT u.i,
			coalesce(sum(m.d_on_hand), 0)::bigint, coalesce(sum(m.d_allocated), 0)::bigint,
			coalesce(sum(m.d_in_transit), 0)::bigint, coalesce(sum(m.d_damaged), 0)::bigint,
			coalesce(sum(m.d_quarantined), 0)::bigint
		FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS u(sku, loc, at, i)
		LEFT JOIN ledger_movements m ON m.sku = u.sku COLLATE "C" AND m.location = u.loc COLLATE "C" AND m.effective > u.at
		GROUP BY u.i`, skus, locs, ats)
	if err != nil {
		return fmt.Errorf("summing movements after snapshots: %w", err)
	}
	for rows.Next() {
		var i int64
		var q ledger.Quantities
		if err := rows.Scan(&i, &q.OnHand, &q.Allocated, &q.InTransit, &q.Damaged, &q.Quarantined); err != nil {
			rows.Close()
			return err
		}
		into[keys[i-1]] = q
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("summing movements after snapshots: %w", err)
	}
	return nil
}

// movementColumns are ledger_movements' columns, in COPY order.
var movementColumns = []string{
	"id", "seq", "source_key", "sku", "location", "kind", "quantity", "bucket", "effective", "expected",
	"take_in_transit", "partner", "document_type", "interchange", "grp", "txn", "line", "order_no", "reason",
	"recorded", "stale", "absorbed", "d_on_hand", "d_allocated", "d_in_transit", "d_damaged", "d_quarantined",
}

// movementRows feeds COPY from the documents' movements.
type movementRows struct {
	outs []*ledger.StepOutput
	doc  int
	i    int
	m    *ledger.Movement
	row  []any
}

func (r *movementRows) Next() bool {
	for r.doc < len(r.outs) {
		if r.i < len(r.outs[r.doc].Movements) {
			r.m = &r.outs[r.doc].Movements[r.i]
			r.i++
			return true
		}
		r.doc++
		r.i = 0
	}
	return false
}

func (r *movementRows) Values() ([]any, error) {
	m := r.m
	var expected any
	if !m.Expected.IsZero() {
		expected = m.Expected.UnixNano()
	}
	r.row = append(r.row[:0],
		int64(m.ID), int64(m.Seq), m.SourceKey, m.SKU, m.Location, int16(m.Kind), m.Quantity, int16(m.Bucket),
		m.Effective.UnixNano(), expected, m.TakeInTransit,
		m.Reference.Partner, m.Reference.DocumentType, m.Reference.Interchange, m.Reference.Group, m.Reference.Transaction,
		int64(m.Reference.Line), m.Reference.Order, m.Reason,
		m.Recorded.UnixNano(), m.Stale, m.Absorbed,
		m.Delta.OnHand, m.Delta.Allocated, m.Delta.InTransit, m.Delta.Damaged, m.Delta.Quarantined)
	return r.row, nil
}

func (r *movementRows) Err() error { return nil }

// writeMovements copies the documents' movements into ledger_movements.
func writeMovements(ctx context.Context, tx pgx.Tx, outs []*ledger.StepOutput) error {
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_movements"}, movementColumns, &movementRows{outs: outs}); err != nil {
		return fmt.Errorf("writing movements: %w", err)
	}
	return nil
}

// writePositions writes, in one round trip, the changed positions (set
// from arrays), the positions created by the lock but left unchanged
// (removed: a failed or duplicate document leaves nothing), the changed
// allocations, the postings and the sequence.
func writePositions(ctx context.Context, tx pgx.Tx, ps []ledger.Position, states []ledger.PositionState, created map[ledger.Position]bool,
	allocs map[ledger.OrderAllocation]int64, outs []*ledger.StepOutput, lastSeq, lastID uint64) error {
	b := &pgx.Batch{}
	if len(ps) > 0 {
		n := len(ps)
		skus, locs := make([]string, n), make([]string, n)
		oh, al, it, dm, qu, seq := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		extra := make([][]byte, n)
		for i, p := range ps {
			s := &states[i]
			skus[i], locs[i] = p.SKU, p.Location
			oh[i], al[i], it[i], dm[i], qu[i], seq[i] = s.OnHand, s.Allocated, s.InTransit, s.Damaged, s.Quarantined, int64(s.Seq)
			extra[i] = encodeExtra(nil, s)
		}
		b.Queue(`UPDATE ledger_positions p SET on_hand = u.oh, allocated = u.al, in_transit = u.it, damaged = u.dm,
				quarantined = u.qu, seq = u.seq, extra = u.extra
			FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bytea[])
				AS u(sku, loc, oh, al, it, dm, qu, seq, extra)
			WHERE p.sku = u.sku COLLATE "C" AND p.location = u.loc COLLATE "C"`, skus, locs, oh, al, it, dm, qu, seq, extra)
	}
	changed := make(map[ledger.Position]bool, len(ps))
	for _, p := range ps {
		changed[p] = true
	}
	var unusedSKU, unusedLoc []string
	for p := range created {
		if !changed[p] {
			unusedSKU, unusedLoc = append(unusedSKU, p.SKU), append(unusedLoc, p.Location)
		}
	}
	if len(unusedSKU) > 0 {
		b.Queue(`DELETE FROM ledger_positions p USING unnest($1::text[], $2::text[]) AS u(sku, loc)
			WHERE p.sku = u.sku COLLATE "C" AND p.location = u.loc COLLATE "C"`, unusedSKU, unusedLoc)
	}
	var setSKU, setLoc, setOrd, delSKU, delLoc, delOrd []string
	var setQ []int64
	for a, q := range allocs {
		if q == 0 {
			delSKU, delLoc, delOrd = append(delSKU, a.SKU), append(delLoc, a.Location), append(delOrd, a.Order)
		} else {
			setSKU, setLoc, setOrd, setQ = append(setSKU, a.SKU), append(setLoc, a.Location), append(setOrd, a.Order), append(setQ, q)
		}
	}
	if len(setSKU) > 0 {
		b.Queue(`INSERT INTO ledger_allocations (sku, location, order_no, quantity)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
			ON CONFLICT (sku, location, order_no) DO UPDATE SET quantity = EXCLUDED.quantity`, setSKU, setLoc, setOrd, setQ)
	}
	if len(delSKU) > 0 {
		b.Queue(`DELETE FROM ledger_allocations a USING unnest($1::text[], $2::text[], $3::text[]) AS u(sku, loc, ord)
			WHERE a.sku = u.sku COLLATE "C" AND a.location = u.loc COLLATE "C" AND a.order_no = u.ord COLLATE "C"`, delSKU, delLoc, delOrd)
	}
	if len(outs) > 0 {
		n := len(outs)
		seqs, firsts, counts, recs := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		docs := make([]string, n)
		for i, o := range outs {
			seqs[i], docs[i], recs[i] = int64(o.Result.Seq), o.Movements[0].Document, o.Result.Recorded.UnixNano()
			firsts[i], counts[i] = int64(o.Result.FirstID), int64(len(o.Movements))
		}
		b.Queue(`INSERT INTO ledger_postings (seq, document, recorded, first_id, count)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])`, seqs, docs, recs, firsts, counts)
		b.Queue(`UPDATE ledger_head SET seq = $1, last_id = $2`, int64(lastSeq), int64(lastID))
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("writing positions and postings: %w", err)
	}
	return nil
}
