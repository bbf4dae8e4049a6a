package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// copyMin is the number of movements from which a transaction writes them
// with COPY rather than from arrays in its last round trip.
const copyMin = 2000

// begin starts the transaction: it locks the change sequence (the one
// row of ledger_head, until commit), then reads which of keys are
// recorded source keys and the stored positions among ps with their ids
// and states. Every posting transaction of every node takes that lock
// first, so it is the ledger's writer lock: what these reads see cannot
// change before this transaction commits (READ COMMITTED: each statement
// sees what committed before it began, and every earlier posting has).
// Positions not found are new. Keys are looked up one by one; the
// ranges [lo[i], hi[i]) are looked up as wholes: hits lists those that
// hold a recorded source key.
//
// It does it in one round trip, or, given a second connection (side),
// reads the positions there at the same time as the source keys, once it
// holds the lock: that connection sees the same committed ledger, which
// no one else can change until this transaction commits.
func begin(ctx context.Context, conn, side *pgxpool.Conn, keys, lo, hi []string, ps []ledger.Position, ids map[ledger.Position]int64,
	into map[ledger.Position]ledger.PositionState) (stored map[string]struct{}, hits []int, seq, lastID int64, err error) {
	wide := side != nil
	skus, locs := make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		skus[i], locs[i] = p.SKU, p.Location
	}
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL READ COMMITTED`)
	b.Queue(txSettings)
	b.Queue(`SELECT seq, last_id FROM ledger_head FOR UPDATE`)
	if len(keys) > 0 {
		b.Queue(sourceKeysSQL, keys)
	}
	if len(lo) > 0 {
		b.Queue(keyRangesSQL, lo, hi)
	}
	if !wide {
		b.Queue(positionsSQL, skus, locs)
	}
	br := conn.SendBatch(ctx, b)
	defer func() {
		if br == nil {
			return
		}
		if cerr := br.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if _, err := br.Exec(); err != nil {
		return nil, nil, 0, 0, fmt.Errorf("beginning: %w", err)
	}
	if _, err := br.Exec(); err != nil {
		return nil, nil, 0, 0, fmt.Errorf("beginning: %w", err)
	}
	if err := br.QueryRow().Scan(&seq, &lastID); err != nil {
		return nil, nil, 0, 0, fmt.Errorf("locking the change sequence: %w", err)
	}
	if !wide {
		if stored, hits, err = readKeys(br, len(keys) > 0, len(lo) > 0); err != nil {
			return nil, nil, 0, 0, err
		}
		if err := readPositions(ps, ids, into)(br.Query()); err != nil {
			return nil, nil, 0, 0, err
		}
		return stored, hits, seq, lastID, nil
	}
	// The positions on another connection; the source keys meanwhile.
	positions := make(chan error, 1)
	go func() {
		positions <- readOn(ctx, side, positionsSQL, []any{skus, locs}, readPositions(ps, ids, into))
	}()
	stored, hits, err = readKeys(br, len(keys) > 0, len(lo) > 0)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("beginning: %w", cerr)
	}
	br = nil
	if perr := <-positions; err == nil {
		err = perr
	}
	if err != nil {
		return nil, nil, 0, 0, err
	}
	return stored, hits, seq, lastID, nil
}

// keyRangesSQL returns which of the ranges of source keys [$1[i], $2[i])
// hold a recorded key (index probes on ledger_movements_source).
const keyRangesSQL = `SELECT u.i FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(lo, hi, i)
	WHERE EXISTS (SELECT 1 FROM ledger_movements m WHERE m.source_key >= u.lo COLLATE "C" AND m.source_key < u.hi COLLATE "C")`

// readKeyRanges reads the rows of keyRangesSQL: the ranges' places in
// the arrays, from 0.
func readKeyRanges(rows pgx.Rows, err error) ([]int, error) {
	if err != nil {
		return nil, fmt.Errorf("looking up source keys: %w", err)
	}
	var hits []int
	var i int64
	if _, err := pgx.ForEachRow(rows, []any{&i}, func() error {
		hits = append(hits, int(i-1))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("looking up source keys: %w", err)
	}
	return hits, nil
}

// txSettings are the posting transaction's settings. Plan each statement
// for its arrays (a generic plan cached while the tables were small
// hash-joins a scan of the whole table), and cost index probes as the
// cached pages they are: a transaction's keys are few against the
// tables, and lookups must not grow with the ledger. No JIT: a large
// transaction's snapshot sums (an estimate of millions of rows) spent
// 0.4 s compiling, more than the query then took. work_mem 64MB: a
// 200,000-item transaction's arrays (unnest) and hash joins over the
// positions and source keys spilled to temporary files at the default
// 4MB.
const txSettings = `SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('random_page_cost', '1.1', true),
	set_config('jit', 'off', true), set_config('work_mem', '64MB', true)`

// sourceKeysSQL returns which of the keys $1 are recorded.
const sourceKeysSQL = `SELECT m.source_key FROM unnest($1::text[]) AS u(k)
	JOIN ledger_movements m ON m.source_key = u.k COLLATE "C"`

// positionsSQL returns the stored positions among the keys ($1, $2), each
// as its place in the arrays (not its key: 200,000 keys read back cost
// more than the query).
const positionsSQL = `SELECT u.i, p.id, p.latest, p.on_hand, p.allocated, p.in_transit, p.damaged, p.quarantined, p.seq, p.extra
	FROM ledger_positions p JOIN unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(sku, loc, i)
		ON p.sku = u.sku COLLATE "C" AND p.location = u.loc COLLATE "C"`

// sideWait bounds the wait for a second connection (sideConn).
const sideWait = 50 * time.Millisecond

// sideConn returns a second connection of pool for a large transaction's
// reads, or nil when none is free within sideWait: the transaction holds
// one already, and must not wait on others for another.
func sideConn(ctx context.Context, pool *pgxpool.Pool) *pgxpool.Conn {
	ctx, cancel := context.WithTimeout(ctx, sideWait)
	defer cancel()
	c, err := pool.Acquire(ctx)
	if err != nil {
		return nil
	}
	return c
}

// readOn runs a query on c, in a read-only transaction with the posting
// transaction's settings, and reads its rows with read.
func readOn(ctx context.Context, c *pgxpool.Conn, sql string, args []any, read func(pgx.Rows, error) error) (err error) {
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY`)
	b.Queue(txSettings)
	b.Queue(sql, args...)
	b.Queue(`COMMIT`)
	br := c.SendBatch(ctx, b)
	defer func() {
		if cerr := br.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	for range 2 {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	if err := read(br.Query()); err != nil {
		return err
	}
	_, err = br.Exec()
	return err
}

// readKeys reads the results of sourceKeysSQL and keyRangesSQL from br,
// those queued.
func readKeys(br pgx.BatchResults, keys, ranges bool) (stored map[string]struct{}, hits []int, err error) {
	stored = map[string]struct{}{}
	if keys {
		if stored, err = readSourceKeys(br.Query()); err != nil {
			return nil, nil, err
		}
	}
	if ranges {
		if hits, err = readKeyRanges(br.Query()); err != nil {
			return nil, nil, err
		}
	}
	return stored, hits, nil
}

// readSourceKeys reads the rows of sourceKeysSQL.
func readSourceKeys(rows pgx.Rows, err error) (map[string]struct{}, error) {
	if err != nil {
		return nil, fmt.Errorf("looking up source keys: %w", err)
	}
	stored := map[string]struct{}{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		stored[k] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("looking up source keys: %w", err)
	}
	return stored, nil
}

// readPositions returns a reader of the rows of positionsSQL for ps: it
// adds the positions found to ids and into.
func readPositions(ps []ledger.Position, ids map[ledger.Position]int64, into map[ledger.Position]ledger.PositionState) func(pgx.Rows, error) error {
	return func(rows pgx.Rows, err error) error {
		if err != nil {
			return fmt.Errorf("reading positions: %w", err)
		}
		var i, id, stSeq int64
		var late *int64
		var extra []byte
		var st ledger.PositionState
		dest := []any{&i, &id, &late, &st.OnHand, &st.Allocated, &st.InTransit, &st.Damaged, &st.Quarantined, &stSeq, &extra}
		for rows.Next() {
			st = ledger.PositionState{}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return fmt.Errorf("reading positions: %w", err)
			}
			if i < 1 || i > int64(len(ps)) {
				rows.Close()
				return fmt.Errorf("reading positions: position %d of %d", i, len(ps))
			}
			pos := ps[i-1]
			if err := decodeExtra(extra, &st); err != nil {
				rows.Close()
				return fmt.Errorf("%s at %s: %w", pos.SKU, pos.Location, err)
			}
			st.Seq = uint64(stSeq)
			if late != nil {
				st.Latest = fromNanos(*late)
			}
			ids[pos], into[pos] = id, st
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("reading positions: %w", err)
		}
		return nil
	}
}

// load reads, in one round trip, the allocations named at stored
// positions, and for each snapshot time at a stored position the sums of
// the deltas of the movements there effective after it, unless the
// newest movement there (Latest) is not after it. It numbers the new
// positions fresh, in order, from the positions' sequence, and adds
// their ids to ids.
func load(ctx context.Context, conn *pgxpool.Conn, allocSet map[ledger.OrderAllocation]struct{}, snapSet map[ledger.SnapshotTime]struct{},
	ids map[ledger.Position]int64, in *ledger.StepInput, fresh []ledger.Position) (err error) {
	var poss []int64
	var orders []string
	byID := map[int64]ledger.Position{}
	for a := range allocSet {
		if id, ok := ids[a.Position]; ok {
			poss, orders = append(poss, id), append(orders, a.Order)
			byID[id] = a.Position
		}
	}
	var keys []ledger.SnapshotTime
	var snapPos, ats []int64
	for k := range snapSet {
		st, ok := in.Positions[k.Position]
		if !ok || !st.Latest.IsZero() && !st.Latest.After(k.At) {
			continue // a new position, or none of its movements is after k.At
		}
		id := ids[k.Position]
		keys, snapPos, ats = append(keys, k), append(snapPos, id), append(ats, k.At.UnixNano())
	}
	if len(poss) == 0 && len(keys) == 0 && len(fresh) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	if len(fresh) > 0 {
		b.Queue(`SELECT array_agg(nextval('ledger_position_ids')) FROM generate_series(1, $1)`, len(fresh))
	}
	if len(poss) > 0 {
		b.Queue(`SELECT a.pos, a.order_no, a.quantity
			FROM unnest($1::bigint[], $2::text[]) AS u(pos, ord)
			JOIN ledger_allocations a ON a.pos = u.pos AND a.order_no = u.ord COLLATE "C"`, poss, orders)
	}
	if len(keys) > 0 {
		b.Queue(`SELECT u.i,
				coalesce(sum(m.d_on_hand), 0)::bigint, coalesce(sum(m.d_allocated), 0)::bigint,
				coalesce(sum(m.d_in_transit), 0)::bigint, coalesce(sum(m.d_damaged), 0)::bigint,
				coalesce(sum(m.d_quarantined), 0)::bigint
			FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS u(pos, at, i)
			LEFT JOIN ledger_movements m ON m.pos = u.pos AND m.effective > u.at
			GROUP BY u.i`, snapPos, ats)
	}
	br := conn.SendBatch(ctx, b)
	defer func() {
		if cerr := br.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if len(fresh) > 0 {
		var got []int64
		if err := br.QueryRow().Scan(&got); err != nil {
			return fmt.Errorf("numbering positions: %w", err)
		}
		if len(got) != len(fresh) {
			return fmt.Errorf("numbering positions: %d ids for %d positions", len(got), len(fresh))
		}
		for i, p := range fresh {
			ids[p] = got[i]
		}
	}
	if len(poss) > 0 {
		rows, err := br.Query()
		if err != nil {
			return fmt.Errorf("reading allocations: %w", err)
		}
		for rows.Next() {
			var id, q int64
			var order string
			if err := rows.Scan(&id, &order, &q); err != nil {
				rows.Close()
				return err
			}
			in.Allocations[ledger.OrderAllocation{Position: byID[id], Order: order}] = q
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("reading allocations: %w", err)
		}
	}
	if len(keys) > 0 {
		rows, err := br.Query()
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
			in.Later[keys[i-1]] = q
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("summing movements after snapshots: %w", err)
		}
	}
	return nil
}

// movementColumns are ledger_movements' columns, in COPY order.
var movementColumns = []string{
	"id", "seq", "source_key", "pos", "kind", "bucket", "flags", "quantity", "effective", "expected", "ref",
	"d_on_hand", "d_allocated", "d_in_transit", "d_damaged", "d_quarantined",
}

// positionArrays holds positions' states as columns.
type positionArrays struct {
	skus, locs                  []string
	oh, al, it, dm, qu, seq, id []int64
	extra                       [][]byte
	latest                      []*int64 // nil: not known

	buf   []byte  // where extra's values are encoded
	times []int64 // where latest points
}

// newPositionArrays returns arrays with room for n positions.
func newPositionArrays(n int) *positionArrays {
	a := &positionArrays{skus: make([]string, 0, n), locs: make([]string, 0, n), extra: make([][]byte, 0, n), latest: make([]*int64, 0, n),
		buf: make([]byte, 0, 8*n), times: make([]int64, 0, n)}
	for _, c := range []*[]int64{&a.oh, &a.al, &a.it, &a.dm, &a.qu, &a.seq, &a.id} {
		*c = make([]int64, 0, n)
	}
	return a
}

func (a *positionArrays) add(p ledger.Position, s *ledger.PositionState, id int64) {
	a.skus, a.locs = append(a.skus, p.SKU), append(a.locs, p.Location)
	a.oh, a.al, a.it, a.dm, a.qu = append(a.oh, s.OnHand), append(a.al, s.Allocated), append(a.it, s.InTransit), append(a.dm, s.Damaged), append(a.qu, s.Quarantined)
	a.seq, a.id = append(a.seq, int64(s.Seq)), append(a.id, id)
	at := len(a.buf)
	a.buf = encodeExtra(a.buf, s)
	a.extra = append(a.extra, a.buf[at:len(a.buf):len(a.buf)])
	var latest *int64 // not known
	if !s.Latest.IsZero() {
		if len(a.times) == cap(a.times) {
			a.times = make([]int64, 0, max(1024, cap(a.times)))
		}
		a.times = append(a.times, s.Latest.UnixNano())
		latest = &a.times[len(a.times)-1]
	}
	a.latest = append(a.latest, latest)
}

// write writes what the transaction decided and commits: new positions,
// movements, changed positions and allocations, postings, the sequence.
// ids holds the ids of the positions found stored (have) and, in a
// large transaction, of the new ones.
//
// A small transaction does it all in one round trip (rows from arrays,
// new positions' ids found by key). A large one has been copying its
// movements (mv) while the rules ran: write ends that COPY, copies the
// new positions in, and writes the rest in one round trip.
func write(ctx context.Context, conn *pgxpool.Conn, ps []ledger.Position, states []ledger.PositionState, have map[ledger.Position]ledger.PositionState,
	ids map[ledger.Position]int64, allocs map[ledger.OrderAllocation]int64, outs []*ledger.StepOutput, mv *copyStream,
	lastSeq, lastID uint64) (err error) {
	type newPosition struct {
		id int64 // when numbered (a large transaction)
		i  int   // in ps
	}
	var news []newPosition
	nstored := 0
	for _, p := range ps {
		if _, ok := have[p]; ok {
			nstored++
		}
	}
	stored := newPositionArrays(nstored)
	for i, p := range ps {
		if _, ok := have[p]; ok {
			stored.add(p, &states[i], ids[p])
		} else {
			news = append(news, newPosition{ids[p], i})
		}
	}
	// New positions in key order: their ids and (SKU, location) keys then
	// grow together, and the indexes take them at their right edge. (A
	// large transaction numbered them in that order.)
	slices.SortFunc(news, func(a, b newPosition) int {
		return cmp.Or(cmp.Compare(a.id, b.id), comparePositions(ps[a.i], ps[b.i]))
	})
	fresh := newPositionArrays(len(news))
	for _, n := range news {
		fresh.add(ps[n.i], &states[n.i], n.id)
	}
	n := 0
	for _, o := range outs {
		n += len(o.Movements)
	}
	b := &pgx.Batch{}
	if mv != nil {
		copied, err := mv.wait()
		if err != nil {
			return fmt.Errorf("writing movements: %w", err)
		}
		if copied != int64(n) {
			return fmt.Errorf("writing movements: %d of %d copied", copied, n)
		}
		if len(fresh.skus) > 0 {
			pc := startCopy(ctx, conn, "ledger_positions", positionColumnsCopy)
			pc.positions(fresh)
			if copied, err := pc.wait(); err != nil || copied != int64(len(fresh.skus)) {
				return fmt.Errorf("creating positions: %d of %d: %v", copied, len(fresh.skus), err)
			}
		}
	} else if len(fresh.skus) > 0 {
		b.Queue(insertPositionsSQL, fresh.skus, fresh.locs, fresh.oh, fresh.al, fresh.it, fresh.dm, fresh.qu, fresh.seq, fresh.extra, fresh.latest)
	}
	if mv != nil && len(stored.id) > 0 {
		// Many stored positions: their states by COPY into a temporary
		// table (pgx spent 0.1-0.2 CPU-s encoding 200,000 states as
		// arrays, and the server 0.28 s taking them apart again).
		if _, err := conn.Exec(ctx, createChanged); err != nil {
			return fmt.Errorf("writing positions: %w", err)
		}
		cc := startCopy(ctx, conn, "ledger_changed", changedColumns)
		cc.changed(stored)
		if copied, err := cc.wait(); err != nil || copied != int64(len(stored.id)) {
			return fmt.Errorf("writing positions: %d of %d: %v", copied, len(stored.id), err)
		}
		b.Queue(`UPDATE ledger_positions p SET on_hand = u.on_hand, allocated = u.allocated, in_transit = u.in_transit,
				damaged = u.damaged, quarantined = u.quarantined, seq = u.seq, extra = u.extra, latest = u.latest
			FROM ledger_changed u WHERE p.id = u.id`)
	} else if len(stored.id) > 0 {
		b.Queue(`UPDATE ledger_positions p SET on_hand = u.oh, allocated = u.al, in_transit = u.it, damaged = u.dm,
				quarantined = u.qu, seq = u.seq, extra = u.extra, latest = u.latest
			FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bytea[], $9::bigint[])
				AS u(id, oh, al, it, dm, qu, seq, extra, latest)
			WHERE p.id = u.id`, stored.id, stored.oh, stored.al, stored.it, stored.dm, stored.qu, stored.seq, stored.extra, stored.latest)
	}
	if mv == nil && n > 0 {
		// Every movement's position is locked, or inserted above.
		queueMovements(b, outs, n)
	}
	var setSKU, setLoc, setOrd, delSKU, delLoc, delOrd []string
	var setQ []int64
	for al, q := range allocs {
		if q == 0 {
			delSKU, delLoc, delOrd = append(delSKU, al.SKU), append(delLoc, al.Location), append(delOrd, al.Order)
		} else {
			setSKU, setLoc, setOrd, setQ = append(setSKU, al.SKU), append(setLoc, al.Location), append(setOrd, al.Order), append(setQ, q)
		}
	}
	if len(setSKU) > 0 {
		b.Queue(`INSERT INTO ledger_allocations (pos, order_no, quantity)
			SELECT p.id, u.ord, u.q FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS u(sku, loc, ord, q)
			JOIN ledger_positions p ON p.sku = u.sku COLLATE "C" AND p.location = u.loc COLLATE "C"
			ON CONFLICT (pos, order_no) DO UPDATE SET quantity = EXCLUDED.quantity`, setSKU, setLoc, setOrd, setQ)
	}
	if len(delSKU) > 0 {
		b.Queue(`DELETE FROM ledger_allocations a USING unnest($1::text[], $2::text[], $3::text[]) AS u(sku, loc, ord), ledger_positions p
			WHERE p.sku = u.sku COLLATE "C" AND p.location = u.loc COLLATE "C" AND a.pos = p.id AND a.order_no = u.ord COLLATE "C"`, delSKU, delLoc, delOrd)
	}
	if len(outs) > 0 {
		k := len(outs)
		seqs, firsts, counts, recs := make([]int64, k), make([]int64, k), make([]int64, k), make([]int64, k)
		docs := make([]string, k)
		for i, o := range outs {
			seqs[i], docs[i], recs[i] = int64(o.Result.Seq), o.Movements[0].Document, o.Result.Recorded.UnixNano()
			firsts[i], counts[i] = int64(o.Result.FirstID), int64(len(o.Movements))
		}
		b.Queue(`INSERT INTO ledger_postings (seq, document, recorded, first_id, count)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])`, seqs, docs, recs, firsts, counts)
		b.Queue(`UPDATE ledger_head SET seq = $1, last_id = $2`, int64(lastSeq), int64(lastID))
	}
	b.Queue(`COMMIT`)
	br := conn.SendBatch(ctx, b)
	defer func() {
		if cerr := br.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("writing: %w", cerr)
		}
	}()
	for range b.Len() {
		_, err := br.Exec()
		if err != nil {
			return fmt.Errorf("writing: %w", err)
		}
	}
	return nil
}

const insertPositionsSQL = `INSERT INTO ledger_positions (sku, location, on_hand, allocated, in_transit, damaged, quarantined, seq, extra, latest)
	SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bytea[],
		$10::bigint[])`

// positionColumnsCopy are ledger_positions' columns, in COPY order.
var positionColumnsCopy = []string{"id", "sku", "location", "on_hand", "allocated", "in_transit", "damaged", "quarantined", "seq", "extra", "latest"}

// queueMovements queues the insert of the documents' n movements from
// arrays, their positions found by key (new ones are inserted earlier in
// the same batch).
func queueMovements(b *pgx.Batch, outs []*ledger.StepOutput, n int) {
	id, seq, qty, eff := make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
	kind, bucket, flags := make([]int16, 0, n), make([]int16, 0, n), make([]int16, 0, n)
	expected := make([]*int64, 0, n)
	src, skus, locs := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	refs := make([][]byte, 0, n)
	var d [5][]int64
	for i := range d {
		d[i] = make([]int64, 0, n)
	}
	for _, o := range outs {
		for i := range o.Movements {
			m := &o.Movements[i]
			id, seq, qty, eff = append(id, int64(m.ID)), append(seq, int64(m.Seq)), append(qty, m.Quantity), append(eff, m.Effective.UnixNano())
			kind, bucket, flags = append(kind, int16(m.Kind)), append(bucket, int16(m.Bucket)), append(flags, movementFlags(m))
			var e *int64
			if !m.Expected.IsZero() {
				v := m.Expected.UnixNano()
				e = &v
			}
			expected = append(expected, e)
			src, skus, locs = append(src, m.SourceKey), append(skus, m.SKU), append(locs, m.Location)
			refs = append(refs, encodeRef([]byte{}, m))
			d[0], d[1], d[2] = append(d[0], m.Delta.OnHand), append(d[1], m.Delta.Allocated), append(d[2], m.Delta.InTransit)
			d[3], d[4] = append(d[3], m.Delta.Damaged), append(d[4], m.Delta.Quarantined)
		}
	}
	b.Queue(`INSERT INTO ledger_movements (id, seq, source_key, pos, kind, bucket, flags, quantity, effective, expected, ref,
			d_on_hand, d_allocated, d_in_transit, d_damaged, d_quarantined)
		SELECT u.id, u.seq, u.src, p.id, u.kind, u.bucket, u.flags, u.qty, u.eff, u.exp, u.ref, u.d0, u.d1, u.d2, u.d3, u.d4
		FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::smallint[], $8::smallint[],
			$9::bigint[], $10::bigint[], $11::bigint[], $12::bytea[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[])
			AS u(id, seq, src, sku, loc, kind, bucket, flags, qty, eff, exp, ref, d0, d1, d2, d3, d4)
		JOIN ledger_positions p ON p.sku = u.sku COLLATE "C" AND p.location = u.loc COLLATE "C"`,
		id, seq, src, skus, locs, kind, bucket, flags, qty, eff, expected, refs, d[0], d[1], d[2], d[3], d[4])
}
