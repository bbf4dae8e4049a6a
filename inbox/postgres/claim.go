package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/jackc/pgx/v5"
)

// claimNext claims the first free queue row of the partners after $1,
// or else of the first partner: waiting, or claimed with its lease run
// out. SKIP LOCKED: rows other nodes are taking are passed over. The
// second scan runs only when the first found nothing (a one-time
// filter), so no row is locked that is not claimed. It returns the
// claimed message's record, locked. A plain range on partner (no "$1
// IS NULL OR"), so that the index serves it on a generic plan too:
// claimFirst is the claim of a node that has served no partner yet.
const claimNext = `WITH after AS (
	SELECT id, claimed_by IS NOT NULL AS interrupted FROM inbox_queue
	WHERE (claimed_by IS NULL OR lease_until < now()) AND partner > $1
	ORDER BY partner, id LIMIT 1 FOR UPDATE SKIP LOCKED),
first AS (
	SELECT id, claimed_by IS NOT NULL AS interrupted FROM inbox_queue
	WHERE (claimed_by IS NULL OR lease_until < now()) AND NOT EXISTS (SELECT 1 FROM after)
	ORDER BY partner, id LIMIT 1 FOR UPDATE SKIP LOCKED),
next AS (SELECT * FROM after UNION ALL SELECT * FROM first),` + claimSet + "$2" + claimUntil + "$3" + claimReturn

// claimFirst is claimNext from the first partner: node $1, lease $2.
const claimFirst = `WITH next AS (
	SELECT id, claimed_by IS NOT NULL AS interrupted FROM inbox_queue
	WHERE (claimed_by IS NULL OR lease_until < now())
	ORDER BY partner, id LIMIT 1 FOR UPDATE SKIP LOCKED),` + claimSet + "$1" + claimUntil + "$2" + claimReturn

// claimSet, claimUntil and claimReturn, around the parameters of the
// node and the lease, claim the queue row of next for the node until
// now plus the lease and return the message's record, locked.
const (
	claimSet    = "\nq AS (UPDATE inbox_queue q SET claimed_by = "
	claimUntil  = ", lease_until = now() + "
	claimReturn = `
	FROM next WHERE q.id = next.id
	RETURNING q.id, q.partner, next.interrupted)
SELECT q.id, q.partner, q.interrupted, m.record FROM q JOIN inbox_messages m ON m.id = q.id FOR UPDATE OF m`
)

// queueClaim queues the claim of the next message in turn on b.
func (s *Store) queueClaim(b *pgx.Batch) {
	s.mu.Lock()
	after := s.lastPartner
	s.mu.Unlock()
	if after == nil {
		b.Queue(claimFirst, s.opts.Node, s.opts.Lease)
		return
	}
	b.Queue(claimNext, *after, s.opts.Node, s.opts.Lease)
}

// readClaim reads claimNext's result and applies the claim to the
// message; nil when none was free.
func (s *Store) readClaim(br pgx.BatchResults) (*inbox.Message, string, error) {
	var id int64
	var partner string
	var interrupted bool
	var raw []byte
	err := br.QueryRow().Scan(&id, &partner, &interrupted, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	m, err := decode(raw, uint64(id))
	if err != nil {
		return nil, "", err
	}
	m.ApplyClaim(s.now(), interrupted)
	return m, partner, nil
}

// claimed notes a claim of this node.
func (s *Store) claimed(m *inbox.Message, partner string) {
	s.mu.Lock()
	s.lastPartner = &partner
	s.claims[m.ID] = m.Attempts
	s.mu.Unlock()
}

// Claim implements inbox.Storage. Partners take turns as this node sees
// them: the claim goes to the first free message of the partner after
// the one this node served last. Two round trips (the claim, then the
// record and COMMIT); the commit does not wait for its WAL flush: a
// claim lost with the database's last moments is one the node finds it
// no longer holds at Finish, and the message is claimed again.
func (s *Store) Claim() (*inbox.Message, error) {
	ctx, cancel := opContext()
	defer cancel()
	m, partner, err := s.claimIn(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox: claiming: %w", err)
	}
	if m == nil {
		return nil, inbox.ErrEmptyQueue
	}
	s.claimed(m, partner)
	return m, nil
}

func (s *Store) claimIn(ctx context.Context) (*inbox.Message, string, error) {
	p, err := pgstore.BeginPipe(ctx, s.pool, true)
	if err != nil {
		return nil, "", err
	}
	defer p.Release()
	b := p.Batch()
	s.queueClaim(b)
	br, err := p.Send(ctx, b)
	if err != nil {
		return nil, "", err
	}
	m, partner, err := s.readClaim(br)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil || m == nil {
		return nil, "", err
	}
	args, err := putArgs(m)
	if err != nil {
		return nil, "", err
	}
	b = p.Batch()
	b.Queue(putSQL, args...)
	if err := p.Commit(ctx, b, nil); err != nil {
		return nil, "", err
	}
	return m, partner, nil
}

// Finish implements inbox.Storage. It refuses (inbox.ErrState) a claim
// this node does not hold: never claimed here, or taken over by another
// node after its lease ran out.
func (s *Store) Finish(id uint64, o inbox.Outcome) error {
	_, err := s.finish(id, o, false)
	return err
}

// FinishAndClaim implements inbox.FinishClaimer: Finish then Claim in
// one transaction and two round trips (the records and queue rows
// locked, with the next message claimed; then the writes and COMMIT).
// It returns the claimed message, or nil when none was free. When the
// finish fails, nothing is claimed.
func (s *Store) FinishAndClaim(id uint64, o inbox.Outcome) (*inbox.Message, error) {
	return s.finish(id, o, true)
}

var _ inbox.FinishClaimer = (*Store)(nil)

func (s *Store) finish(id uint64, o inbox.Outcome, claim bool) (*inbox.Message, error) {
	s.mu.Lock()
	attempt, mine := s.claims[id]
	s.mu.Unlock()
	lost := false // the claim is no longer this node's
	ctx, cancel := opContext()
	defer cancel()
	next, partner, err := s.finishIn(ctx, id, o, claim, mine, attempt, &lost)
	if mine && (err == nil || lost) {
		s.mu.Lock()
		delete(s.claims, id)
		s.mu.Unlock()
	}
	if err != nil {
		return nil, err
	}
	if next != nil {
		s.claimed(next, partner)
	}
	return next, nil
}

func (s *Store) finishIn(ctx context.Context, id uint64, o inbox.Outcome, claim, mine bool, attempt int, lost *bool) (*inbox.Message, string, error) {
	p, err := pgstore.BeginPipe(ctx, s.pool, false)
	if err != nil {
		return nil, "", err
	}
	defer p.Release()
	b := p.Batch()
	b.Queue(`SELECT record FROM inbox_messages WHERE id = $1 FOR UPDATE`, int64(id))
	b.Queue(`SELECT claimed_by FROM inbox_queue WHERE id = $1 FOR UPDATE`, int64(id))
	if claim {
		s.queueClaim(b)
	}
	br, err := p.Send(ctx, b)
	if err != nil {
		return nil, "", err
	}
	m, err := scanMessage(br.QueryRow(), id)
	if err != nil {
		br.Close()
		return nil, "", err
	}
	var by *string
	if err := br.QueryRow().Scan(&by); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		br.Close()
		return nil, "", err
	}
	var next *inbox.Message
	var partner string
	if claim {
		if next, partner, err = s.readClaim(br); err != nil {
			br.Close()
			return nil, "", err
		}
	}
	if err := br.Close(); err != nil {
		return nil, "", err
	}
	if !mine || m.Attempts != attempt {
		*lost = true
		return nil, "", fmt.Errorf("message %d is %s and not claimed by this node (attempt %d): %w", id, m.State, m.Attempts, inbox.ErrState)
	}
	if by == nil || *by != s.opts.Node {
		*lost = true
		return nil, "", fmt.Errorf("message %d: claim taken over by another node: %w", id, inbox.ErrState)
	}
	if err := m.ApplyOutcome(o, s.now()); err != nil {
		return nil, "", err
	}
	args, err := putArgs(m)
	if err != nil {
		return nil, "", err
	}
	b = p.Batch()
	b.Queue(`DELETE FROM inbox_queue WHERE id = $1`, int64(id))
	b.Queue(putSQL, args...)
	if o.State == inbox.Failed {
		// A resend of a failed message is new work, not a duplicate.
		queueForget(b, keyHash, m.Partner, m.SHA256, id)
		if m.Interchange != "" {
			queueForget(b, keyInterchange, m.Partner, m.Interchange, id)
		}
		if m.Key != "" {
			queueForget(b, keyIdempotency, m.Partner, m.Key, id)
		}
	}
	if next != nil {
		nargs, err := putArgs(next)
		if err != nil {
			return nil, "", err
		}
		b.Queue(putSQL, nargs...)
	}
	if err := p.Commit(ctx, b, nil); err != nil {
		return nil, "", err
	}
	return next, partner, nil
}

// MarkInterchange implements inbox.Storage. Two round trips when the
// key is new (the record locked with the key inserted; the record and
// COMMIT), and the commit does not wait for its WAL flush: a mark lost
// with the database's last moments is made again when the message is
// processed again, and any commit that reads it (a duplicate's finish)
// flushes it first.
func (s *Store) MarkInterchange(id uint64, key string) (dupOf uint64, err error) {
	ctx, cancel := opContext()
	defer cancel()
	done, err := s.markNew(ctx, id, key)
	if err != nil {
		return 0, fmt.Errorf("inbox: marking interchange: %w", err)
	}
	if done {
		return 0, nil
	}
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

// markNew marks message id with interchange key when no message has the
// key yet; done is false when one has (the key is then left alone).
func (s *Store) markNew(ctx context.Context, id uint64, key string) (done bool, err error) {
	p, err := pgstore.BeginPipe(ctx, s.pool, true)
	if err != nil {
		return false, err
	}
	defer p.Release()
	b := p.Batch()
	b.Queue(`SELECT record FROM inbox_messages WHERE id = $1 FOR UPDATE`, int64(id))
	b.Queue(`INSERT INTO inbox_interchanges (partner, key, id) SELECT partner, $2, id FROM inbox_messages WHERE id = $1
		ON CONFLICT DO NOTHING`, int64(id), key)
	br, err := p.Send(ctx, b)
	if err != nil {
		return false, err
	}
	m, err := scanMessage(br.QueryRow(), id)
	if err != nil {
		br.Close()
		return false, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil || tag.RowsAffected() != 1 {
		return false, err
	}
	m.Interchange = key
	args, err := putArgs(m)
	if err != nil {
		return false, err
	}
	b = p.Batch()
	b.Queue(putSQL, args...)
	return true, p.Commit(ctx, b, nil)
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
