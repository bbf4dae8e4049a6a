// Package postgres keeps cluster leases in PostgreSQL: a row of
// cluster_leases per lease (holder, epoch, expires_at), for several
// gateway nodes sharing one database. It also keeps the cluster's
// reload generation (ReloadGeneration: the one row of
// cluster_reload_generation), bumped at each operator's reload of the
// partner profiles, by which a node that missed a reload knows it.
//
// Acquire is one statement, INSERT … ON CONFLICT DO UPDATE … WHERE the
// holder is this node or the term has expired, with the database's
// now(): nodes' clocks never decide. The epoch grows at every change of
// holder, and also when a holder comes back after its own term expired
// (its leader-only work stopped at the end of the term). Release sets
// expires_at to now(). Concurrent Acquires are serialized by the row
// lock: exactly one wins a takeover.
//
// Fence checks a term inside a writing transaction with SELECT … FOR
// SHARE on the lease row: the write commits only under the current,
// unexpired term, and a takeover (an UPDATE of the row) waits for the
// fenced transactions under way to end. No session advisory lock is
// used (they stay on a pooled connection). The price: a leader frozen
// inside a fenced transaction (a pause, a stopped VM) holds a takeover
// back until PostgreSQL ends its idle transaction
// (idle_in_transaction_session_timeout: pgstore.Open sets 1 min unless
// the URL says otherwise), so leader-only transactions must be short.
//
// The schema is Migrations; New and NewReloadGeneration refuse a
// database not migrated to it (run `dockside migrate`).
package postgres
