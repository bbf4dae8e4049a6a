// Package postgres keeps the audit log (audit.Store) in PostgreSQL, for
// several gateway nodes sharing one database.
//
// Entries are rows of audit_entries with an identity id; List pages by
// id, newest first, each filter served by an index on (field, id). Ids
// come from a sequence: they grow in the order rows are inserted, which
// between nodes may differ by a few entries from the order of their
// commits (an audit log needs no gap-free sequence). Times are kept to
// the microsecond, as PostgreSQL keeps them; Record returns the entry
// as stored.
//
// The schema is Migrations; Open refuses a database not migrated to it
// (run `dockside migrate`).
package postgres
