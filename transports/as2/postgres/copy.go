package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/transports/as2"
	"github.com/jackc/pgx/v5"
)

// copyPage is how many records CopyFrom writes in one transaction.
const copyPage = 500

// CopyFrom copies the AS2 records of src (the bbolt store of a stopped
// gateway) that dst lacks: received Message-IDs with their MDNs, our
// messages awaiting an asynchronous MDN, negative MDN reasons not yet
// taken; a page per transaction, keeping what dst has (a processed
// outcome is never replaced). Then it verifies that dst holds exactly
// src's records, field for field and the MDNs byte for byte. A second
// run, or one after an interrupted run, copies only what is missing.
// See pgstore.CopyReport.
func CopyFrom(ctx context.Context, src *as2.Store, dst *Store) (pgstore.CopyReport, error) {
	r := pgstore.CopyReport{Store: Migrations.Store}
	c, err := src.Contents(ctx)
	if err != nil {
		return r, err
	}
	negatives := slices.Sorted(maps.Keys(c.Negative))
	r.Source = len(c.Received) + len(c.Pending) + len(negatives)
	var b pgx.Batch
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		n := b.Len()
		err := pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) error {
			br := tx.SendBatch(ctx, &b)
			defer br.Close()
			copied := 0
			for range n {
				tag, err := br.Exec()
				if err != nil {
					return err
				}
				copied += int(tag.RowsAffected())
			}
			r.Copied += copied
			return nil
		})
		b = pgx.Batch{}
		return err
	}
	queue := func(sql string, args ...any) error {
		b.Queue(sql, args...)
		if b.Len() >= copyPage {
			return flush()
		}
		return nil
	}
	for _, rec := range c.Received {
		meta := *rec
		meta.MDN = nil
		v, err := json.Marshal(&meta)
		if err != nil {
			return r, err
		}
		if err := queue(`INSERT INTO as2_received (partner, message_id, processed, at, record, mdn) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (partner, message_id) DO NOTHING`, rec.Partner, rec.MessageID, rec.Processed, rec.At, v, rec.MDN); err != nil {
			return r, fmt.Errorf("as2: copying received messages: %w", err)
		}
	}
	for _, p := range c.Pending {
		v, err := json.Marshal(p)
		if err != nil {
			return r, err
		}
		if err := queue(`INSERT INTO as2_pending (message_id, sent_at, record) VALUES ($1, $2, $3) ON CONFLICT (message_id) DO NOTHING`,
			p.MessageID, p.SentAt, v); err != nil {
			return r, fmt.Errorf("as2: copying pending MDNs: %w", err)
		}
	}
	for _, id := range negatives {
		if err := queue(`INSERT INTO as2_negative (outbox_id, reason) VALUES ($1, $2) ON CONFLICT (outbox_id) DO NOTHING`,
			int64(id), c.Negative[id]); err != nil {
			return r, fmt.Errorf("as2: copying negative MDNs: %w", err)
		}
	}
	if err := flush(); err != nil {
		return r, fmt.Errorf("as2: copying: %w", err)
	}
	r.Present = r.Source - r.Copied
	return r, verify(ctx, c, dst, &r)
}

// verify compares every table of dst with c.
func verify(ctx context.Context, c as2.Contents, dst *Store, r *pgstore.CopyReport) error {
	fail := func(err error) error { return fmt.Errorf("as2: verifying: %w", err) }
	rows, err := dst.pool.Query(ctx, `SELECT partner, message_id, record, mdn FROM as2_received`)
	if err != nil {
		return fail(err)
	}
	received := map[[2]string]*as2.ReceivedRecord{}
	var partner, id string
	var v, mdn []byte
	if _, err := pgx.ForEachRow(rows, []any{&partner, &id, &v, &mdn}, func() error {
		rec := new(as2.ReceivedRecord)
		if err := json.Unmarshal(v, rec); err != nil {
			return err
		}
		rec.MDN = mdn
		received[[2]string{partner, id}] = rec
		return nil
	}); err != nil {
		return fail(err)
	}
	for _, w := range c.Received {
		what := fmt.Sprintf("message %s of %s", w.MessageID, w.Partner)
		h, ok := received[[2]string{w.Partner, w.MessageID}]
		if !ok {
			return pgstore.Mismatch(r.Store, what, "missing in PostgreSQL")
		}
		hm, wm := *h, *w
		hm.MDN, wm.MDN = nil, nil
		if !reflect.DeepEqual(hm, wm) || !bytes.Equal(h.MDN, w.MDN) {
			return pgstore.Mismatch(r.Store, what, fmt.Sprintf("PostgreSQL has %+v, bbolt %+v", hm, wm))
		}
		r.Verified++
	}
	if len(received) != len(c.Received) {
		return pgstore.Mismatch(r.Store, "received messages", fmt.Sprintf("PostgreSQL has %d, bbolt %d", len(received), len(c.Received)))
	}
	rows, err = dst.pool.Query(ctx, `SELECT message_id, record FROM as2_pending`)
	if err != nil {
		return fail(err)
	}
	pending := map[string]*as2.PendingRecord{}
	if _, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error {
		p := new(as2.PendingRecord)
		pending[id] = p
		return json.Unmarshal(v, p)
	}); err != nil {
		return fail(err)
	}
	for _, w := range c.Pending {
		h, ok := pending[w.MessageID]
		if !ok || !reflect.DeepEqual(*h, *w) {
			return pgstore.Mismatch(r.Store, "pending MDN of "+w.MessageID, fmt.Sprintf("PostgreSQL has %+v, bbolt %+v", h, w))
		}
		r.Verified++
	}
	if len(pending) != len(c.Pending) {
		return pgstore.Mismatch(r.Store, "pending MDNs", fmt.Sprintf("PostgreSQL has %d, bbolt %d", len(pending), len(c.Pending)))
	}
	rows, err = dst.pool.Query(ctx, `SELECT outbox_id, reason FROM as2_negative`)
	if err != nil {
		return fail(err)
	}
	var oid int64
	var reason string
	n := 0
	if _, err := pgx.ForEachRow(rows, []any{&oid, &reason}, func() error {
		if w, ok := c.Negative[uint64(oid)]; !ok || w != reason {
			return pgstore.Mismatch(r.Store, fmt.Sprintf("negative MDN of outbox message %d", oid), fmt.Sprintf("PostgreSQL has %q, bbolt %q", reason, w))
		}
		n++
		return nil
	}); err != nil {
		return fail(err)
	}
	if n != len(c.Negative) {
		return pgstore.Mismatch(r.Store, "negative MDNs", fmt.Sprintf("PostgreSQL has %d, bbolt %d", n, len(c.Negative)))
	}
	r.Verified += n
	return nil
}
