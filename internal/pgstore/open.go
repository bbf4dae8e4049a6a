package pgstore

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// IsURL reports whether a storage setting names PostgreSQL
// (postgres:// or postgresql://).
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// IdleInTransactionTimeout is the idle_in_transaction_session_timeout
// Open sets unless the URL sets one: a session left idle inside a
// transaction (a stuck node) is ended instead of holding back VACUUM
// for every table. No store waits on anything but the database inside
// a transaction.
const IdleInTransactionTimeout = time.Minute

// Open opens a connection pool on the PostgreSQL database at url and
// checks that it answers. Each tune, if any, adjusts the pool's
// configuration first (a tracer, a pool size).
func Open(ctx context.Context, url string, tune ...func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	if !IsURL(url) {
		return nil, fmt.Errorf("%w: %q", ErrURL, Redact(url))
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", Redact(url), err)
	}
	params := cfg.ConnConfig.RuntimeParams
	if _, set := params["idle_in_transaction_session_timeout"]; !set {
		params["idle_in_transaction_session_timeout"] = strconv.FormatInt(IdleInTransactionTimeout.Milliseconds(), 10)
	}
	for _, f := range tune {
		f(cfg)
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
