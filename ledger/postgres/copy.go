package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/jackc/pgx/v5"
)

// Sizes of CopyFrom's steps.
const (
	// copyChunk is how many movements one copy transaction takes at most
	// (whole postings: a larger posting goes alone).
	copyChunk = 50_000
	// copyPostingsPage is how many postings are read from the source at a
	// time to be grouped into chunks.
	copyPostingsPage = 10_000
	// copyPositionsPage is how many positions are read from the source at
	// a time, to be written or compared (with their timelines).
	copyPositionsPage = 2_000
	// verifyChunk is how many movements are compared at a time.
	verifyChunk = 20_000
)

// CopyFrom copies the bbolt ledger src (of a stopped gateway) into dst
// and verifies the copy; see pgstore.CopyReport, whose records are here
// the movements.
//
// The postings are copied in order, in chunks of whole postings (about
// copyChunk movements), each chunk in one transaction that holds the
// ledger's writer lock: its movements and postings by COPY, under their
// own IDs and change sequence numbers (which the change stream and the
// channels' "examined at" marks refer to), and the positions they create.
// While the copy runs, the change sequence (ledger_head) stays at zero:
// Open refuses the half-copied ledger (ErrCopyUnfinished) unless
// Options.ForCopy is set, as it must be for dst, and a Store that has it
// open cannot post into it (its first movement would collide). The last transaction writes every
// position's state (figures, in-transit schedule, snapshot times) and
// every order's allocation as the source has them, and sets the change
// sequence and the last movement ID to the source's: new postings
// continue after them.
//
// An interrupted copy continues after the last posting it committed; a
// complete one copies nothing. CopyFrom refuses, with
// pgstore.ErrCopyMismatch, a ledger in PostgreSQL whose postings are not
// a beginning of the source's (compared: the first and the last, by
// document key, recording time and movement IDs), or that holds
// movements or positions without postings.
//
// Then it compares, in one snapshot of the database, every posting,
// every movement (every field, its document's key and recording time,
// and that the source's index finds it under its source key), every
// position's state, allocations and timeline, and the change sequence;
// the first difference comes back wrapping pgstore.ErrCopyMismatch,
// naming the posting, movement or position. Last, dst.Verify checks the
// copy's own invariants.
func CopyFrom(ctx context.Context, src *ledger.Ledger, dst *Store) (pgstore.CopyReport, error) {
	return copyFrom(ctx, src, dst, copyOptions{chunk: copyChunk})
}

// copyOptions are CopyFrom's settings; tests change them.
type copyOptions struct {
	chunk        uint64           // movements a copy transaction takes at most (whole postings)
	afterChunk   func(seq uint64) // called after each chunk committed, with its last posting
	beforeVerify func()           // called when the copy is done, before it is verified
}

// copyFrom is CopyFrom with o.
func copyFrom(ctx context.Context, src *ledger.Ledger, dst *Store, o copyOptions) (pgstore.CopyReport, error) {
	r := pgstore.CopyReport{Store: Migrations.Store}
	if err := dst.begin(ctx); err != nil {
		return r, err
	}
	head, err := sourceHead(ctx, src)
	if err != nil {
		return r, err
	}
	r.Source = int(head.ID)
	at, err := dst.copyProgress(ctx, src, head)
	if err != nil {
		return r, err
	}
	r.Present = int(at.ID)
	if at.Seq < head.Seq || !at.complete {
		ids, err := dst.positionIDs(ctx)
		if err != nil {
			return r, err
		}
		var pending []ledger.Posting
		for seq := at.Seq; seq < head.Seq; {
			if len(pending) == 0 {
				if pending, err = src.ReadPostings(ctx, seq, copyPostingsPage); err != nil {
					return r, err
				}
				if len(pending) == 0 {
					return r, fmt.Errorf("ledger: the source has no posting after %d, its last is %d", seq, head.Seq)
				}
			}
			n, count := 1, pending[0].Count
			for n < len(pending) && count+pending[n].Count <= o.chunk {
				count += pending[n].Count
				n++
			}
			copied, err := dst.copyChunk(ctx, src, pending[:n], ids)
			r.Copied += copied
			if err != nil {
				return r, err
			}
			seq, pending = pending[n-1].Seq, pending[n:]
			if o.afterChunk != nil {
				o.afterChunk(seq)
			}
		}
		if err := dst.copyFinish(ctx, src, head); err != nil {
			return r, err
		}
	}
	if o.beforeVerify != nil {
		o.beforeVerify()
	}
	n, err := dst.verifyCopy(ctx, src, head)
	r.Verified = n
	if err != nil {
		return r, err
	}
	if err := dst.Verify(ctx); err != nil {
		return r, fmt.Errorf("ledger: the copy: %w", err)
	}
	return r, nil
}

// copyHead is where a ledger's change sequence is: the last posting and
// the last movement ID.
type copyHead struct {
	Seq, ID  uint64
	complete bool // PostgreSQL: ledger_head is set (not a copy in progress)
}

// sourceHead returns the source's last posting and movement ID.
func sourceHead(ctx context.Context, src *ledger.Ledger) (copyHead, error) {
	seq, err := src.LastSeq(ctx)
	if err != nil || seq == 0 {
		return copyHead{}, err
	}
	ps, err := src.ReadPostings(ctx, seq-1, 1)
	if err != nil {
		return copyHead{}, err
	}
	if len(ps) != 1 || ps[0].Seq != seq {
		return copyHead{}, fmt.Errorf("ledger: the source's last posting %d is missing: %w", seq, ledger.ErrCorrupt)
	}
	return copyHead{Seq: seq, ID: ps[0].FirstID + ps[0].Count - 1}, nil
}

// mismatch returns an error wrapping pgstore.ErrCopyMismatch about what.
func mismatch(what, format string, args ...any) error {
	return pgstore.Mismatch(Migrations.Store, what, fmt.Sprintf(format, args...))
}

// copyProgress returns how far dst holds a copy of src: the last posting
// and movement it holds, which must be the source's, and whether the
// copy was finished (the change sequence set).
func (s *Store) copyProgress(ctx context.Context, src *ledger.Ledger, head copyHead) (copyHead, error) {
	var headSeq, headID, maxSeq, postings, maxID, positions, allocations int64
	err := s.pool.QueryRow(ctx, `SELECT h.seq, h.last_id, (SELECT coalesce(max(seq), 0) FROM ledger_postings),
			(SELECT count(*) FROM ledger_postings), (SELECT coalesce(max(id), 0) FROM ledger_movements),
			(SELECT count(*) FROM ledger_positions), (SELECT count(*) FROM ledger_allocations)
		FROM ledger_head h`).Scan(&headSeq, &headID, &maxSeq, &postings, &maxID, &positions, &allocations)
	if err != nil {
		return copyHead{}, fmt.Errorf("ledger: reading the copy's progress: %w", err)
	}
	if maxSeq == 0 {
		if headSeq != 0 || headID != 0 || maxID != 0 || positions != 0 || allocations != 0 {
			return copyHead{}, mismatch("ledger", "PostgreSQL holds %d positions, movements up to %d and %d allocations but no posting: not a copy of this ledger; copy into an empty one",
				positions, maxID, allocations)
		}
		return copyHead{complete: head.Seq == 0}, nil
	}
	if postings != maxSeq {
		return copyHead{}, mismatch("ledger", "PostgreSQL holds %d postings numbered up to %d: not a copy of this ledger", postings, maxSeq)
	}
	if uint64(maxSeq) > head.Seq {
		return copyHead{}, mismatch(fmt.Sprintf("posting %d", maxSeq), "PostgreSQL has postings after the source's last (%d): not from this source (did a gateway post to it?)", head.Seq)
	}
	var at copyHead
	for _, seq := range []uint64{1, uint64(maxSeq)} {
		want, err := src.ReadPostings(ctx, seq-1, 1)
		if err != nil {
			return copyHead{}, err
		}
		var got ledger.Posting
		var rec, first, count int64
		err = s.pool.QueryRow(ctx, `SELECT document, recorded, first_id, count FROM ledger_postings WHERE seq = $1`, int64(seq)).
			Scan(&got.Document, &rec, &first, &count)
		if err != nil {
			return copyHead{}, fmt.Errorf("ledger: reading posting %d: %w", seq, err)
		}
		got.Seq, got.Recorded, got.FirstID, got.Count = seq, fromNanos(rec), uint64(first), uint64(count)
		if len(want) != 1 || want[0].Seq != seq {
			return copyHead{}, mismatch(fmt.Sprintf("posting %d", seq), "in PostgreSQL, not in the source: not a copy of this ledger")
		}
		if d := diffPosting(got, want[0]); d != "" {
			return copyHead{}, mismatch(fmt.Sprintf("posting %d", seq), "%s: PostgreSQL holds postings of another ledger; copy into an empty one", d)
		}
		at = copyHead{Seq: seq, ID: got.FirstID + got.Count - 1}
	}
	if maxID != int64(at.ID) {
		return copyHead{}, mismatch("ledger", "PostgreSQL holds movements up to %d, its postings up to %d", maxID, at.ID)
	}
	switch {
	case headSeq == 0:
	case headSeq == maxSeq && headID == maxID:
		at.complete = true
	default:
		return copyHead{}, mismatch("ledger", "PostgreSQL's change sequence is at %d (movement %d), its postings at %d (movement %d)", headSeq, headID, maxSeq, maxID)
	}
	return at, nil
}

// positionIDs returns the ids of the positions dst holds.
func (s *Store) positionIDs(ctx context.Context) (map[ledger.Position]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, sku, location FROM ledger_positions`)
	if err != nil {
		return nil, fmt.Errorf("ledger: reading positions: %w", err)
	}
	ids := map[ledger.Position]int64{}
	var id int64
	var p ledger.Position
	if _, err := pgx.ForEachRow(rows, []any{&id, &p.SKU, &p.Location}, func() error {
		ids[p] = id
		return nil
	}); err != nil {
		return nil, fmt.Errorf("ledger: reading positions: %w", err)
	}
	return ids, nil
}

// lockForCopy locks the change sequence (the ledger's writer lock) in
// tx and checks that dst still holds postings up to seq and nothing else
// has been posted: another copy or a node may have run meanwhile.
func lockForCopy(ctx context.Context, tx pgx.Tx, seq uint64) error {
	var headSeq, maxSeq int64
	if err := tx.QueryRow(ctx, `SELECT seq FROM ledger_head FOR UPDATE`).Scan(&headSeq); err != nil {
		return fmt.Errorf("locking the change sequence: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM ledger_postings`).Scan(&maxSeq); err != nil {
		return err
	}
	if uint64(maxSeq) != seq || (headSeq != 0 && headSeq != maxSeq) {
		return mismatch("ledger", "PostgreSQL changed while copying (postings up to %d, change sequence %d; expected %d): another copy, or a node posting?", maxSeq, headSeq, seq)
	}
	return nil
}

// copyMovementColumns are ledger_movements' columns, in the order
// copiedMovements gives them.
var copyMovementColumns = []string{
	"id", "seq", "source_key", "pos", "kind", "bucket", "flags", "quantity", "effective", "expected", "ref",
	"d_on_hand", "d_allocated", "d_in_transit", "d_damaged", "d_quarantined",
}

// copiedMovements feeds COPY from the source's movements.
type copiedMovements struct {
	ms  []ledger.Movement
	ids map[ledger.Position]int64
	i   int
	row []any
	ref []byte
}

func (r *copiedMovements) Next() bool {
	r.i++
	return r.i <= len(r.ms)
}

func (r *copiedMovements) Values() ([]any, error) {
	m := &r.ms[r.i-1]
	pos, ok := r.ids[ledger.Position{SKU: m.SKU, Location: m.Location}]
	if !ok {
		return nil, fmt.Errorf("movement %d: position %q at %q has no id", m.ID, m.SKU, m.Location)
	}
	var expected any
	if !m.Expected.IsZero() {
		expected = m.Expected.UnixNano()
	}
	r.ref = encodeRef(r.ref[:0], m)
	r.row = append(r.row[:0],
		int64(m.ID), int64(m.Seq), m.SourceKey, pos, int16(m.Kind), int16(m.Bucket), movementFlags(m), m.Quantity,
		m.Effective.UnixNano(), expected, r.ref,
		m.Delta.OnHand, m.Delta.Allocated, m.Delta.InTransit, m.Delta.Damaged, m.Delta.Quarantined)
	return r.row, nil
}

func (r *copiedMovements) Err() error { return nil }

// copyChunk copies the postings ps (consecutive, after what dst holds)
// with their movements in one transaction, creating the positions they
// are the first at (with zero figures, until copyFinish). It adds those
// to ids once committed and returns the movements copied.
func (s *Store) copyChunk(ctx context.Context, src *ledger.Ledger, ps []ledger.Posting, ids map[ledger.Position]int64) (int, error) {
	first, last := ps[0], ps[len(ps)-1]
	where := fmt.Sprintf("ledger: copying postings %d to %d", first.Seq, last.Seq)
	n := last.FirstID + last.Count - first.FirstID
	ms, err := src.ReadMovements(ctx, first.FirstID, int(n))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", where, err)
	}
	if uint64(len(ms)) != n {
		return 0, fmt.Errorf("%s: %w: %d movements from %d, the postings name %d", where, ledger.ErrCorrupt, len(ms), first.FirstID, n)
	}
	j := 0
	for _, p := range ps {
		if ms[j].ID != p.FirstID {
			return 0, fmt.Errorf("%s: %w: posting %d starts at movement %d, expected %d", where, ledger.ErrCorrupt, p.Seq, p.FirstID, ms[j].ID)
		}
		for range p.Count {
			if ms[j].Seq != p.Seq {
				return 0, fmt.Errorf("%s: %w: movement %d is of posting %d, not %d", where, ledger.ErrCorrupt, ms[j].ID, ms[j].Seq, p.Seq)
			}
			j++
		}
	}
	var skus, locs []string
	seen := map[ledger.Position]bool{}
	for i := range ms {
		p := ledger.Position{SKU: ms[i].SKU, Location: ms[i].Location}
		if _, ok := ids[p]; !ok && !seen[p] {
			seen[p] = true
			skus, locs = append(skus, p.SKU), append(locs, p.Location)
		}
	}
	created := map[ledger.Position]int64{}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockForCopy(ctx, tx, first.Seq-1); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE ledger_head SET seq = 0, last_id = 0 WHERE seq <> 0`); err != nil {
			return err
		}
		if len(skus) > 0 {
			// New positions: ids from the table's sequence, rows by COPY.
			rows, err := tx.Query(ctx, `SELECT nextval('ledger_position_ids') FROM generate_series(1, $1)`, len(skus))
			if err != nil {
				return fmt.Errorf("numbering positions: %w", err)
			}
			newIDs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil || len(newIDs) != len(skus) {
				return fmt.Errorf("numbering positions: %d ids for %d positions: %v", len(newIDs), len(skus), err)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_positions"},
				[]string{"id", "sku", "location", "on_hand", "allocated", "in_transit", "damaged", "quarantined", "seq", "extra"},
				pgx.CopyFromSlice(len(skus), func(i int) ([]any, error) {
					return []any{newIDs[i], skus[i], locs[i], int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), []byte{}}, nil
				})); err != nil {
				return fmt.Errorf("creating positions: %w", err)
			}
			for i := range skus {
				created[ledger.Position{SKU: skus[i], Location: locs[i]}] = newIDs[i]
			}
		}
		all := ids
		if len(created) > 0 {
			all = make(map[ledger.Position]int64, len(ids)+len(created))
			for p, id := range ids {
				all[p] = id
			}
			for p, id := range created {
				all[p] = id
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_movements"}, copyMovementColumns,
			&copiedMovements{ms: ms, ids: all, ref: make([]byte, 0, 128)}); err != nil {
			return fmt.Errorf("writing movements: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_postings"}, []string{"seq", "document", "recorded", "first_id", "count"},
			pgx.CopyFromSlice(len(ps), func(i int) ([]any, error) {
				p := &ps[i]
				return []any{int64(p.Seq), p.Document, p.Recorded.UnixNano(), int64(p.FirstID), int64(p.Count)}, nil
			})); err != nil {
			return fmt.Errorf("writing postings: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", where, err)
	}
	for p, id := range created {
		ids[p] = id
	}
	return len(ms), nil
}

// copyFinish writes every position's state and every allocation as the
// source has them, and sets the change sequence and last movement ID to
// the source's, in one transaction.
func (s *Store) copyFinish(ctx context.Context, src *ledger.Ledger, head copyHead) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockForCopy(ctx, tx, head.Seq); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE TEMP TABLE ledger_copy_positions (
				sku text COLLATE "C", location text COLLATE "C", on_hand bigint, allocated bigint, in_transit bigint,
				damaged bigint, quarantined bigint, seq bigint, extra bytea) ON COMMIT DROP;
			CREATE TEMP TABLE ledger_copy_allocations (
				sku text COLLATE "C", location text COLLATE "C", order_no text COLLATE "C", quantity bigint) ON COMMIT DROP`)
		if err != nil {
			return err
		}
		var after ledger.Position
		total := 0
		for {
			page, err := src.ReadPositions(ctx, after, copyPositionsPage, false)
			if err != nil {
				return err
			}
			if len(page) == 0 {
				break
			}
			total += len(page)
			after = page[len(page)-1].Position
			var allocs [][]any
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_copy_positions"},
				[]string{"sku", "location", "on_hand", "allocated", "in_transit", "damaged", "quarantined", "seq", "extra"},
				pgx.CopyFromSlice(len(page), func(i int) ([]any, error) {
					p := &page[i]
					st := &p.State
					for order, q := range p.Allocations {
						allocs = append(allocs, []any{p.SKU, p.Location, order, q})
					}
					return []any{p.SKU, p.Location, st.OnHand, st.Allocated, st.InTransit, st.Damaged, st.Quarantined,
						int64(st.Seq), encodeExtra(nil, st)}, nil
				})); err != nil {
				return fmt.Errorf("writing positions: %w", err)
			}
			if len(allocs) > 0 {
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_copy_allocations"}, []string{"sku", "location", "order_no", "quantity"},
					pgx.CopyFromRows(allocs)); err != nil {
					return fmt.Errorf("writing allocations: %w", err)
				}
			}
		}
		tag, err := tx.Exec(ctx, `INSERT INTO ledger_positions (sku, location, on_hand, allocated, in_transit, damaged, quarantined, seq, extra)
			SELECT sku, location, on_hand, allocated, in_transit, damaged, quarantined, seq, extra FROM ledger_copy_positions
			ON CONFLICT (sku, location) DO UPDATE SET on_hand = EXCLUDED.on_hand, allocated = EXCLUDED.allocated,
				in_transit = EXCLUDED.in_transit, damaged = EXCLUDED.damaged, quarantined = EXCLUDED.quarantined,
				seq = EXCLUDED.seq, extra = EXCLUDED.extra`)
		if err != nil {
			return fmt.Errorf("writing positions: %w", err)
		}
		if tag.RowsAffected() != int64(total) {
			return fmt.Errorf("writing positions: %d of %d written", tag.RowsAffected(), total)
		}
		// Each position's newest effective time (latest), which the
		// chunks left unknown: the next snapshots there need not sum.
		if _, err := tx.Exec(ctx, `UPDATE ledger_positions p SET latest = m.latest
			FROM (SELECT pos, max(effective) AS latest FROM ledger_movements GROUP BY pos) m
			WHERE p.id = m.pos`); err != nil {
			return fmt.Errorf("writing positions: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM ledger_allocations`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ledger_allocations (pos, order_no, quantity)
			SELECT p.id, a.order_no, a.quantity FROM ledger_copy_allocations a
			JOIN ledger_positions p ON p.sku = a.sku AND p.location = a.location`); err != nil {
			return fmt.Errorf("writing allocations: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE ledger_head SET seq = $1, last_id = $2`, int64(head.Seq), int64(head.ID))
		return err
	})
	if err != nil {
		return fmt.Errorf("ledger: copying positions and allocations: %w", err)
	}
	return nil
}

// verifyCopy compares dst with src in one snapshot of the database: the
// change sequence, every posting, every movement (and its source key in
// the source's index), every position's state, allocations and
// timeline. It returns the movements found equal before the first
// difference.
func (s *Store) verifyCopy(ctx context.Context, src *ledger.Ledger, head copyHead) (int, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, fmt.Errorf("ledger: verifying: %w", err)
	}
	defer tx.Rollback(context.Background())
	var headSeq, headID, postings, movements int64
	err = tx.QueryRow(ctx, `SELECT h.seq, h.last_id, (SELECT count(*) FROM ledger_postings), (SELECT count(*) FROM ledger_movements)
		FROM ledger_head h`).Scan(&headSeq, &headID, &postings, &movements)
	if err != nil {
		return 0, fmt.Errorf("ledger: verifying: %w", err)
	}
	if uint64(headSeq) != head.Seq || uint64(headID) != head.ID {
		return 0, mismatch("change sequence", "PostgreSQL is at posting %d, movement %d; the source at %d, %d", headSeq, headID, head.Seq, head.ID)
	}
	if uint64(postings) != head.Seq || uint64(movements) != head.ID {
		return 0, mismatch("ledger", "PostgreSQL holds %d postings and %d movements, the source %d and %d", postings, movements, head.Seq, head.ID)
	}
	if err := verifyPostings(ctx, tx, src); err != nil {
		return 0, err
	}
	verified := 0
	for from := uint64(1); from <= head.ID; from += verifyChunk {
		n, err := verifyMovements(ctx, tx, src, from, min(verifyChunk, head.ID-from+1))
		verified += n
		if err != nil {
			return verified, err
		}
	}
	if err := verifyPositions(ctx, tx, src); err != nil {
		return verified, err
	}
	return verified, nil
}

// verifyPostings compares every posting.
func verifyPostings(ctx context.Context, tx pgx.Tx, src *ledger.Ledger) error {
	for seq := uint64(0); ; {
		want, err := src.ReadPostings(ctx, seq, copyPostingsPage)
		if err != nil || len(want) == 0 {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT seq, document, recorded, first_id, count FROM ledger_postings
			WHERE seq > $1 AND seq <= $2 ORDER BY seq`, int64(seq), int64(want[len(want)-1].Seq))
		if err != nil {
			return fmt.Errorf("ledger: verifying postings: %w", err)
		}
		var got []ledger.Posting
		var p ledger.Posting
		var sq, rec, first, count int64
		if _, err := pgx.ForEachRow(rows, []any{&sq, &p.Document, &rec, &first, &count}, func() error {
			p.Seq, p.Recorded, p.FirstID, p.Count = uint64(sq), fromNanos(rec), uint64(first), uint64(count)
			got = append(got, p)
			return nil
		}); err != nil {
			return fmt.Errorf("ledger: verifying postings: %w", err)
		}
		for i, w := range want {
			what := fmt.Sprintf("posting %d (document %q)", w.Seq, w.Document)
			if i >= len(got) || got[i].Seq != w.Seq {
				return mismatch(what, "missing in PostgreSQL")
			}
			if d := diffPosting(got[i], w); d != "" {
				return mismatch(what, "%s", d)
			}
		}
		seq = want[len(want)-1].Seq
	}
}

// diffPosting describes the first difference between a posting in
// PostgreSQL and in the source, or returns "".
func diffPosting(got, want ledger.Posting) string {
	switch {
	case got.Document != want.Document:
		return fmt.Sprintf("document: PostgreSQL has %q, the source %q", got.Document, want.Document)
	case !got.Recorded.Equal(want.Recorded):
		return fmt.Sprintf("recorded: PostgreSQL has %v, the source %v", got.Recorded, want.Recorded)
	case got.FirstID != want.FirstID || got.Count != want.Count:
		return fmt.Sprintf("movements: PostgreSQL has %d+%d, the source %d+%d", got.FirstID, got.Count, want.FirstID, want.Count)
	}
	return ""
}

// verifyMovements compares the n movements from ID from on, and looks
// each up by its source key in the source. It returns how many were
// equal before the first difference.
func verifyMovements(ctx context.Context, tx pgx.Tx, src *ledger.Ledger, from, n uint64) (int, error) {
	want, err := src.ReadMovements(ctx, from, int(n))
	if err != nil {
		return 0, err
	}
	rows, err := tx.Query(ctx, movementSelect+`, g.document`+movementFrom+` WHERE m.id BETWEEN $1 AND $2 ORDER BY m.id`,
		int64(from), int64(from+n-1))
	if err != nil {
		return 0, fmt.Errorf("ledger: verifying movements: %w", err)
	}
	got := make([]ledger.Movement, 0, n)
	for rows.Next() {
		var m ledger.Movement
		if err := scanMovement(rows, &m, &m.Document); err != nil {
			rows.Close()
			return 0, fmt.Errorf("ledger: verifying movements: %w", err)
		}
		got = append(got, m)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("ledger: verifying movements: %w", err)
	}
	keys := make([]string, len(want))
	for i := range want {
		keys[i] = want[i].SourceKey
	}
	indexed, err := src.SourceMovements(ctx, keys)
	if err != nil {
		return 0, err
	}
	for i := range want {
		w := &want[i]
		what := fmt.Sprintf("movement %d (source key %q, %s at %s)", w.ID, w.SourceKey, w.SKU, w.Location)
		if i >= len(got) || got[i].ID != w.ID {
			return i, mismatch(what, "missing in PostgreSQL")
		}
		if d := diffMovement(&got[i], w); d != "" {
			return i, mismatch(what, "%s", d)
		}
		if indexed[i].ID != w.ID {
			return i, mismatch(what, "the source's index of source keys names movement %d", indexed[i].ID)
		}
	}
	if uint64(len(want)) != n {
		return len(want), mismatch(fmt.Sprintf("movement %d", from+uint64(len(want))), "missing in the source")
	}
	return len(want), nil
}

// diffMovement describes the first difference between a movement in
// PostgreSQL and in the source, or returns "".
func diffMovement(got, want *ledger.Movement) string {
	type field struct {
		name      string
		got, want any
	}
	type due struct {
		dated bool
		ns    int64
	}
	expected := func(t time.Time) due { return due{!t.IsZero(), nanos(t)} }
	for _, f := range []field{
		{"seq", got.Seq, want.Seq},
		{"document", got.Document, want.Document},
		{"source key", got.SourceKey, want.SourceKey},
		{"sku", got.SKU, want.SKU},
		{"location", got.Location, want.Location},
		{"kind", got.Kind, want.Kind},
		{"bucket", got.Bucket, want.Bucket},
		{"quantity", got.Quantity, want.Quantity},
		{"effective", got.Effective.UnixNano(), want.Effective.UnixNano()},
		{"expected", expected(got.Expected), expected(want.Expected)},
		{"recorded", got.Recorded.UnixNano(), want.Recorded.UnixNano()},
		{"take in transit", got.TakeInTransit, want.TakeInTransit},
		{"stale", got.Stale, want.Stale},
		{"absorbed", got.Absorbed, want.Absorbed},
		{"reason", got.Reason, want.Reason},
		{"reference", got.Reference, want.Reference},
		{"delta", got.Delta, want.Delta},
	} {
		if f.got != f.want {
			return fmt.Sprintf("%s: PostgreSQL has %+v, the source %+v", f.name, f.got, f.want)
		}
	}
	return ""
}

// verifyPositions compares every position, a page at a time: its state,
// allocations and timeline, and that PostgreSQL has no other.
func verifyPositions(ctx context.Context, tx pgx.Tx, src *ledger.Ledger) error {
	var after ledger.Position
	for {
		want, err := src.ReadPositions(ctx, after, copyPositionsPage, true)
		if err != nil {
			return err
		}
		got, err := readCopiedPositions(ctx, tx, after, max(len(want), 1))
		if err != nil {
			return err
		}
		for i := range want {
			w := &want[i]
			what := fmt.Sprintf("position %q at %q", w.SKU, w.Location)
			if i >= len(got) || got[i].Position != w.Position {
				return mismatch(what, "missing in PostgreSQL")
			}
			if d := diffPosition(&got[i], w); d != "" {
				return mismatch(what, "%s", d)
			}
		}
		if len(got) > len(want) {
			g := got[len(want)]
			return mismatch(fmt.Sprintf("position %q at %q", g.SKU, g.Location), "in PostgreSQL, not in the source")
		}
		if len(want) == 0 {
			return nil
		}
		after = want[len(want)-1].Position
	}
}

// readCopiedPositions reads up to limit positions after `after` in
// (SKU, location) order with their allocations and timelines.
func readCopiedPositions(ctx context.Context, tx pgx.Tx, after ledger.Position, limit int) ([]ledger.StoredPosition, error) {
	wrap := func(err error) error { return fmt.Errorf("ledger: verifying positions: %w", err) }
	rows, err := tx.Query(ctx, `SELECT p.id, `+positionColumns+` FROM ledger_positions p
		WHERE (p.sku, p.location) > ($1, $2) ORDER BY p.sku, p.location LIMIT $3`, after.SKU, after.Location, limit)
	if err != nil {
		return nil, wrap(err)
	}
	var out []ledger.StoredPosition
	var ids []int64
	byID := map[int64]int{}
	for rows.Next() {
		var id int64
		b, st, err := scanState(rows, &id)
		if err != nil {
			rows.Close()
			return nil, wrap(err)
		}
		byID[id] = len(out)
		ids = append(ids, id)
		out = append(out, ledger.StoredPosition{Position: ledger.Position{SKU: b.SKU, Location: b.Location}, State: st})
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err = tx.Query(ctx, `SELECT pos, order_no, quantity FROM ledger_allocations WHERE pos = ANY($1)`, ids)
	if err != nil {
		return nil, wrap(err)
	}
	var pos, q int64
	var order string
	if _, err := pgx.ForEachRow(rows, []any{&pos, &order, &q}, func() error {
		p := &out[byID[pos]]
		if p.Allocations == nil {
			p.Allocations = map[string]int64{}
		}
		p.Allocations[order] = q
		return nil
	}); err != nil {
		return nil, wrap(err)
	}
	rows, err = tx.Query(ctx, `SELECT pos, effective, id, d_on_hand, d_allocated, d_in_transit, d_damaged, d_quarantined
		FROM ledger_movements WHERE pos = ANY($1) ORDER BY pos, effective, id`, ids)
	if err != nil {
		return nil, wrap(err)
	}
	var eff, id int64
	var d ledger.Quantities
	if _, err := pgx.ForEachRow(rows, []any{&pos, &eff, &id, &d.OnHand, &d.Allocated, &d.InTransit, &d.Damaged, &d.Quarantined}, func() error {
		p := &out[byID[pos]]
		p.Timeline = append(p.Timeline, ledger.TimelineEntry{Effective: fromNanos(eff), ID: uint64(id), Delta: d})
		return nil
	}); err != nil {
		return nil, wrap(err)
	}
	return out, nil
}

// diffPosition describes the first difference between a position in
// PostgreSQL and in the source, or returns "".
func diffPosition(got, want *ledger.StoredPosition) string {
	g, w := &got.State, &want.State
	switch {
	case g.Quantities != w.Quantities:
		return fmt.Sprintf("balance: PostgreSQL has %+v, the source %+v", g.Quantities, w.Quantities)
	case g.Seq != w.Seq:
		return fmt.Sprintf("sequence number: PostgreSQL has %d, the source %d", g.Seq, w.Seq)
	case len(g.Incoming) != len(w.Incoming):
		return fmt.Sprintf("in-transit schedule: PostgreSQL has %d due dates, the source %d", len(g.Incoming), len(w.Incoming))
	}
	for i := range w.Incoming {
		if !g.Incoming[i].Due.Equal(w.Incoming[i].Due) || g.Incoming[i].Quantity != w.Incoming[i].Quantity {
			return fmt.Sprintf("in-transit schedule: PostgreSQL has %d due %v, the source %d due %v",
				g.Incoming[i].Quantity, g.Incoming[i].Due, w.Incoming[i].Quantity, w.Incoming[i].Due)
		}
	}
	for b := ledger.BucketOnHand; b <= ledger.BucketQuarantined; b++ {
		if !g.Snapshots[b].Equal(w.Snapshots[b]) {
			return fmt.Sprintf("newest snapshot of %s: PostgreSQL has %v, the source %v", b, g.Snapshots[b], w.Snapshots[b])
		}
	}
	if len(got.Allocations) != len(want.Allocations) {
		return fmt.Sprintf("allocations: PostgreSQL has %d orders, the source %d", len(got.Allocations), len(want.Allocations))
	}
	for order, q := range want.Allocations {
		if gq, ok := got.Allocations[order]; !ok || gq != q {
			return fmt.Sprintf("allocation of order %q: PostgreSQL has %d, the source %d", order, gq, q)
		}
	}
	if len(got.Timeline) != len(want.Timeline) {
		return fmt.Sprintf("timeline: PostgreSQL has %d movements, the source %d", len(got.Timeline), len(want.Timeline))
	}
	for i, e := range want.Timeline {
		if ge := got.Timeline[i]; ge.ID != e.ID || !ge.Effective.Equal(e.Effective) || ge.Delta != e.Delta {
			return fmt.Sprintf("timeline entry %d: PostgreSQL has movement %d at %v changing %+v, the source movement %d at %v changing %+v",
				i, ge.ID, ge.Effective, ge.Delta, e.ID, e.Effective, e.Delta)
		}
	}
	return ""
}
