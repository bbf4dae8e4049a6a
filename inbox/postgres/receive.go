package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Receive implements inbox.Storage: the bytes, then the record in one
// transaction (with the bytes too when they fit one chunk): two round
// trips for an arrival without an idempotency key (record). The same
// bytes from the same partner as a message that did not fail are
// recorded as a Duplicate.
func (s *Store) Receive(ctx context.Context, a inbox.Arrival, body io.Reader) (*inbox.Message, error) {
	p, err := s.readBody(ctx, body)
	if err != nil {
		return nil, fmt.Errorf("inbox: storing %s: %w", a.Name, err)
	}
	now := s.now()
	at := a.Time
	if at.IsZero() {
		at = now
	}
	m := &inbox.Message{Partner: a.Partner, Transport: a.Transport, Meta: a.Meta, Name: a.Name,
		ReceivedAt: at.UTC().Truncate(time.Microsecond), UpdatedAt: now, State: inbox.Received,
		Size: p.size, SHA256: hex.EncodeToString(p.sum.Sum(nil)), Key: a.Key}
	if a.Key == "" {
		if err := s.record(ctx, m, p); err != nil {
			s.dropBlob(p.blob)
			return nil, fmt.Errorf("inbox: recording %s: %w", a.Name, err)
		}
		if m.State == inbox.Received {
			s.wake()
		}
		return m, nil
	}
	var keyed *inbox.Message // the live message sent with the same key
	// With a key, four round trips: the message with its bytes, the content key,
	// then the queue row and the record in one batch; and the commit.
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q, bodyArgs := p.insertMessage()
		var id int64
		if err := tx.QueryRow(ctx, q, append([]any{m.Partner, m.ReceivedAt, m.UpdatedAt}, bodyArgs...)...).Scan(&id); err != nil {
			return err
		}
		m.ID = uint64(id)
		if a.Key != "" {
			first, err := firstWith(ctx, tx, keyIdempotency, m.Partner, a.Key, m.ID)
			if err != nil {
				return err
			}
			if first != 0 {
				prev, err := scanMessage(tx.QueryRow(ctx, `SELECT record FROM inbox_messages WHERE id = $1`, int64(first)), first)
				if err != nil {
					return err
				}
				if prev.SHA256 != m.SHA256 {
					return fmt.Errorf("key %q was sent with message %d: %w", a.Key, prev.ID, inbox.ErrKeyReused)
				}
				keyed = prev
				return errKeyed // nothing recorded: the transaction rolls back
			}
		}
		first, err := firstWith(ctx, tx, keyHash, m.Partner, m.SHA256, m.ID)
		if err != nil {
			return err
		}
		m.State, m.DuplicateOf = inbox.Received, 0
		if first != 0 {
			m.State, m.DuplicateOf = inbox.Duplicate, first
		}
		args, err := putArgs(m)
		if err != nil {
			return err
		}
		var b pgx.Batch
		if m.State == inbox.Received {
			b.Queue(`INSERT INTO inbox_queue (id, partner) VALUES ($1, $2)`, id, m.Partner)
		}
		b.Queue(putSQL, args...)
		return tx.SendBatch(ctx, &b).Close()
	})
	if errors.Is(err, errKeyed) {
		s.dropBlob(p.blob)
		return keyed, nil
	}
	if err != nil {
		s.dropBlob(p.blob)
		return nil, fmt.Errorf("inbox: recording %s: %w", a.Name, err)
	}
	if m.State == inbox.Received {
		s.wake()
	}
	return m, nil
}

// record records message m of an arrival without an idempotency key, with
// p's bytes, in one transaction and two round trips: the message, its
// bytes and its content key in one statement; then the queue row, the
// record and COMMIT. The same bytes as a live message's make m a
// Duplicate of it.
func (s *Store) record(ctx context.Context, m *inbox.Message, p *pendingBody) error {
	pp, err := pgstore.BeginPipe(ctx, s.pool, false)
	if err != nil {
		return err
	}
	defer pp.Release()
	q, bodyArgs := p.messageCTEs()
	q += `, h AS (INSERT INTO inbox_hashes (partner, sha256, id) SELECT $1, $5, id FROM m ON CONFLICT DO NOTHING RETURNING id)
		SELECT m.id, h.id IS NOT NULL FROM m LEFT JOIN h ON true`
	b := pp.Batch()
	b.Queue(q, append(append([]any{m.Partner, m.ReceivedAt, m.UpdatedAt}, bodyArgs...), m.SHA256)...)
	br, err := pp.Send(ctx, b)
	if err != nil {
		return err
	}
	var id int64
	var first bool
	err = br.QueryRow().Scan(&id, &first)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	m.ID, m.State, m.DuplicateOf = uint64(id), inbox.Received, 0
	if !first {
		dup, err := firstWith(ctx, pp.Conn(), keyHash, m.Partner, m.SHA256, m.ID)
		if err != nil {
			return err
		}
		if dup != 0 {
			m.State, m.DuplicateOf = inbox.Duplicate, dup
		}
	}
	args, err := putArgs(m)
	if err != nil {
		return err
	}
	b = pp.Batch()
	if m.State == inbox.Received {
		b.Queue(`INSERT INTO inbox_queue (id, partner) VALUES ($1, $2)`, id, m.Partner)
	}
	b.Queue(putSQL, args...)
	return pp.Commit(ctx, b, nil)
}

// querier is what firstWith asks of a transaction: a pgx.Tx, or a
// connection in a pipelined one.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// A unique key that finds the first live message: content or interchange.
type uniqueKey struct{ table, column string }

var (
	keyHash        = uniqueKey{"inbox_hashes", "sha256"}
	keyInterchange = uniqueKey{"inbox_interchanges", "key"}
	keyIdempotency = uniqueKey{"inbox_keys", "key"}
)

// errKeyed ends Receive's transaction when the key is a live message's.
var errKeyed = errors.New("inbox: key already received")

// firstWith makes message id the first with value under key for its
// partner, unless a live (not failed) other message already is: then it
// returns that message's id. The unique key decides between concurrent
// transactions: the second waits for the first and sees its row.
func firstWith(ctx context.Context, tx querier, key uniqueKey, partner, value string, id uint64) (uint64, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO `+key.table+` (partner, `+key.column+`, id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		partner, value, int64(id))
	if err != nil || tag.RowsAffected() == 1 {
		return 0, err
	}
	var first int64
	var state string
	err = tx.QueryRow(ctx, `SELECT k.id, m.state FROM `+key.table+` k JOIN inbox_messages m ON m.id = k.id
		WHERE k.partner = $1 AND k.`+key.column+` = $2 FOR UPDATE OF k`, partner, value).Scan(&first, &state)
	if err != nil {
		return 0, err
	}
	if uint64(first) != id && inbox.State(state) != inbox.Failed {
		return uint64(first), nil
	}
	_, err = tx.Exec(ctx, `UPDATE `+key.table+` SET id = $3 WHERE partner = $1 AND `+key.column+` = $2`, partner, value, int64(id))
	return 0, err
}

// queueForget queues the removal of the key of message id, if it is
// id's.
func queueForget(b *pgx.Batch, key uniqueKey, partner, value string, id uint64) {
	b.Queue(`DELETE FROM `+key.table+` WHERE partner = $1 AND `+key.column+` = $2 AND id = $3`, partner, value, int64(id))
}
