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
	rows, err := tx.Query(ctx, `SELECT m.source_key FROM unnest($1::text[]) AS u(k)
		JOIN ledger_movements m ON m.source_key = u.k COLLATE "C"`, keys)
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

// lockPositions locks the stored positions among ps (sorted) with
// SELECT … FOR UPDATE in (SKU, location) order, so every transaction
// locks in the same order and none waits on another in a cycle. It loads
// their ids and states; positions it does not find are new (the write
// creates them; a transaction that creates one meanwhile makes this one's
// insert fail, and it runs again).
func lockPositions(ctx context.Context, tx pgx.Tx, ps []ledger.Position, ids map[ledger.Position]int64, into map[ledger.Position]ledger.PositionState) error {
	skus, locs := make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		skus[i], locs[i] = p.SKU, p.Location
	}
	rows, err := tx.Query(ctx, `SELECT p.id, `+positionColumns+`
		FROM ledger_positions p JOIN unnest($1::text[], $2::text[]) AS u(sku, loc)
			ON p.sku = u.sku COLLATE "C" AND p.location = u.loc COLLATE "C"
		ORDER BY p.sku, p.location FOR UPDATE OF p`, skus, locs)
	if err != nil {
		return fmt.Errorf("locking positions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		b, st, err := scanState(rows, &id)
		if err != nil {
			return err
		}
		pos := ledger.Position{SKU: b.SKU, Location: b.Location}
		ids[pos], into[pos] = id, st
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("locking positions: %w", err)
	}
	return nil
}

// loadAllocations reads the allocations named at stored positions.
func loadAllocations(ctx context.Context, tx pgx.Tx, set map[ledger.OrderAllocation]struct{}, ids map[ledger.Position]int64, into map[ledger.OrderAllocation]int64) error {
	var poss []int64
	var orders []string
	byID := map[int64]ledger.Position{}
	for a := range set {
		if id, ok := ids[a.Position]; ok {
			poss, orders = append(poss, id), append(orders, a.Order)
			byID[id] = a.Position
		}
	}
	if len(poss) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT a.pos, a.order_no, a.quantity
		FROM unnest($1::bigint[], $2::text[]) AS u(pos, ord)
		JOIN ledger_allocations a ON a.pos = u.pos AND a.order_no = u.ord COLLATE "C"`, poss, orders)
	if err != nil {
		return fmt.Errorf("reading allocations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, q int64
		var order string
		if err := rows.Scan(&id, &order, &q); err != nil {
			return err
		}
		into[ledger.OrderAllocation{Position: byID[id], Order: order}] = q
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading allocations: %w", err)
	}
	return nil
}

// loadLater sums, for each snapshot time, the deltas of the stored
// movements at its position effective after it. Positions created by
// this transaction have none.
func loadLater(ctx context.Context, tx pgx.Tx, set map[ledger.SnapshotTime]struct{}, ids map[ledger.Position]int64, into map[ledger.SnapshotTime]ledger.Quantities) error {
	var keys []ledger.SnapshotTime
	for k := range set {
		if _, stored := ids[k.Position]; !stored {
			into[k] = ledger.Quantities{}
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil
	}
	poss, ats := make([]int64, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		poss[i], ats[i] = ids[k.Position], k.At.UnixNano()
	}
	rows, err := tx.Query(ctx, `SELECT u.i,
			coalesce(sum(m.d_on_hand), 0)::bigint, coalesce(sum(m.d_allocated), 0)::bigint,
			coalesce(sum(m.d_in_transit), 0)::bigint, coalesce(sum(m.d_damaged), 0)::bigint,
			coalesce(sum(m.d_quarantined), 0)::bigint
		FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS u(pos, at, i)
		LEFT JOIN ledger_movements m ON m.pos = u.pos AND m.effective > u.at
		GROUP BY u.i`, poss, ats)
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
	"id", "seq", "source_key", "pos", "kind", "bucket", "flags", "quantity", "effective", "expected", "ref",
	"d_on_hand", "d_allocated", "d_in_transit", "d_damaged", "d_quarantined",
}

// movementRows feeds COPY from the documents' movements.
type movementRows struct {
	outs []*ledger.StepOutput
	ids  map[ledger.Position]int64
	doc  int
	i    int
	m    *ledger.Movement
	row  []any
	ref  []byte
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
	pos, ok := r.ids[ledger.Position{SKU: m.SKU, Location: m.Location}]
	if !ok {
		return nil, fmt.Errorf("movement %d: position %q at %q has no id", m.ID, m.SKU, m.Location)
	}
	r.ref = encodeRef(r.ref[:0], m)
	r.row = append(r.row[:0],
		int64(m.ID), int64(m.Seq), m.SourceKey, pos, int16(m.Kind), int16(m.Bucket), movementFlags(m), m.Quantity,
		m.Effective.UnixNano(), expected, r.ref,
		m.Delta.OnHand, m.Delta.Allocated, m.Delta.InTransit, m.Delta.Damaged, m.Delta.Quarantined)
	return r.row, nil
}

func (r *movementRows) Err() error { return nil }

// writeMovements copies the documents' movements into ledger_movements.
func writeMovements(ctx context.Context, tx pgx.Tx, outs []*ledger.StepOutput, ids map[ledger.Position]int64) error {
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_movements"}, movementColumns, &movementRows{outs: outs, ids: ids, ref: make([]byte, 0, 128)}); err != nil {
		return fmt.Errorf("writing movements: %w", err)
	}
	return nil
}

// positionArrays holds positions' states as columns.
type positionArrays struct {
	skus, locs                  []string
	oh, al, it, dm, qu, seq, id []int64
	extra                       [][]byte
}

func (a *positionArrays) add(p ledger.Position, s *ledger.PositionState, id int64) {
	a.skus, a.locs = append(a.skus, p.SKU), append(a.locs, p.Location)
	a.oh, a.al, a.it, a.dm, a.qu = append(a.oh, s.OnHand), append(a.al, s.Allocated), append(a.it, s.InTransit), append(a.dm, s.Damaged), append(a.qu, s.Quarantined)
	a.seq, a.id = append(a.seq, int64(s.Seq)), append(a.id, id)
	a.extra = append(a.extra, encodeExtra(nil, s))
}

// insertPositions creates the new positions with their states and adds
// their ids to ids.
func insertPositions(ctx context.Context, tx pgx.Tx, ps []ledger.Position, states []ledger.PositionState, ids map[ledger.Position]int64) error {
	var a positionArrays
	for i, p := range ps {
		if _, stored := ids[p]; !stored {
			a.add(p, &states[i], 0)
		}
	}
	if len(a.skus) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `INSERT INTO ledger_positions (sku, location, on_hand, allocated, in_transit, damaged, quarantined, seq, extra)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bytea[])
		RETURNING id, sku, location`, a.skus, a.locs, a.oh, a.al, a.it, a.dm, a.qu, a.seq, a.extra)
	if err != nil {
		return fmt.Errorf("creating positions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p ledger.Position
		if err := rows.Scan(&id, &p.SKU, &p.Location); err != nil {
			return err
		}
		ids[p] = id
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("creating positions: %w", err)
	}
	return nil
}

// writeRest writes, in one round trip, the changed stored positions (set
// from arrays), the changed allocations, the postings and the sequence.
func writeRest(ctx context.Context, tx pgx.Tx, ps []ledger.Position, states []ledger.PositionState, stored map[ledger.Position]bool,
	ids map[ledger.Position]int64, allocs map[ledger.OrderAllocation]int64, outs []*ledger.StepOutput, lastSeq, lastID uint64) error {
	b := &pgx.Batch{}
	var a positionArrays
	for i, p := range ps {
		if stored[p] {
			a.add(p, &states[i], ids[p])
		}
	}
	if len(a.id) > 0 {
		b.Queue(`UPDATE ledger_positions p SET on_hand = u.oh, allocated = u.al, in_transit = u.it, damaged = u.dm,
				quarantined = u.qu, seq = u.seq, extra = u.extra
			FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bytea[])
				AS u(id, oh, al, it, dm, qu, seq, extra)
			WHERE p.id = u.id`, a.id, a.oh, a.al, a.it, a.dm, a.qu, a.seq, a.extra)
	}
	var setPos, delPos, setQ []int64
	var setOrd, delOrd []string
	for al, q := range allocs {
		id := ids[al.Position]
		if q == 0 {
			delPos, delOrd = append(delPos, id), append(delOrd, al.Order)
		} else {
			setPos, setOrd, setQ = append(setPos, id), append(setOrd, al.Order), append(setQ, q)
		}
	}
	if len(setPos) > 0 {
		b.Queue(`INSERT INTO ledger_allocations (pos, order_no, quantity)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[])
			ON CONFLICT (pos, order_no) DO UPDATE SET quantity = EXCLUDED.quantity`, setPos, setOrd, setQ)
	}
	if len(delPos) > 0 {
		b.Queue(`DELETE FROM ledger_allocations a USING unnest($1::bigint[], $2::text[]) AS u(pos, ord)
			WHERE a.pos = u.pos AND a.order_no = u.ord COLLATE "C"`, delPos, delOrd)
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
