package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/jackc/pgx/v5"
)

// claimNext takes the first free queue row of the partners after after
// (all partners when after is nil): waiting, or claimed with its lease
// run out. SKIP LOCKED: rows other nodes are taking are passed over.
const claimNext = `WITH next AS (
	SELECT id, claimed_by IS NOT NULL AS interrupted FROM inbox_queue
	WHERE (claimed_by IS NULL OR lease_until < now()) AND ($1::text IS NULL OR partner > $1)
	ORDER BY partner, id LIMIT 1 FOR UPDATE SKIP LOCKED)
UPDATE inbox_queue q SET claimed_by = $2, lease_until = now() + $3
FROM next WHERE q.id = next.id
RETURNING q.id, q.partner, next.interrupted`

// Claim implements inbox.Storage. Partners take turns as this node sees
// them: the claim goes to the first free message of the partner after
// the one this node served last.
func (s *Store) Claim() (*inbox.Message, error) {
	ctx, cancel := opContext()
	defer cancel()
	s.mu.Lock()
	after := s.lastPartner
	s.mu.Unlock()
	var m *inbox.Message
	var partner string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		m = nil
		var id int64
		var interrupted bool
		err := tx.QueryRow(ctx, claimNext, after, s.opts.Node, s.opts.Lease).Scan(&id, &partner, &interrupted)
		if errors.Is(err, pgx.ErrNoRows) && after != nil {
			err = tx.QueryRow(ctx, claimNext, nil, s.opts.Node, s.opts.Lease).Scan(&id, &partner, &interrupted)
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if m, err = getForUpdate(ctx, tx, uint64(id)); err != nil {
			return err
		}
		m.ApplyClaim(s.now(), interrupted)
		return put(ctx, tx, m)
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: claiming: %w", err)
	}
	if m == nil {
		return nil, inbox.ErrEmptyQueue
	}
	s.mu.Lock()
	s.lastPartner = &partner
	s.claims[m.ID] = m.Attempts
	s.mu.Unlock()
	return m, nil
}

// Finish implements inbox.Storage. It refuses (inbox.ErrState) a claim
// this node does not hold: never claimed here, or taken over by another
// node after its lease ran out.
func (s *Store) Finish(id uint64, o inbox.Outcome) error {
	s.mu.Lock()
	attempt, mine := s.claims[id]
	s.mu.Unlock()
	lost := false // the claim is no longer this node's
	ctx, cancel := opContext()
	defer cancel()
	// Three round trips: the record locked; the queue row, the record
	// and the keys in one batch; the commit.
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		m, err := getForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if !mine || m.Attempts != attempt {
			lost = true
			return fmt.Errorf("message %d is %s and not claimed by this node (attempt %d): %w", id, m.State, m.Attempts, inbox.ErrState)
		}
		if err := m.ApplyOutcome(o, s.now()); err != nil {
			return err
		}
		args, err := putArgs(m)
		if err != nil {
			return err
		}
		var b pgx.Batch
		b.Queue(`DELETE FROM inbox_queue WHERE id = $1 AND claimed_by = $2`, int64(id), s.opts.Node)
		b.Queue(putSQL, args...)
		if o.State == inbox.Failed {
			// A resend of a failed message is new work, not a duplicate.
			queueForget(&b, keyHash, m.Partner, m.SHA256, id)
			if m.Interchange != "" {
				queueForget(&b, keyInterchange, m.Partner, m.Interchange, id)
			}
			if m.Key != "" {
				queueForget(&b, keyIdempotency, m.Partner, m.Key, id)
			}
		}
		br := tx.SendBatch(ctx, &b)
		tag, err := br.Exec()
		if err == nil && tag.RowsAffected() != 1 {
			lost = true
			err = fmt.Errorf("message %d: claim taken over by another node: %w", id, inbox.ErrState)
		}
		if err != nil {
			br.Close()
			return err // the transaction rolls back the rest of the batch
		}
		return br.Close()
	})
	if mine && (err == nil || lost) {
		s.mu.Lock()
		delete(s.claims, id)
		s.mu.Unlock()
	}
	return err
}

// MarkInterchange implements inbox.Storage.
func (s *Store) MarkInterchange(id uint64, key string) (dupOf uint64, err error) {
	err = s.update(id, func(ctx context.Context, tx pgx.Tx, m *inbox.Message) error {
		if dupOf, err = firstWith(ctx, tx, keyInterchange, m.Partner, key, id); err != nil || dupOf != 0 {
			return err
		}
		m.Interchange = key
		return nil
	})
	if err != nil {
		return 0, err
	}
	return dupOf, nil
}

// SetPartner implements inbox.Storage.
func (s *Store) SetPartner(id uint64, partner string) error {
	return s.update(id, func(ctx context.Context, tx pgx.Tx, m *inbox.Message) error {
		m.Partner = partner
		_, err := tx.Exec(ctx, `UPDATE inbox_queue SET partner = $2 WHERE id = $1`, int64(id), partner)
		return err
	})
}

// Replay implements inbox.Storage.
func (s *Store) Replay(id uint64) (*inbox.Message, error) { return s.ReplayBy(id, "") }

// ReplayBy implements inbox.Storage.
func (s *Store) ReplayBy(id uint64, who string) (*inbox.Message, error) {
	var out *inbox.Message
	err := s.update(id, func(ctx context.Context, tx pgx.Tx, m *inbox.Message) error {
		if err := m.ApplyReplay(who, s.now()); err != nil {
			return err
		}
		out = m
		_, err := tx.Exec(ctx, `INSERT INTO inbox_queue (id, partner) VALUES ($1, $2)`, int64(id), m.Partner)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return out, nil
}

// Purge implements inbox.Storage: the bytes of done and duplicate
// messages last updated before cutoff are deleted (records stay), and so
// are the bytes of uploads cut off before their message was recorded,
// a day after they began.
func (s *Store) Purge(cutoff time.Time) (int, error) {
	ctx, cancel := opContext()
	defer cancel()
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH old AS (
				SELECT id, blob FROM inbox_messages
				WHERE NOT purged AND state IN ('done', 'duplicate') AND updated_at < $1 FOR UPDATE)
			UPDATE inbox_messages m SET purged = true, blob = NULL, record = jsonb_set(m.record, '{purged}', 'true')
			FROM old WHERE m.id = old.id RETURNING old.blob`, cutoff)
		if err != nil {
			return err
		}
		var blobs []int64
		var blob *int64
		if _, err := pgx.ForEachRow(rows, []any{&blob}, func() error {
			n++
			if blob != nil {
				blobs = append(blobs, *blob)
			}
			return nil
		}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM inbox_blobs WHERE id = ANY($1)`, blobs); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM inbox_blobs WHERE NOT recorded AND created_at < now() - interval '1 day'`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("inbox: purge: %w", err)
	}
	return n, nil
}
