package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/jackc/pgx/v5"
)

// Receive implements inbox.Storage: the record and the bytes commit in
// one transaction. The same bytes from the same partner as a message
// that did not fail are recorded as a Duplicate.
func (s *Store) Receive(ctx context.Context, a inbox.Arrival, body io.Reader) (*inbox.Message, error) {
	now := s.now()
	at := a.Time
	if at.IsZero() {
		at = now
	}
	m := &inbox.Message{Partner: a.Partner, Transport: a.Transport, Meta: a.Meta, Name: a.Name,
		ReceivedAt: at.UTC().Truncate(time.Microsecond), UpdatedAt: now, State: inbox.Received}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO inbox_messages (partner, state, received_at, updated_at, record)
			VALUES ($1, 'received', $2, $3, '{}') RETURNING id`, m.Partner, m.ReceivedAt, m.UpdatedAt).Scan(&id); err != nil {
			return err
		}
		m.ID = uint64(id)
		var err error
		if m.SHA256, m.Size, err = s.storeBody(ctx, tx, id, body); err != nil {
			return err
		}
		first, err := firstWith(ctx, tx, keyHash, m.Partner, m.SHA256, m.ID)
		if err != nil {
			return err
		}
		if first != 0 {
			m.State, m.DuplicateOf = inbox.Duplicate, first
		} else if _, err := tx.Exec(ctx, `INSERT INTO inbox_queue (id, partner) VALUES ($1, $2)`, id, m.Partner); err != nil {
			return err
		}
		return put(ctx, tx, m)
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: recording %s: %w", a.Name, err)
	}
	if m.State == inbox.Received {
		s.wake()
	}
	return m, nil
}

// storeBody writes body as the chunks of message id and returns its
// SHA-256 and size.
func (s *Store) storeBody(ctx context.Context, tx pgx.Tx, id int64, body io.Reader) (string, int64, error) {
	h := sha256.New()
	r := &io.LimitedReader{R: body, N: s.opts.MaxSize + 1}
	buf := make([]byte, chunkSize)
	var size int64
	for n := 0; ; n++ {
		k, err := io.ReadFull(r, buf)
		if k > 0 {
			size += int64(k)
			if size > s.opts.MaxSize {
				return "", 0, fmt.Errorf("%w: over %d bytes", inbox.ErrTooLarge, s.opts.MaxSize)
			}
			h.Write(buf[:k])
			if _, err := tx.Exec(ctx, `INSERT INTO inbox_bodies (id, n, data) VALUES ($1, $2, $3)`, id, n, buf[:k]); err != nil {
				return "", 0, err
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return "", 0, fmt.Errorf("reading the file: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// A unique key that finds the first live message: content or interchange.
type uniqueKey struct{ table, column string }

var (
	keyHash        = uniqueKey{"inbox_hashes", "sha256"}
	keyInterchange = uniqueKey{"inbox_interchanges", "key"}
)

// firstWith makes message id the first with value under key for its
// partner, unless a live (not failed) other message already is: then it
// returns that message's id. The unique key decides between concurrent
// transactions: the second waits for the first and sees its row.
func firstWith(ctx context.Context, tx pgx.Tx, key uniqueKey, partner, value string, id uint64) (uint64, error) {
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

// forget removes the key of message id, if it is id's.
func forget(ctx context.Context, tx pgx.Tx, key uniqueKey, partner, value string, id uint64) error {
	_, err := tx.Exec(ctx, `DELETE FROM `+key.table+` WHERE partner = $1 AND `+key.column+` = $2 AND id = $3`, partner, value, int64(id))
	return err
}

// Body implements inbox.Storage: the bytes are read one chunk at a time.
func (s *Store) Body(id uint64) (io.ReadCloser, error) {
	m, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	if m.Purged {
		return nil, fmt.Errorf("inbox: message %d: bytes removed by retention: %w", id, os.ErrNotExist)
	}
	return &bodyReader{s: s, id: int64(id), size: m.Size}, nil
}

// bodyReader reads the chunks of a message in order. A chunk missing
// before size bytes were read (retention purged the message meanwhile)
// is an error, not a short body.
type bodyReader struct {
	s    *Store
	id   int64
	size int64 // as recorded
	read int64
	n    int
	buf  []byte
}

func (b *bodyReader) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.read >= b.size {
			return 0, io.EOF
		}
		ctx, cancel := opContext()
		err := b.s.pool.QueryRow(ctx, `SELECT data FROM inbox_bodies WHERE id = $1 AND n = $2`, b.id, b.n).Scan(&b.buf)
		cancel()
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, fmt.Errorf("inbox: message %d: bytes removed by retention after %d of %d bytes: %w", b.id, b.read, b.size, os.ErrNotExist)
		}
		if err != nil {
			return 0, fmt.Errorf("inbox: message %d: reading bytes: %w", b.id, err)
		}
		b.n++
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	b.read += int64(n)
	return n, nil
}

func (b *bodyReader) Close() error { return nil }
