package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/jackc/pgx/v5"
)

// maxVerifyErrors caps the problems Verify reports.
const maxVerifyErrors = 20

// Verify checks the ledger's invariants in one consistent snapshot:
// every balance equals the sum of its movements' deltas, its allocations
// and its in-transit schedule; the newest effective time it keeps, if
// any, is its newest movement's; no allocation is zero; postings cover the
// movements exactly, in order, up to the change sequence. Problems come
// back joined, each wrapping ledger.ErrCorrupt. It reads everything, so on
// a large ledger it takes a while.
func (s *Store) Verify(ctx context.Context) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("ledger: verify: %w", err)
	}
	defer tx.Rollback(context.Background())
	var problems []error
	fail := func(format string, args ...any) {
		if len(problems) < maxVerifyErrors {
			problems = append(problems, fmt.Errorf("%w: "+format, append([]any{ledger.ErrCorrupt}, args...)...))
		}
	}
	check := func(what, query string, scan func(pgx.Rows) error) error {
		rows, err := tx.Query(ctx, query)
		if err != nil {
			return fmt.Errorf("ledger: verify %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("ledger: verify %s: %w", what, err)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("ledger: verify %s: %w", what, err)
		}
		return nil
	}
	// Balances against their movements and allocations.
	err = check("balances", `WITH sums AS (
			SELECT pos, sum(d_on_hand) oh, sum(d_allocated) al, sum(d_in_transit) it, sum(d_damaged) dm,
				sum(d_quarantined) qu, max(seq) seq, max(effective) eff
			FROM ledger_movements GROUP BY pos),
		allocs AS (SELECT pos, sum(quantity) al FROM ledger_allocations GROUP BY pos)
		SELECT coalesce(p.sku, '#' || coalesce(s.pos, a.pos)::text), coalesce(p.location, ''),
			p.id IS NOT NULL, s.pos IS NOT NULL,
			coalesce(p.on_hand, 0) = coalesce(s.oh, 0) AND coalesce(p.allocated, 0) = coalesce(s.al, 0)
				AND coalesce(p.in_transit, 0) = coalesce(s.it, 0) AND coalesce(p.damaged, 0) = coalesce(s.dm, 0)
				AND coalesce(p.quarantined, 0) = coalesce(s.qu, 0),
			coalesce(p.seq, 0) = coalesce(s.seq, 0),
			coalesce(p.allocated, 0) = coalesce(a.al, 0),
			p.latest IS NULL OR p.latest = s.eff
		FROM ledger_positions p
		FULL JOIN sums s ON s.pos = p.id
		FULL JOIN allocs a ON a.pos = coalesce(p.id, s.pos)
		WHERE p.id IS NULL OR s.pos IS NULL
			OR NOT (coalesce(p.on_hand, 0) = coalesce(s.oh, 0) AND coalesce(p.allocated, 0) = coalesce(s.al, 0)
				AND coalesce(p.in_transit, 0) = coalesce(s.it, 0) AND coalesce(p.damaged, 0) = coalesce(s.dm, 0)
				AND coalesce(p.quarantined, 0) = coalesce(s.qu, 0))
			OR coalesce(p.seq, 0) <> coalesce(s.seq, 0) OR coalesce(p.allocated, 0) <> coalesce(a.al, 0)
			OR p.latest <> s.eff`,
		func(r pgx.Rows) error {
			var sku, loc string
			var hasPos, hasMoves, sumsOK, seqOK, allocOK, latestOK bool
			if err := r.Scan(&sku, &loc, &hasPos, &hasMoves, &sumsOK, &seqOK, &allocOK, &latestOK); err != nil {
				return err
			}
			switch {
			case !hasPos:
				fail("%s at %s: movements or allocations without a balance", sku, loc)
				return nil
			case !hasMoves:
				fail("%s at %s: a balance without movements", sku, loc)
				return nil
			}
			if !sumsOK {
				fail("%s at %s: the balance is not the sum of its movements", sku, loc)
			}
			if !seqOK {
				fail("%s at %s: the balance's sequence number is not its last movement's", sku, loc)
			}
			if !allocOK {
				fail("%s at %s: allocated is not the sum of the orders' allocations", sku, loc)
			}
			if !latestOK {
				fail("%s at %s: the newest effective time kept is not its newest movement's", sku, loc)
			}
			return nil
		})
	if err != nil {
		return err
	}
	// In-transit schedules and zero allocations.
	err = check("in-transit schedules", `SELECT `+positionColumns+` FROM ledger_positions p`, func(r pgx.Rows) error {
		b, err := scanPosition(r)
		if err != nil {
			fail("%v", err)
			return nil
		}
		var sum int64
		for _, in := range b.Incoming {
			sum += in.Quantity
		}
		if sum != b.InTransit {
			fail("%s at %s: in-transit schedule adds up to %d, in_transit is %d", b.SKU, b.Location, sum, b.InTransit)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = check("allocations", `SELECT p.sku, p.location, a.order_no FROM ledger_allocations a JOIN ledger_positions p ON p.id = a.pos WHERE a.quantity = 0`, func(r pgx.Rows) error {
		var sku, loc, order string
		if err := r.Scan(&sku, &loc, &order); err != nil {
			return err
		}
		fail("%s at %s: allocation of order %q is zero and kept", sku, loc, order)
		return nil
	})
	if err != nil {
		return err
	}
	// Postings against movements and the head.
	var headSeq, headID, postings, minSeq, maxSeq, covered, movements, minID, maxID, misplaced int64
	err = tx.QueryRow(ctx, `SELECT h.seq, h.last_id,
			(SELECT count(*) FROM ledger_postings), (SELECT coalesce(min(seq), 0) FROM ledger_postings),
			(SELECT coalesce(max(seq), 0) FROM ledger_postings), (SELECT coalesce(sum(count), 0)::bigint FROM ledger_postings),
			(SELECT count(*) FROM ledger_movements), (SELECT coalesce(min(id), 0) FROM ledger_movements),
			(SELECT coalesce(max(id), 0) FROM ledger_movements),
			(SELECT count(*) FROM ledger_movements m LEFT JOIN ledger_postings p ON p.seq = m.seq
				WHERE p.seq IS NULL OR m.id < p.first_id OR m.id >= p.first_id + p.count)
		FROM ledger_head h`).Scan(&headSeq, &headID, &postings, &minSeq, &maxSeq, &covered, &movements, &minID, &maxID, &misplaced)
	if err != nil {
		return fmt.Errorf("ledger: verify postings: %w", err)
	}
	if postings != headSeq || (postings > 0 && (minSeq != 1 || maxSeq != headSeq)) {
		fail("postings 1..%d expected, %d found from %d to %d", headSeq, postings, minSeq, maxSeq)
	}
	if movements != headID || covered != headID || (movements > 0 && (minID != 1 || maxID != headID)) {
		fail("movements 1..%d expected, %d found from %d to %d, postings cover %d", headID, movements, minID, maxID, covered)
	}
	if misplaced > 0 {
		fail("%d movements outside their posting's range", misplaced)
	}
	return errors.Join(problems...)
}
