package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/jackc/pgx/v5"
)

// Batches of CopyFrom: up to copyPage messages, or copyPageBytes of
// bodies, are written in one transaction.
const (
	copyPage      = 200
	copyPageBytes = 8 << 20
)

// CopyFrom copies the outbox of src (the bbolt outbox of a stopped
// gateway; opening it scheduled again what a crash left being sent)
// into dst: each message dst lacks, oldest first, under its own ID with
// its state, schedule, idempotency key and bytes, a batch per
// transaction; then the control number and file name references and the
// control number counters dst lacks; then it moves dst's IDs past the
// copied ones. What dst has is kept: a second run, or one after an
// interrupted run, copies only what is missing. Then it verifies every
// message (record and bytes), reference and counter of src against dst,
// and that dst holds no other message. Source counts messages. See
// pgstore.CopyReport.
func CopyFrom(ctx context.Context, src *outbox.Store, dst *Store) (pgstore.CopyReport, error) {
	r := pgstore.CopyReport{Store: Migrations.Store}
	var batch []*outbox.Message
	var bodies [][]byte
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		copied := 0
		err := pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) error {
			copied = 0
			for i, m := range batch {
				v, err := json.Marshal(m)
				if err != nil {
					return err
				}
				var key any
				if m.Key != "" {
					key = m.Key
				}
				tag, err := tx.Exec(ctx, `INSERT INTO outbox_messages (id, key, partner, kind, state, next_attempt, ack_state, ack_deadline, record)
					OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
					int64(m.ID), key, m.Partner, m.Kind, string(m.State), nullTime(m.NextAttempt), string(m.AckState), nullTime(m.AckDeadline), v)
				if err != nil {
					return fmt.Errorf("message %d: %w", m.ID, err)
				}
				if tag.RowsAffected() == 0 {
					continue // copied before, with its bytes
				}
				copied++
				if _, err := tx.Exec(ctx, `INSERT INTO outbox_bodies (id, body) VALUES ($1, $2)`, int64(m.ID), bodies[i]); err != nil {
					return fmt.Errorf("bytes of message %d: %w", m.ID, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		r.Copied += copied
		r.Present += len(batch) - copied
		batch, bodies, size = batch[:0], bodies[:0], 0
		return nil
	}
	for after := uint64(0); ; {
		page, err := src.Messages(after, copyPage)
		if err != nil {
			return r, err
		}
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			body, err := src.Body(m.ID)
			if err != nil {
				return r, fmt.Errorf("outbox: reading message %d: %w", m.ID, err)
			}
			if size+len(body) > copyPageBytes {
				if err := flush(); err != nil {
					return r, fmt.Errorf("outbox: copying: %w", err)
				}
			}
			batch, bodies, size = append(batch, m), append(bodies, body), size+len(body)
		}
		if err := flush(); err != nil {
			return r, fmt.Errorf("outbox: copying: %w", err)
		}
		r.Source += len(page)
		after = page[len(page)-1].ID
	}
	if err := pgstore.AdvanceIdentity(ctx, dst.pool, "outbox_messages"); err != nil {
		return r, err
	}
	refs, err := src.Refs()
	if err != nil {
		return r, err
	}
	controls, err := src.Controls()
	if err != nil {
		return r, err
	}
	err = pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) error {
		var b pgx.Batch
		for _, ref := range refs {
			b.Queue(`INSERT INTO outbox_refs (partner, ref, value, id) VALUES ($1, $2, $3, $4) ON CONFLICT (partner, ref, value) DO NOTHING`,
				ref.Partner, string(ref.Kind), ref.Value, int64(ref.ID))
		}
		for _, c := range controls {
			b.Queue(`INSERT INTO outbox_controls (partner, kind, last) VALUES ($1, $2, $3) ON CONFLICT (partner, kind) DO NOTHING`,
				c.Partner, c.Kind, c.Last)
		}
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return r, fmt.Errorf("outbox: copying control numbers: %w", err)
	}
	return r, verify(ctx, src, refs, controls, dst, &r)
}

// verify compares every message, reference and counter of src with dst.
func verify(ctx context.Context, src *outbox.Store, refs []outbox.Ref, controls []outbox.Control, dst *Store, r *pgstore.CopyReport) error {
	fail := func(err error) error { return fmt.Errorf("outbox: verifying: %w", err) }
	for after := uint64(0); ; {
		page, err := src.Messages(after, copyPage)
		if err != nil {
			return fail(err)
		}
		if len(page) == 0 {
			break
		}
		for _, w := range page {
			what := fmt.Sprintf("message %d", w.ID)
			h, err := dst.Get(w.ID)
			if err != nil {
				return pgstore.Mismatch(r.Store, what, err.Error())
			}
			hj, _ := json.Marshal(h)
			wj, _ := json.Marshal(w)
			if !bytes.Equal(hj, wj) {
				return pgstore.Mismatch(r.Store, what, fmt.Sprintf("PostgreSQL has %s, bbolt %s", hj, wj))
			}
			hb, err := dst.Body(w.ID)
			if err != nil {
				return pgstore.Mismatch(r.Store, what, err.Error())
			}
			wb, err := src.Body(w.ID)
			if err != nil {
				return fail(err)
			}
			if !bytes.Equal(hb, wb) {
				return pgstore.Mismatch(r.Store, what, fmt.Sprintf("its bytes differ (%d in PostgreSQL, %d in bbolt)", len(hb), len(wb)))
			}
			r.Verified++
		}
		after = page[len(page)-1].ID
	}
	var n int
	if err := dst.pool.QueryRow(ctx, `SELECT count(*) FROM outbox_messages`).Scan(&n); err != nil {
		return fail(err)
	}
	if n != r.Verified {
		return pgstore.Mismatch(r.Store, "messages", fmt.Sprintf("PostgreSQL has %d, bbolt %d", n, r.Verified))
	}
	rows, err := dst.pool.Query(ctx, `SELECT partner, ref, value, id FROM outbox_refs`)
	if err != nil {
		return fail(err)
	}
	have := map[outbox.Ref]bool{}
	var ref outbox.Ref
	var kind string
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&ref.Partner, &kind, &ref.Value, &id}, func() error {
		ref.Kind, ref.ID = kind[0], uint64(id)
		have[ref] = true
		return nil
	}); err != nil {
		return fail(err)
	}
	for _, w := range refs {
		if !have[w] {
			return pgstore.Mismatch(r.Store, fmt.Sprintf("reference %c %s of %s", w.Kind, w.Value, w.Partner), fmt.Sprintf("not to message %d in PostgreSQL", w.ID))
		}
	}
	if len(have) != len(refs) {
		return pgstore.Mismatch(r.Store, "references", fmt.Sprintf("PostgreSQL has %d, bbolt %d", len(have), len(refs)))
	}
	rows, err = dst.pool.Query(ctx, `SELECT partner, kind, last FROM outbox_controls`)
	if err != nil {
		return fail(err)
	}
	counters := map[outbox.Control]bool{}
	var c outbox.Control
	if _, err := pgx.ForEachRow(rows, []any{&c.Partner, &c.Kind, &c.Last}, func() error { counters[c] = true; return nil }); err != nil {
		return fail(err)
	}
	for _, w := range controls {
		if !counters[w] {
			return pgstore.Mismatch(r.Store, fmt.Sprintf("control numbers %s of %s", w.Kind, w.Partner), fmt.Sprintf("not at %d in PostgreSQL", w.Last))
		}
	}
	if len(counters) != len(controls) {
		return pgstore.Mismatch(r.Store, "control number counters", fmt.Sprintf("PostgreSQL has %d, bbolt %d", len(counters), len(controls)))
	}
	return nil
}
