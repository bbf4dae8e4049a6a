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
// Received messages are read, written and verified a page at a time;
// pending MDNs and negative reasons (few) at once. See
// pgstore.CopyReport.
func CopyFrom(ctx context.Context, src *as2.Store, dst *Store) (pgstore.CopyReport, error) {
	r := pgstore.CopyReport{Store: Migrations.Store}
	c, err := src.Contents(ctx)
	if err != nil {
		return r, err
	}
	negatives := slices.Sorted(maps.Keys(c.Negative))
	r.Source = len(c.Pending) + len(negatives)
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
	for partner, id := "", ""; ; {
		page, err := src.ReceivedAfter(ctx, partner, id, copyPage)
		if err != nil {
			return r, err
		}
		if len(page) == 0 {
			break
		}
		for _, rec := range page {
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
		r.Source += len(page)
		partner, id = page[len(page)-1].Partner, page[len(page)-1].MessageID
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
	return r, verify(ctx, src, c, dst, &r)
}

// verifyReceived compares the received messages of src with dst, a
// page at a time (each page's rows fetched by key: PostgreSQL may sort
// Message-IDs otherwise than bbolt), and returns how many src has.
func verifyReceived(ctx context.Context, src *as2.Store, dst *Store, r *pgstore.CopyReport) (int, error) {
	n := 0
	for partner, id := "", ""; ; {
		page, err := src.ReceivedAfter(ctx, partner, id, copyPage)
		if err != nil {
			return n, err
		}
		if len(page) == 0 {
			return n, nil
		}
		partners, ids := make([]string, len(page)), make([]string, len(page))
		for i, w := range page {
			partners[i], ids[i] = w.Partner, w.MessageID
		}
		rows, err := dst.pool.Query(ctx, `SELECT r.partner, r.message_id, r.record, r.mdn FROM as2_received r
			JOIN unnest($1::text[], $2::text[]) AS k(partner, message_id) ON r.partner = k.partner AND r.message_id = k.message_id`, partners, ids)
		if err != nil {
			return n, fmt.Errorf("as2: verifying: %w", err)
		}
		received := map[[2]string]*as2.ReceivedRecord{}
		var p, m string
		var v, mdn []byte
		if _, err := pgx.ForEachRow(rows, []any{&p, &m, &v, &mdn}, func() error {
			rec := new(as2.ReceivedRecord)
			if err := json.Unmarshal(v, rec); err != nil {
				return err
			}
			rec.MDN = mdn
			received[[2]string{p, m}] = rec
			return nil
		}); err != nil {
			return n, fmt.Errorf("as2: verifying: %w", err)
		}
		for _, w := range page {
			what := fmt.Sprintf("message %s of %s", w.MessageID, w.Partner)
			h, ok := received[[2]string{w.Partner, w.MessageID}]
			if !ok {
				return n, pgstore.Mismatch(r.Store, what, "missing in PostgreSQL")
			}
			hm, wm := *h, *w
			hm.MDN, wm.MDN = nil, nil
			if !reflect.DeepEqual(hm, wm) || !bytes.Equal(h.MDN, w.MDN) {
				return n, pgstore.Mismatch(r.Store, what, fmt.Sprintf("PostgreSQL has %+v, bbolt %+v", hm, wm))
			}
			n++
			r.Verified++
		}
		partner, id = page[len(page)-1].Partner, page[len(page)-1].MessageID
	}
}

// verify compares every table of dst with src and c.
func verify(ctx context.Context, src *as2.Store, c as2.Contents, dst *Store, r *pgstore.CopyReport) error {
	fail := func(err error) error { return fmt.Errorf("as2: verifying: %w", err) }
	n, err := verifyReceived(ctx, src, dst, r)
	if err != nil {
		return err
	}
	var count int
	if err := dst.pool.QueryRow(ctx, `SELECT count(*) FROM as2_received`).Scan(&count); err != nil {
		return fail(err)
	}
	if count != n {
		return pgstore.Mismatch(r.Store, "received messages", fmt.Sprintf("PostgreSQL has %d, bbolt %d", count, n))
	}
	rows, err := dst.pool.Query(ctx, `SELECT message_id, record FROM as2_pending`)
	if err != nil {
		return fail(err)
	}
	var id string
	var v []byte
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
	n = 0
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
