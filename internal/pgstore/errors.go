package pgstore

import "errors"

// Sentinel errors of pgstore.
var (
	// ErrURL means a storage URL is not a PostgreSQL URL.
	ErrURL = errors.New("pgstore: not a postgres:// URL")
	// ErrMigration means a migration file is misnamed or a set is
	// malformed (versions not 1, 2, 3…).
	ErrMigration = errors.New("pgstore: bad migration")
	// ErrSchemaBehind means the database lacks migrations a store needs:
	// run `dockside migrate`.
	ErrSchemaBehind = errors.New("pgstore: database schema is behind; run dockside migrate")
	// ErrSchemaAhead means the database has migrations this program does
	// not know: a newer Dockside migrated it.
	ErrSchemaAhead = errors.New("pgstore: database schema is newer than this program")
	// ErrChanged means an applied migration's SQL differs from the one
	// this program carries.
	ErrChanged = errors.New("pgstore: applied migration changed")
	// ErrCopyMismatch means a store copied into PostgreSQL differs from
	// its bbolt source (a record missing, different or extra).
	ErrCopyMismatch = errors.New("pgstore: copy differs from its source")
)
