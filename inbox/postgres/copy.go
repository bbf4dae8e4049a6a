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

// CopyFrom copies the messages of src (the bbolt inbox of a stopped
// gateway) that dst lacks, oldest first, each under its own id with its
// bytes, state, history and keys in one transaction; then it verifies
// every message of src against dst (the record, and the bytes by their
// SHA-256). Messages already in dst are kept: a second run copies
// nothing. Waiting messages are queued (claims a crashed bbolt gateway
// held were put back in the queue when src was opened); the first live
// message of each content, interchange and idempotency key keeps that
// key, as in src. See pgstore.CopyReport.
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
	for _, id := range ids {
		m, err := src.Get(id)
		if err != nil {
			return r, fmt.Errorf("inbox: reading message %d: %w", id, err)
		}
		copied, err := dst.importMessage(ctx, src, m)
		if err != nil {
			return r, fmt.Errorf("inbox: copying message %d (%s): %w", id, m.Name, err)
		}
		if copied {
			r.Copied++
		} else {
			r.Present++
		}
	}
	if err := pgstore.AdvanceIdentity(ctx, dst.pool, "inbox_messages"); err != nil {
		return r, err
	}
	for _, id := range ids {
		if err := dst.verifyCopy(src, id); err != nil {
			return r, err
		}
		r.Verified++
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

// importMessage writes m with its bytes from src unless dst has message
// m.ID; it reports whether it wrote it.
func (s *Store) importMessage(ctx context.Context, src *inbox.Store, m *inbox.Message) (bool, error) {
	var body io.ReadCloser
	if !m.Purged {
		var err error
		if body, err = src.Body(m.ID); err != nil {
			return false, err
		}
		defer body.Close()
	}
	copied := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var present bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM inbox_messages WHERE id = $1)`, int64(m.ID)).Scan(&present); err != nil || present {
			return err
		}
		var blob *int64
		if body != nil {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO inbox_blobs (recorded) VALUES (true) RETURNING id`).Scan(&id); err != nil {
				return err
			}
			blob = &id
			buf := make([]byte, chunkSize)
			for n := 0; ; n++ {
				k, err := io.ReadFull(body, buf)
				if k > 0 {
					if _, err := tx.Exec(ctx, `INSERT INTO inbox_bodies (blob, n, data) VALUES ($1, $2, $3)`, id, n, buf[:k]); err != nil {
						return err
					}
				}
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					break
				}
				if err != nil {
					return fmt.Errorf("reading the bytes: %w", err)
				}
			}
		}
		args, err := putArgs(m)
		if err != nil {
			return err
		}
		// Columns to the microsecond, as Receive writes them; the record
		// keeps the times as they were.
		args[3], args[4] = m.ReceivedAt.UTC().Truncate(time.Microsecond), m.UpdatedAt.UTC().Truncate(time.Microsecond)
		if _, err := tx.Exec(ctx, `INSERT INTO inbox_messages (id, partner, state, received_at, updated_at, purged, controls, doc_types, record, blob)
			OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, append(args, blob)...); err != nil {
			return err
		}
		var b pgx.Batch
		if m.State == inbox.Received || m.State == inbox.Processing {
			b.Queue(`INSERT INTO inbox_queue (id, partner) VALUES ($1, $2)`, int64(m.ID), m.Partner)
		}
		if m.State != inbox.Failed && m.State != inbox.Duplicate {
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
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return err
		}
		copied = true
		return nil
	})
	return copied, err
}

// verifyCopy compares message id of src with dst's: the record, and the
// bytes (by SHA-256) unless purged.
func (s *Store) verifyCopy(src *inbox.Store, id uint64) error {
	what := fmt.Sprintf("message %d", id)
	want, err := src.Get(id)
	if err != nil {
		return fmt.Errorf("inbox: verifying %s: %w", what, err)
	}
	have, err := s.Get(id)
	if errors.Is(err, inbox.ErrNotFound) {
		return pgstore.Mismatch(Migrations.Store, what, "missing in PostgreSQL")
	}
	if err != nil {
		return fmt.Errorf("inbox: verifying %s: %w", what, err)
	}
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(have)
	if !bytes.Equal(a, b) {
		return pgstore.Mismatch(Migrations.Store, what, fmt.Sprintf("PostgreSQL has %s, bbolt %s", b, a))
	}
	if want.Purged {
		return nil
	}
	body, err := s.Body(id)
	if err != nil {
		return pgstore.Mismatch(Migrations.Store, what, fmt.Sprintf("bytes: %v", err))
	}
	defer body.Close()
	h := sha256.New()
	n, err := io.Copy(h, body)
	if err != nil {
		return fmt.Errorf("inbox: verifying %s: %w", what, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != want.SHA256 || n != want.Size {
		return pgstore.Mismatch(Migrations.Store, what, fmt.Sprintf("bytes: %d with SHA-256 %s in PostgreSQL, %d with %s in bbolt", n, sum, want.Size, want.SHA256))
	}
	return nil
}
