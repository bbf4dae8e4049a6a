// Package pgstore is what every PostgreSQL store of Dockside shares:
// opening a connection pool from a storage URL, and versioned schema
// migrations.
//
// Each store keeps its own migrations beside its code (embedded SQL files
// named NNNN_what.sql, in a Set named after the store), so that a store
// package imports only the package that owns its concept, pgx and this
// one. `dockside migrate` applies every store's Set; a store's Open
// checks with Require that its schema is current and refuses to work on
// an older one.
//
// Migrate applies each missing migration in its own transaction, which
// first takes a transaction-scoped advisory lock (pg_advisory_xact_lock)
// and then reads schema_migrations: several nodes migrating at once wait
// for each other and apply every migration exactly once. The lock ends
// with the transaction, so it cannot leak through a connection pool or a
// transaction-mode PgBouncer the way a session lock does. A migration
// already applied whose SQL has since changed is refused (its checksum is
// recorded), and so is a database that has migrations this binary does
// not know (a newer Dockside migrated it).
package pgstore
