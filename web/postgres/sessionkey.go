package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"fmt"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the shared session key.
var Migrations = pgstore.MustLoad("web", migrationFiles, "migrations")

// KeySize is the size in bytes of a session key this package makes.
const KeySize = 32

// SessionKey returns the session key shared by the nodes on the database
// of pool, which must be migrated (Migrations): made at the first call on
// that database, the same ever after, whichever node asks.
func SessionKey(ctx context.Context, pool *pgxpool.Pool) ([]byte, error) {
	if err := pgstore.Require(ctx, pool, Migrations); err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	fresh := make([]byte, KeySize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO web_session_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, fresh); err != nil {
		return nil, fmt.Errorf("session key: creating it: %w", err)
	}
	var key []byte
	if err := pool.QueryRow(ctx, `SELECT key FROM web_session_key WHERE id = 1`).Scan(&key); err != nil {
		return nil, fmt.Errorf("session key: reading it: %w", err)
	}
	return key, nil
}
