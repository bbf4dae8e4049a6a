package postgres

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/jackc/pgx/v5"
)

// pendingBody is a received file's bytes before its message is recorded:
// either one chunk still in memory (most EDI files), or a blob already
// written chunk by chunk.
type pendingBody struct {
	first []byte // the whole file, when it fits one chunk
	blob  int64  // the blob written, when it did not
	size  int64
	sum   hash.Hash
}

// readBody reads body. A file that fits one chunk stays in memory, to be
// written by the recording transaction; a larger one is written as a
// blob, one short transaction per chunk, and removed again on error.
func (s *Store) readBody(ctx context.Context, body io.Reader) (*pendingBody, error) {
	p := &pendingBody{sum: sha256.New()}
	r := &io.LimitedReader{R: body, N: s.opts.MaxSize + 1}
	buf := make([]byte, chunkSize)
	for n := 0; ; n++ {
		k, err := io.ReadFull(r, buf)
		p.size += int64(k)
		p.sum.Write(buf[:k])
		if p.size > s.opts.MaxSize {
			s.dropBlob(p.blob)
			return nil, fmt.Errorf("%w: over %d bytes", inbox.ErrTooLarge, s.opts.MaxSize)
		}
		last := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !last {
			s.dropBlob(p.blob)
			return nil, fmt.Errorf("reading the file: %w", err)
		}
		if n == 0 && last {
			p.first = append([]byte(nil), buf[:k]...)
			return p, nil
		}
		if k > 0 {
			if p.blob == 0 {
				if err := s.pool.QueryRow(ctx, `INSERT INTO inbox_blobs DEFAULT VALUES RETURNING id`).Scan(&p.blob); err != nil {
					return nil, err
				}
			}
			if _, err := s.pool.Exec(ctx, `INSERT INTO inbox_bodies (blob, n, data) VALUES ($1, $2, $3)`, p.blob, n, buf[:k]); err != nil {
				s.dropBlob(p.blob)
				return nil, err
			}
		}
		if last {
			return p, nil
		}
	}
}

// dropBlob removes a blob no message took (best effort: Purge removes
// what is left a day later).
func (s *Store) dropBlob(blob int64) {
	if blob == 0 {
		return
	}
	ctx, cancel := opContext()
	defer cancel()
	s.pool.Exec(ctx, `DELETE FROM inbox_blobs WHERE id = $1`, blob)
}

// insertMessage inserts the row of a new message with p's bytes, in one
// statement: the blob and its one chunk, or the blob already written
// marked recorded. Its arguments: partner, received, updated.
func (p *pendingBody) insertMessage() (string, []any) {
	q, args := p.messageCTEs()
	return q + ` SELECT id FROM m`, args
}

// messageCTEs is insertMessage as the common table expressions of a
// larger statement: m returns the new message's id. Arguments $1 to $4.
func (p *pendingBody) messageCTEs() (string, []any) {
	const insert = `, m AS (INSERT INTO inbox_messages (partner, state, received_at, updated_at, record, blob)
		SELECT $1, 'received', $2, $3, '{}', id FROM b RETURNING id)`
	if p.blob != 0 {
		return `WITH b AS (UPDATE inbox_blobs SET recorded = true WHERE id = $4 RETURNING id)` + insert, []any{p.blob}
	}
	return `WITH b AS (INSERT INTO inbox_blobs (recorded) VALUES (true) RETURNING id),
		c AS (INSERT INTO inbox_bodies (blob, n, data) SELECT id, 0, $4 FROM b WHERE octet_length($4::bytea) > 0)` + insert, []any{p.first}
}

// Body implements inbox.Storage: the bytes are read one chunk at a time,
// the first with the record (one round trip for most files).
func (s *Store) Body(id uint64) (io.ReadCloser, error) {
	ctx, cancel := opContext()
	defer cancel()
	var purged bool
	var blob *int64
	var size int64
	var first []byte
	err := s.pool.QueryRow(ctx, `SELECT m.purged, m.blob, coalesce((m.record->>'size')::bigint, 0), b.data
		FROM inbox_messages m LEFT JOIN inbox_bodies b ON b.blob = m.blob AND b.n = 0 WHERE m.id = $1`, int64(id)).Scan(&purged, &blob, &size, &first)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("message %d: %w", id, inbox.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("inbox: message %d: %w", id, err)
	}
	if purged || blob == nil {
		return nil, fmt.Errorf("inbox: message %d: bytes removed by retention: %w", id, os.ErrNotExist)
	}
	r := &bodyReader{s: s, id: int64(id), blob: *blob, size: size}
	if first != nil {
		r.buf, r.n = first, 1
	}
	return r, nil
}

// bodyReader reads the chunks of a message in order. A chunk missing
// before size bytes were read (retention purged the message meanwhile)
// is an error, not a short body.
type bodyReader struct {
	s        *Store
	id, blob int64
	size     int64 // as recorded
	read     int64
	n        int
	buf      []byte
}

func (b *bodyReader) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.read >= b.size {
			return 0, io.EOF
		}
		ctx, cancel := opContext()
		err := b.s.pool.QueryRow(ctx, `SELECT data FROM inbox_bodies WHERE blob = $1 AND n = $2`, b.blob, b.n).Scan(&b.buf)
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
