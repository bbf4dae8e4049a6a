package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/mapping"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the broadcast state.
var Migrations = pgstore.MustLoad("broadcast", migrationFiles, "migrations")

// opTimeout bounds one call (broadcast.Store takes no context).
const opTimeout = time.Minute

func opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

// Store is the broadcast state in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

var _ broadcast.Store = (*Store)(nil)

// Open returns the broadcast state in the database of pool, which must be
// migrated (Migrations). Close does not close the pool: its owner does.
func Open(ctx context.Context, pool *pgxpool.Pool) (*Store, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("broadcast: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close implements broadcast.Store; the pool stays open.
func (s *Store) Close() error { return nil }

// pending and open are broadcast's unexported rules, as columns.
func pending(b *broadcast.Broadcast) bool {
	return b.Delivery == broadcast.DeliveryQueued || b.Delivery == broadcast.DeliverySent || b.Delivery == broadcast.DeliveryFailed
}

func open(b *broadcast.Broadcast) bool {
	return pending(b) || b.Delivery == broadcast.DeliveryDelivered && b.Ack == broadcast.AckPending
}

func put(ctx context.Context, tx pgx.Tx, b *broadcast.Broadcast) error {
	b.State = b.Summary()
	v, err := json.Marshal(b)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO broadcast_broadcasts (id, partner, open, pending, record) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET open = excluded.open, pending = excluded.pending, record = excluded.record`,
		int64(b.ID), b.Partner, open(b), pending(b), v)
	return err
}

func getForUpdate(ctx context.Context, tx pgx.Tx, id uint64) (*broadcast.Broadcast, error) {
	var v []byte
	err := tx.QueryRow(ctx, `SELECT record FROM broadcast_broadcasts WHERE id = $1 FOR UPDATE`, int64(id)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("broadcast %d: %w", id, broadcast.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	b := &broadcast.Broadcast{}
	if err := json.Unmarshal(v, b); err != nil {
		return nil, fmt.Errorf("broadcast %d: %w", id, err)
	}
	return b, nil
}

// figures returns the lines as rows for COPY: one per SKU, the last
// line of a SKU given twice winning (as on bbolt).
func figures(id uint64, lines []mapping.AdviceLine) [][]any {
	strict := slices.IsSortedFunc(lines, func(a, b mapping.AdviceLine) int { return strings.Compare(a.SKU, b.SKU) })
	for i := 1; strict && i < len(lines); i++ {
		strict = lines[i-1].SKU != lines[i].SKU
	}
	rows := make([][]any, 0, len(lines))
	if strict {
		for _, l := range lines {
			rows = append(rows, []any{int64(id), l.SKU, l.Quantity})
		}
		return rows
	}
	f := make(map[string]int64, len(lines))
	for _, l := range lines {
		f[l.SKU] = l.Quantity
	}
	for sku, q := range f {
		rows = append(rows, []any{int64(id), sku, q})
	}
	return rows
}

// Record implements broadcast.Store.
// Leader-only work's Record is fenced (clusterpg.FenceIfTerm) in its
// transaction, before anything is written.
func (s *Store) Record(ctx context.Context, b *broadcast.Broadcast, lines []mapping.AdviceLine) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := clusterpg.FenceIfTerm(ctx, tx); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `SELECT nextval('broadcast_ids')`).Scan(&id); err != nil {
			return err
		}
		b.ID = uint64(id)
		if b.Delivery == "" {
			b.Delivery = broadcast.DeliveryNotSent
		}
		if err := put(ctx, tx, b); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"broadcast_told"}, []string{"id", "sku", "qty"},
			pgx.CopyFromRows(figures(b.ID, lines))); err != nil {
			return err
		}
		split := ""
		if b.Mode == broadcast.ModeFull && len(lines) > 0 {
			split = lines[len(lines)/2].SKU
		}
		_, err := tx.Exec(ctx, `INSERT INTO broadcast_partners AS p (partner, last, split) VALUES ($1, $2, $3)
			ON CONFLICT (partner) DO UPDATE SET last = GREATEST(p.last, excluded.last),
				split = CASE WHEN excluded.split = '' THEN p.split ELSE excluded.split END`, b.Partner, id, split)
		return err
	})
	if err != nil {
		return fmt.Errorf("broadcast: recording a broadcast for %s: %w", b.Partner, err)
	}
	return nil
}

// SetOutbox implements broadcast.Store.
func (s *Store) SetOutbox(id uint64, outbox []uint64) error {
	ctx, cancel := opContext()
	defer cancel()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The partner's row before the broadcast's, as Update takes them.
		if _, err := tx.Exec(ctx, `SELECT partner FROM broadcast_partners WHERE partner =
			(SELECT partner FROM broadcast_broadcasts WHERE id = $1) FOR UPDATE`, int64(id)); err != nil {
			return err
		}
		b, err := getForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		b.Outbox = slices.Clone(outbox)
		if err := put(ctx, tx, b); err != nil {
			return err
		}
		if b.Delivery == broadcast.DeliveryNotSent || len(outbox) == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO broadcast_partners AS p (partner, last_sent, examined) VALUES ($1, $2, $3)
			ON CONFLICT (partner) DO UPDATE SET last_sent = GREATEST(p.last_sent, excluded.last_sent),
				examined = GREATEST(p.examined, excluded.examined)`, b.Partner, int64(id), int64(b.Seq))
		return err
	})
	if err != nil {
		return fmt.Errorf("broadcast: %w", err)
	}
	return nil
}

// Examined implements broadcast.Store.
func (s *Store) Examined(partner string, seq uint64) error {
	ctx, cancel := opContext()
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO broadcast_partners AS p (partner, examined) VALUES ($1, $2)
		ON CONFLICT (partner) DO UPDATE SET examined = GREATEST(p.examined, excluded.examined)`, partner, int64(seq))
	if err != nil {
		return fmt.Errorf("broadcast: partner %s: %w", partner, err)
	}
	return nil
}

// Update implements broadcast.Store.
func (s *Store) Update(id uint64, f broadcast.Fate) error {
	return s.UpdateMany([]broadcast.FateUpdate{{ID: id, Fate: f}})
}

// UpdateMany implements broadcast.Store: one transaction.
func (s *Store) UpdateMany(updates []broadcast.FateUpdate) error {
	ctx, cancel := opContext()
	defer cancel()
	ids := make([]int64, len(updates))
	for i, u := range updates {
		ids[i] = int64(u.ID)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Every partner concerned first, in one order: two nodes updating
		// broadcasts of several partners never wait for each other in a
		// circle.
		if _, err := tx.Exec(ctx, `SELECT partner FROM broadcast_partners WHERE partner IN
			(SELECT partner FROM broadcast_broadcasts WHERE id = ANY($1)) ORDER BY partner FOR UPDATE`, ids); err != nil {
			return err
		}
		for _, u := range updates {
			if err := update(ctx, tx, u.ID, u.Fate); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("broadcast: %w", err)
	}
	return nil
}

func update(ctx context.Context, tx pgx.Tx, id uint64, f broadcast.Fate) error {
	// The partner's row first: belief changes of one partner queue up
	// behind it, whichever node makes them.
	var partner string
	err := tx.QueryRow(ctx, `SELECT p.partner FROM broadcast_partners p JOIN broadcast_broadcasts b ON b.partner = p.partner
		WHERE b.id = $1 FOR UPDATE OF p`, int64(id)).Scan(&partner)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	b, err := getForUpdate(ctx, tx, id)
	if err != nil {
		return err
	}
	if b.Delivery == broadcast.DeliveryNotSent {
		return fmt.Errorf("broadcast %d was not sent: %w", id, broadcast.ErrState)
	}
	wasDelivered, wasRejected := b.Delivery == broadcast.DeliveryDelivered, b.Ack == broadcast.AckRejected
	if wasDelivered && f.Delivery != broadcast.DeliveryDelivered {
		f.Delivery, f.DeliveredAt = b.Delivery, b.DeliveredAt // delivery is final
	}
	b.Delivery, b.DeliveredAt, b.Ack, b.AckAt = f.Delivery, f.DeliveredAt.UTC(), f.Ack, f.AckAt.UTC()
	if err := put(ctx, tx, b); err != nil {
		return err
	}
	if b.Delivery == broadcast.DeliveryDelivered && !wasDelivered {
		if err := delivered(ctx, tx, b); err != nil {
			return err
		}
	}
	if b.Delivery == broadcast.DeliveryDelivered && b.Ack == broadcast.AckRejected && !wasRejected {
		// The SKUs whose held figure this advice set become unknown.
		_, err := tx.Exec(ctx, `INSERT INTO broadcast_unknown (partner, sku, qty)
			SELECT h.partner, h.sku, h.qty FROM broadcast_told t
			JOIN broadcast_believes h ON h.partner = $2 AND h.sku = t.sku AND h.qty = t.qty
			WHERE t.id = $1
			ON CONFLICT (partner, sku) DO UPDATE SET qty = excluded.qty`, int64(b.ID), b.Partner)
		return err
	}
	return nil
}

// delivered makes a delivered broadcast's figures what the channel holds:
// a full advice replaces them, a delta updates them; the SKUs it carries
// are no longer unknown.
func delivered(ctx context.Context, tx pgx.Tx, b *broadcast.Broadcast) error {
	var batch pgx.Batch
	if b.Mode == broadcast.ModeFull {
		batch.Queue(`DELETE FROM broadcast_believes WHERE partner = $1`, b.Partner)
		batch.Queue(`INSERT INTO broadcast_believes (partner, sku, qty) SELECT $2, sku, qty FROM broadcast_told WHERE id = $1`, int64(b.ID), b.Partner)
		batch.Queue(`DELETE FROM broadcast_unknown WHERE partner = $1`, b.Partner)
	} else {
		batch.Queue(`INSERT INTO broadcast_believes (partner, sku, qty) SELECT $2, sku, qty FROM broadcast_told WHERE id = $1
			ON CONFLICT (partner, sku) DO UPDATE SET qty = excluded.qty`, int64(b.ID), b.Partner)
		batch.Queue(`DELETE FROM broadcast_unknown u USING broadcast_told t WHERE u.partner = $2 AND t.id = $1 AND t.sku = u.sku`, int64(b.ID), b.Partner)
	}
	return tx.SendBatch(ctx, &batch).Close()
}

// Partner implements broadcast.Store.
func (s *Store) Partner(partner string) (broadcast.PartnerState, error) {
	ctx, cancel := opContext()
	defer cancel()
	var ps broadcast.PartnerState
	var examined, last, lastSent int64
	err := s.pool.QueryRow(ctx, `SELECT examined, last, last_sent, split FROM broadcast_partners WHERE partner = $1`, partner).
		Scan(&examined, &last, &lastSent, &ps.Split)
	if errors.Is(err, pgx.ErrNoRows) {
		return ps, nil
	}
	if err != nil {
		return ps, fmt.Errorf("broadcast: partner %s: %w", partner, err)
	}
	ps.Examined, ps.Last, ps.LastSent = uint64(examined), uint64(last), uint64(lastSent)
	return ps, nil
}

// Get implements broadcast.Store.
func (s *Store) Get(id uint64) (broadcast.Broadcast, error) {
	ctx, cancel := opContext()
	defer cancel()
	var b broadcast.Broadcast
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT record FROM broadcast_broadcasts WHERE id = $1`, int64(id)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, fmt.Errorf("broadcast %d: %w", id, broadcast.ErrNotFound)
	}
	if err == nil {
		err = json.Unmarshal(v, &b)
	}
	if err != nil {
		return b, fmt.Errorf("broadcast %d: %w", id, err)
	}
	return b, nil
}

func (s *Store) query(sql string, args ...any) ([]broadcast.Broadcast, error) {
	ctx, cancel := opContext()
	defer cancel()
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("broadcast: %w", err)
	}
	var out []broadcast.Broadcast
	var v []byte
	_, err = pgx.ForEachRow(rows, []any{&v}, func() error {
		var b broadcast.Broadcast
		if err := json.Unmarshal(v, &b); err != nil {
			return err
		}
		out = append(out, b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("broadcast: %w", err)
	}
	return out, nil
}

// List implements broadcast.Store.
func (s *Store) List(partner string, limit int) ([]broadcast.Broadcast, error) {
	if limit <= 0 {
		limit = 100
	}
	if partner == "" {
		return s.query(`SELECT record FROM broadcast_broadcasts ORDER BY id DESC LIMIT $1`, limit)
	}
	return s.query(`SELECT record FROM broadcast_broadcasts WHERE partner = $1 ORDER BY id DESC LIMIT $2`, partner, limit)
}

// Open implements broadcast.Store.
func (s *Store) Open() ([]broadcast.Broadcast, error) {
	return s.query(`SELECT record FROM broadcast_broadcasts WHERE open ORDER BY id`)
}

func (s *Store) figures(sql string, args ...any) (map[string]int64, error) {
	ctx, cancel := opContext()
	defer cancel()
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("broadcast: %w", err)
	}
	out := map[string]int64{}
	var sku string
	var q int64
	if _, err := pgx.ForEachRow(rows, []any{&sku, &q}, func() error { out[sku] = q; return nil }); err != nil {
		return nil, fmt.Errorf("broadcast: %w", err)
	}
	return out, nil
}

// Told implements broadcast.Store.
func (s *Store) Told(id uint64) (map[string]int64, error) {
	return s.figures(`SELECT sku, qty FROM broadcast_told WHERE id = $1`, int64(id))
}

// Believes implements broadcast.Store.
func (s *Store) Believes(partner string) (map[string]int64, error) {
	return s.figures(`SELECT sku, qty FROM broadcast_believes WHERE partner = $1`, partner)
}

// Beliefs implements broadcast.Store: one snapshot (a repeatable-read
// transaction) of what the channel holds, may hold and may not.
func (s *Store) Beliefs(partner string) (*broadcast.Beliefs, error) {
	ctx, cancel := opContext()
	defer cancel()
	out := &broadcast.Beliefs{Held: map[string]int64{}, Possible: map[string][]int64{}, Unknown: map[string]bool{}}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var sku string
		var q int64
		rows, _ := tx.Query(ctx, `SELECT sku, qty FROM broadcast_believes WHERE partner = $1`, partner)
		if _, err := pgx.ForEachRow(rows, []any{&sku, &q}, func() error { out.Held[sku] = q; return nil }); err != nil {
			return err
		}
		rows, _ = tx.Query(ctx, `SELECT sku FROM broadcast_unknown WHERE partner = $1`, partner)
		if _, err := pgx.ForEachRow(rows, []any{&sku}, func() error { out.Unknown[sku] = true; return nil }); err != nil {
			return err
		}
		rows, _ = tx.Query(ctx, `SELECT t.sku, t.qty FROM broadcast_broadcasts b JOIN broadcast_told t ON t.id = b.id
			WHERE b.partner = $1 AND b.open AND b.pending ORDER BY b.id`, partner)
		_, err := pgx.ForEachRow(rows, []any{&sku, &q}, func() error {
			if !slices.Contains(out.Possible[sku], q) {
				out.Possible[sku] = append(out.Possible[sku], q)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("broadcast: beliefs of %s: %w", partner, err)
	}
	return out, nil
}
