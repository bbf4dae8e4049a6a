// Package postgres keeps the change stream's subscriber cursors
// (stream.CursorStore) in PostgreSQL, so that the gateway nodes sharing
// one database share them: the node relaying a subscriber (the
// cluster's leader) resumes from the cursor the previous one saved, and
// every node's API shows the same durable cursor.
//
// A cursor is one row of stream_cursors, written with an upsert. When
// Options.Fence is set, each write runs in a transaction that calls it
// first: the gateway passes a check of the leader's term (cluster
// fencing), so that a node deposed as leader cannot move a cursor after
// another node took over; a write whose context carries no term (an
// operator's) is not fenced.
//
// CopyFrom copies a stopped bbolt gateway's cursors (change-cursors.db)
// into the database and verifies them (`dockside migrate --from`).
//
// The schema is Migrations; Open refuses a database not migrated to it
// (run `dockside migrate`).
package postgres
