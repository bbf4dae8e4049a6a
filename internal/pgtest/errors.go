package pgtest

import "errors"

// ErrNoPostgres means no PostgreSQL server binaries were found.
var ErrNoPostgres = errors.New("pgtest: PostgreSQL binaries (initdb, pg_ctl, postgres) not found")
