// Package postgres keeps the divergence store (divergence.Store: the
// partners' reported figures and when each divergence was first seen)
// in PostgreSQL, for several gateway nodes sharing one database.
//
// A report is one upsert of all its figures (arrays unnested, the last
// figure of a SKU and location given twice winning); Track keeps the
// first-seen time of a divergence with INSERT … ON CONFLICT DO NOTHING,
// so two nodes tracking at once keep the earlier one. Times are kept
// to the microsecond. MarkAlerted (divergence.AlertStore) marks the
// divergences told of with one INSERT … ON CONFLICT DO UPDATE … WHERE
// not marked … RETURNING, so of several nodes exactly one tells of each
// incident; the mark goes with the row when Track forgets it. Called by
// the leader's alerts (the context carries a cluster.Term) it is fenced
// in its transaction (cluster/postgres.FenceIfTerm). The schema is Migrations; Open refuses a database
// not migrated to it (run `dockside migrate`).
//
// CopyFrom copies a bbolt divergence store into the database, verified and
// resumable (`dockside migrate --from`).
package postgres
