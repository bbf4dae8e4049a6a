package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/jackc/pgx/v5"
)

// Batches of CopyFrom: messages that fit one chunk are written up to
// copyBatch (or copyBatchBytes of bytes) in one transaction; a larger
// message is written alone, chunk by chunk. Verification reads
// verifyBatch records per query.
const (
	copyBatch      = 200
	copyBatchBytes = 8 << 20
	verifyBatch    = 500
)

// CopyFrom copies the messages of src (the bbolt inbox of a stopped
// gateway) that dst lacks, oldest first, each under its own id with its
// bytes, state, history and keys; then it verifies every message of src
// against dst: the record, and the bytes by their SHA-256 (computed by
// PostgreSQL from what it stores; the source's bytes are checked
// against their SHA-256 while they are copied). Messages already in dst
// are kept: a second run copies nothing. Waiting messages are queued
// (claims a crashed bbolt gateway held were put back in the queue when
// src was opened); the first live message of each content, interchange
// and idempotency key keeps that key, as in src. See pgstore.CopyReport.
func CopyFrom(ctx context.Context, src *inbox.Store, dst *Store) (pgstore.CopyReport, error) {
	r := pgstore.CopyReport{Store: Migrations.Store}
	var ids []uint64
	for before := uint64(0); ; {
		p, err := src.Search(ctx, inbox.Filter{Before: before, Limit: 1000})
		if err != nil {
			return r, fmt.Errorf("inbox: reading the source: %w", err)
		}
		for _, m := range p.Messages {
			ids = append(ids, m.ID)
		}
		if p.Next == 0 {
			break
		}
		before = p.Next
	}
	slices.Sort(ids) // oldest first: the first of a key keeps it
	r.Source = len(ids)
	var batch []*inbox.Message
	size := int64(0)
	flush := func() error {
		copied, err := dst.importBatch(ctx, src, batch)
		r.Copied += copied
		r.Present += len(batch) - copied
		batch, size = batch[:0], 0
		return err
	}
	for _, id := range ids {
		m, err := src.Get(id)
		if err != nil {
			return r, fmt.Errorf("inbox: reading message %d: %w", id, err)
		}
		if !m.Purged && m.Size > chunkSize { // alone, chunk by chunk
			if err := flush(); err != nil {
				return r, err
			}
			copied, err := dst.importLarge(ctx, src, m)
			if err != nil {
				return r, fmt.Errorf("inbox: copying message %d (%s): %w", id, m.Name, err)
			}
			if copied {
				r.Copied++
			} else {
				r.Present++
			}
			continue
		}
		batch = append(batch, m)
		size += m.Size
		if len(batch) == copyBatch || size >= copyBatchBytes {
			if err := flush(); err != nil {
				return r, err
			}
		}
	}
	if err := flush(); err != nil {
		return r, err
	}
	if err := pgstore.AdvanceIdentity(ctx, dst.pool, "inbox_messages"); err != nil {
		return r, err
	}
	for chunk := range slices.Chunk(ids, verifyBatch) {
		n, err := dst.verifyCopy(ctx, src, chunk)
		r.Verified += n
		if err != nil {
			return r, err
		}
	}
	var n int
	if err := dst.pool.QueryRow(ctx, `SELECT count(*) FROM inbox_messages`).Scan(&n); err != nil {
		return r, fmt.Errorf("inbox: verifying: %w", err)
	}
	if n != len(ids) {
		return r, pgstore.Mismatch(r.Store, "messages", fmt.Sprintf("PostgreSQL has %d, bbolt %d", n, len(ids)))
	}
	return r, nil
}

// sourceBytes reads the bytes of m from src, checked against its size
// and SHA-256.
func sourceBytes(src *inbox.Store, m *inbox.Message) ([]byte, error) {
	body, err := src.Body(m.ID)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, m.Size+1))
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(b); int64(len(b)) != m.Size || hex.EncodeToString(sum[:]) != m.SHA256 {
		return nil, pgstore.Mismatch(Migrations.Store, fmt.Sprintf("message %d", m.ID), "the source's bytes differ from their recorded size or SHA-256")
	}
	return b, nil
}

// insertCopied inserts message m with its first chunk of bytes (none
// when purged) under its own id; its arguments come from copiedArgs.
const insertCopied = `WITH b AS (INSERT INTO inbox_blobs (recorded) SELECT true WHERE NOT $10 RETURNING id),
	c AS (INSERT INTO inbox_bodies (blob, n, data) SELECT id, 0, $11 FROM b WHERE octet_length($11::bytea) > 0)
	INSERT INTO inbox_messages (id, partner, state, received_at, updated_at, purged, controls, doc_types, record, blob)
	OVERRIDING SYSTEM VALUE SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, (SELECT id FROM b)`

// copiedArgs are insertCopied's arguments for m with first (nil when
// purged): the columns to the microsecond, as Receive writes them (the
// record keeps the times as they were).
func copiedArgs(m *inbox.Message, first []byte) ([]any, error) {
	args, err := putArgs(m)
	if err != nil {
		return nil, err
	}
	args[3], args[4] = m.ReceivedAt.UTC().Truncate(time.Microsecond), m.UpdatedAt.UTC().Truncate(time.Microsecond)
	if first == nil {
		first = []byte{}
	}
	return append(args, m.Purged, first), nil
}

// queueCopiedRest queues the queue row and the keys of copied message m.
func queueCopiedRest(b *pgx.Batch, m *inbox.Message) {
	if m.State == inbox.Received || m.State == inbox.Processing {
		b.Queue(`INSERT INTO inbox_queue (id, partner) VALUES ($1, $2)`, int64(m.ID), m.Partner)
	}
	if m.State == inbox.Failed || m.State == inbox.Duplicate {
		return
	}
	for _, k := range []struct {
		key   uniqueKey
		value string
	}{{keyHash, m.SHA256}, {keyInterchange, m.Interchange}, {keyIdempotency, m.Key}} {
		if k.value != "" {
			b.Queue(`INSERT INTO `+k.key.table+` (partner, `+k.key.column+`, id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				m.Partner, k.value, int64(m.ID))
		}
	}
}

// importBatch writes the messages of batch that dst lacks, in one
// transaction, and returns how many it wrote.
func (s *Store) importBatch(ctx context.Context, src *inbox.Store, batch []*inbox.Message) (int, error) {
	if len(batch) == 0 {
		return 0, nil
	}
	ids := make([]int64, len(batch))
	for i, m := range batch {
		ids[i] = int64(m.ID)
	}
	copied := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		copied = 0
		rows, err := tx.Query(ctx, `SELECT id FROM inbox_messages WHERE id = ANY($1)`, ids)
		if err != nil {
			return err
		}
		present, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		var b pgx.Batch
		for _, m := range batch {
			if slices.Contains(present, int64(m.ID)) {
				continue
			}
			var body []byte
			if !m.Purged {
				if body, err = sourceBytes(src, m); err != nil {
					return fmt.Errorf("message %d (%s): %w", m.ID, m.Name, err)
				}
			}
			args, err := copiedArgs(m, body)
			if err != nil {
				return err
			}
			b.Queue(insertCopied, args...)
			queueCopiedRest(&b, m)
			copied++
		}
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return 0, fmt.Errorf("inbox: copying messages %d to %d: %w", batch[0].ID, batch[len(batch)-1].ID, err)
	}
	return copied, nil
}

// importLarge writes m, larger than a chunk, with its bytes read from
// src chunk by chunk, unless dst has it; it reports whether it wrote it.
func (s *Store) importLarge(ctx context.Context, src *inbox.Store, m *inbox.Message) (bool, error) {
	body, err := src.Body(m.ID)
	if err != nil {
		return false, err
	}
	defer body.Close()
	copied := false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var present bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM inbox_messages WHERE id = $1)`, int64(m.ID)).Scan(&present); err != nil || present {
			return err
		}
		h := sha256.New()
		buf := make([]byte, chunkSize)
		size := int64(0)
		for n := 0; ; n++ {
			k, rerr := io.ReadFull(body, buf)
			h.Write(buf[:k])
			size += int64(k)
			if n == 0 {
				args, err := copiedArgs(m, buf[:k])
				if err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, insertCopied, args...); err != nil {
					return err
				}
			} else if k > 0 {
				if _, err := tx.Exec(ctx, `INSERT INTO inbox_bodies (blob, n, data) SELECT blob, $2, $3 FROM inbox_messages WHERE id = $1`,
					int64(m.ID), n, buf[:k]); err != nil {
					return err
				}
			}
			if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
				break
			}
			if rerr != nil {
				return fmt.Errorf("reading the bytes: %w", rerr)
			}
		}
		if size != m.Size || hex.EncodeToString(h.Sum(nil)) != m.SHA256 {
			return pgstore.Mismatch(Migrations.Store, fmt.Sprintf("message %d", m.ID), "the source's bytes differ from their recorded size or SHA-256")
		}
		var b pgx.Batch
		queueCopiedRest(&b, m)
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return err
		}
		copied = true
		return nil
	})
	return copied, err
}

// verifyCopy compares messages ids of src with dst's: the record, and
// the bytes (size and SHA-256, computed by PostgreSQL) unless purged. It
// returns how many it found equal before the first difference.
func (s *Store) verifyCopy(ctx context.Context, src *inbox.Store, ids []uint64) (int, error) {
	keys := make([]int64, len(ids))
	for i, id := range ids {
		keys[i] = int64(id)
	}
	type stored struct {
		record []byte
		blob   bool
		size   int64
		sum    string
	}
	have := map[uint64]stored{}
	rows, err := s.pool.Query(ctx, `SELECT m.id, m.record, m.blob IS NOT NULL,
			coalesce((SELECT sum(octet_length(data)) FROM inbox_bodies WHERE blob = m.blob), 0)::bigint,
			encode(sha256(coalesce((SELECT string_agg(data, ''::bytea ORDER BY n) FROM inbox_bodies WHERE blob = m.blob), ''::bytea)), 'hex')
		FROM inbox_messages m WHERE m.id = ANY($1)`, keys)
	if err != nil {
		return 0, fmt.Errorf("inbox: verifying: %w", err)
	}
	var id int64
	var st stored
	if _, err := pgx.ForEachRow(rows, []any{&id, &st.record, &st.blob, &st.size, &st.sum}, func() error {
		have[uint64(id)] = st
		return nil
	}); err != nil {
		return 0, fmt.Errorf("inbox: verifying: %w", err)
	}
	for i, id := range ids {
		what := fmt.Sprintf("message %d", id)
		want, err := src.Get(id)
		if err != nil {
			return i, fmt.Errorf("inbox: verifying %s: %w", what, err)
		}
		h, ok := have[id]
		if !ok {
			return i, pgstore.Mismatch(Migrations.Store, what, "missing in PostgreSQL")
		}
		m, err := decode(h.record, id)
		if err != nil {
			return i, err
		}
		a, _ := json.Marshal(want)
		b, _ := json.Marshal(m)
		if !bytes.Equal(a, b) {
			return i, pgstore.Mismatch(Migrations.Store, what, fmt.Sprintf("PostgreSQL has %s, bbolt %s", b, a))
		}
		if want.Purged {
			continue
		}
		if !h.blob || h.size != want.Size || h.sum != want.SHA256 {
			return i, pgstore.Mismatch(Migrations.Store, what, fmt.Sprintf("bytes: %d with SHA-256 %s in PostgreSQL, %d with %s in bbolt", h.size, h.sum, want.Size, want.SHA256))
		}
	}
	return len(ids), nil
}
