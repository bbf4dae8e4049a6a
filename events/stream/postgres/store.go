package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the cursor store.
var Migrations = pgstore.MustLoad("stream", migrationFiles, "migrations")

// Options tune a Cursors store.
type Options struct {
	// Fence, when set, is called first in the transaction of every
	// cursor write; an error refuses the write (the transaction rolls
	// back) and is returned wrapped. The gateway checks the leader's
	// term that ctx carries, when it carries one.
	Fence func(ctx context.Context, tx pgx.Tx) error
}

// Cursors is the change stream's CursorStore in PostgreSQL.
type Cursors struct {
	pool *pgxpool.Pool
	o    Options
}

var _ stream.CursorStore = (*Cursors)(nil)

// Open returns the cursor store in the database of pool, which must be
// migrated (Migrations). Close does not close the pool: its owner does.
func Open(ctx context.Context, pool *pgxpool.Pool, o Options) (*Cursors, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("stream: %w", err)
	}
	return &Cursors{pool: pool, o: o}, nil
}

// Cursor implements stream.CursorStore.
func (s *Cursors) Cursor(ctx context.Context, subscriber string) (uint64, error) {
	var seq int64
	err := s.pool.QueryRow(ctx, `SELECT seq FROM stream_cursors WHERE name = $1`, subscriber).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("stream: cursor: %w: %q", stream.ErrUnknownSubscriber, subscriber)
	}
	if err != nil {
		return 0, fmt.Errorf("stream: cursor of %q: %w", subscriber, err)
	}
	return uint64(seq), nil
}

// SetCursor implements stream.CursorStore; the write is fenced when
// Options.Fence is set.
func (s *Cursors) SetCursor(ctx context.Context, subscriber string, seq uint64) error {
	if err := stream.CheckName(subscriber); err != nil {
		return fmt.Errorf("stream: setting cursor: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	const upsert = `INSERT INTO stream_cursors (name, seq) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET seq = EXCLUDED.seq, updated_at = now()`
	var err error
	if s.o.Fence == nil {
		_, err = s.pool.Exec(ctx, upsert, subscriber, int64(seq))
	} else {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if err := s.o.Fence(ctx, tx); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, upsert, subscriber, int64(seq))
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("stream: setting cursor of %q: %w", subscriber, err)
	}
	return nil
}

// Cursors implements stream.CursorStore.
func (s *Cursors) Cursors(ctx context.Context) (map[string]uint64, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, seq FROM stream_cursors`)
	if err != nil {
		return nil, fmt.Errorf("stream: cursors: %w", err)
	}
	out := map[string]uint64{}
	var name string
	var seq int64
	if _, err := pgx.ForEachRow(rows, []any{&name, &seq}, func() error {
		out[name] = uint64(seq)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("stream: cursors: %w", err)
	}
	return out, nil
}

// DeleteCursor implements stream.CursorStore; it is not fenced (an
// operator's action).
func (s *Cursors) DeleteCursor(ctx context.Context, subscriber string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM stream_cursors WHERE name = $1`, subscriber); err != nil {
		return fmt.Errorf("stream: deleting cursor of %q: %w", subscriber, err)
	}
	return nil
}

// Close implements stream.CursorStore; the pool stays open.
func (s *Cursors) Close() error { return nil }
