package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/transports/as2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the AS2 records.
var Migrations = pgstore.MustLoad("as2", migrationFiles, "migrations")

// Store is the AS2 records in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

var _ as2.Records = (*Store)(nil)

// Open returns the AS2 records in the database of pool, which must be
// migrated (Migrations). Close does not close the pool: its owner does.
func Open(ctx context.Context, pool *pgxpool.Pool) (*Store, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("as2: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close implements as2.Records; the pool stays open.
func (s *Store) Close() error { return nil }

// Received implements as2.Records.
func (s *Store) Received(ctx context.Context, partner, messageID string) (*as2.ReceivedRecord, error) {
	var v, mdn []byte
	err := s.pool.QueryRow(ctx, `SELECT record, mdn FROM as2_received WHERE partner = $1 AND message_id = $2`, partner, messageID).Scan(&v, &mdn)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	r := new(as2.ReceivedRecord)
	if err == nil {
		err = json.Unmarshal(v, r)
	}
	if err != nil {
		return nil, fmt.Errorf("as2: store: message %s of %s: %w", messageID, partner, err)
	}
	r.MDN = mdn
	return r, nil
}

// PutReceived implements as2.Records: one upsert that skips a processed
// row.
func (s *Store) PutReceived(ctx context.Context, r *as2.ReceivedRecord) error {
	meta := *r
	meta.MDN = nil
	v, err := json.Marshal(&meta)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO as2_received AS r (partner, message_id, processed, at, record, mdn) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (partner, message_id) DO UPDATE SET processed = excluded.processed, at = excluded.at, record = excluded.record, mdn = excluded.mdn
		WHERE NOT r.processed`, r.Partner, r.MessageID, r.Processed, r.At, v, r.MDN)
	if err != nil {
		return fmt.Errorf("as2: store: message %s of %s: %w", r.MessageID, r.Partner, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("as2: store: message %s of %s: %w", r.MessageID, r.Partner, as2.ErrReceivedBefore)
	}
	return nil
}

// PutPending implements as2.Records.
func (s *Store) PutPending(ctx context.Context, p *as2.PendingRecord) error {
	v, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO as2_pending (message_id, sent_at, record) VALUES ($1, $2, $3)
		ON CONFLICT (message_id) DO UPDATE SET sent_at = excluded.sent_at, record = excluded.record`, p.MessageID, p.SentAt, v)
	if err != nil {
		return fmt.Errorf("as2: store: pending %s: %w", p.MessageID, err)
	}
	return nil
}

// Awaiting implements as2.Records.
func (s *Store) Awaiting(ctx context.Context, messageID string) (*as2.PendingRecord, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT record FROM as2_pending WHERE message_id = $1`, messageID).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	p := new(as2.PendingRecord)
	if err == nil {
		err = json.Unmarshal(v, p)
	}
	if err != nil {
		return nil, fmt.Errorf("as2: store: pending %s: %w", messageID, err)
	}
	return p, nil
}

// SettlePending implements as2.Records, in one transaction.
func (s *Store) SettlePending(ctx context.Context, p *as2.PendingRecord, reason string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM as2_pending WHERE message_id = $1`, p.MessageID); err != nil {
			return err
		}
		if reason == "" {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO as2_negative (outbox_id, reason) VALUES ($1, $2)
			ON CONFLICT (outbox_id) DO UPDATE SET reason = excluded.reason`, int64(p.OutboxID), reason)
		return err
	})
	if err != nil {
		return fmt.Errorf("as2: store: settling %s: %w", p.MessageID, err)
	}
	return nil
}

// TakeNegative implements as2.Records.
func (s *Store) TakeNegative(ctx context.Context, outboxID uint64) (string, error) {
	var reason string
	err := s.pool.QueryRow(ctx, `DELETE FROM as2_negative WHERE outbox_id = $1 RETURNING reason`, int64(outboxID)).Scan(&reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("as2: store: negative MDN of message %d: %w", outboxID, err)
	}
	return reason, nil
}

// Pending implements as2.Records.
func (s *Store) Pending(ctx context.Context, before time.Time) ([]as2.PendingMDN, error) {
	rows, err := s.pool.Query(ctx, `SELECT record FROM as2_pending WHERE sent_at < $1 ORDER BY sent_at`, before)
	if err != nil {
		return nil, fmt.Errorf("as2: store: %w", err)
	}
	var out []as2.PendingMDN
	var v []byte
	_, err = pgx.ForEachRow(rows, []any{&v}, func() error {
		var p as2.PendingRecord
		if err := json.Unmarshal(v, &p); err != nil {
			return err
		}
		out = append(out, as2.PendingMDN{OutboxID: p.OutboxID, Partner: p.Partner, MessageID: p.MessageID, SentAt: p.SentAt})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("as2: store: %w", err)
	}
	return out, nil
}

// Prune implements as2.Records.
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM as2_received WHERE at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("as2: store: pruning: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
