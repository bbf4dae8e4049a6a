// Package postgres keeps the dashboard's session key (web.Options.SessionKey)
// in PostgreSQL, so that the gateway nodes sharing one database sign and
// check dashboard sessions and CSRF tokens with the same key: a login made
// through one node is honoured by every other behind an HTTP balancer.
//
// The key is 32 random bytes in the one row of web_session_key, made by
// the first node that asks (INSERT … ON CONFLICT DO NOTHING, then a read:
// nodes starting together all end with the row that won). It never
// changes; rotating it is not provided.
//
// The schema is Migrations; SessionKey refuses a database not migrated to
// it (run `dockside migrate`).
package postgres
