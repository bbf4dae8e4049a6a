// Package postgres keeps the broadcast state (broadcast.Store: the
// broadcasts, the figures each told, what each channel holds and may
// hold, and the partners' examined sequences) in PostgreSQL, for several
// gateway nodes sharing one database.
//
// Figures are rows (one per SKU): a broadcast's are written with COPY,
// and a delivery changes what the channel holds set-based, in SQL (a full
// advice replaces the partner's rows, a delta upserts its SKUs). Every
// change to a partner's beliefs first locks the partner's row, so the
// changes of several nodes apply one after the other, in the order they
// commit. Sequences only move forward (GREATEST), whichever node writes.
//
// Record takes the caller's context; when it carries a leadership term
// (cluster.TermFrom: the leader's scheduled and near-real-time advice)
// the write is fenced in its transaction (cluster/postgres.FenceIfTerm),
// so a deposed leader that has not noticed yet records nothing: its
// Record fails with cluster.ErrFenced. The leases' schema
// (cluster/postgres.Migrations) must then be in the same database, as
// the gateway has it. The other calls take no context: each is bounded
// by a timeout of its own. The schema is Migrations; Open refuses a
// database not migrated to it (run `dockside migrate`).
//
// CopyFrom copies a bbolt broadcast store into the database, verified and
// resumable (`dockside migrate --from`).
package postgres
