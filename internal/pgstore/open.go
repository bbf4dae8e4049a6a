package pgstore

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// IsURL reports whether a storage setting names PostgreSQL
// (postgres:// or postgresql://).
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open opens a connection pool on the PostgreSQL database at url and
// checks that it answers.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	if !IsURL(url) {
		return nil, fmt.Errorf("%w: %q", ErrURL, Redact(url))
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", Redact(url), err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", Redact(url), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: connecting to %s: %w", Redact(url), err)
	}
	return pool, nil
}

// Redact returns url without its password, for messages and logs.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
