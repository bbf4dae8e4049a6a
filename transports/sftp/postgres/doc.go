// Package postgres keeps the files partners pick up from out/ over SFTP
// (sftp.OutFolder) in PostgreSQL, for several gateway nodes sharing one
// database: a file the outbox sent through one node is listed,
// downloaded and removed by the partner through any node.
//
// A file is a row of sftp_out_files (partner, name: the primary key of
// what the partner sees) and its bytes are rows of sftp_out_chunks
// (1 MiB each by default). Put writes the row and every chunk in one
// transaction: the upsert of the row locks it, so concurrent puts of
// one name (from two nodes) apply one after the other, and a reader
// never sees half a file. A replacement bumps the row's version and
// removes the previous version's chunks; a reader reads the chunks of
// the version it opened, one at a time (at most two chunks in memory
// per open file), so a file replaced or removed during a download makes
// that download fail (sftp.ErrNoSuchFile), never mix versions. Each
// query names the partner: nothing of one partner is listed, read or
// removed under another. Listings are read a page at a time, by name.
//
// The schema is Migrations; Open refuses a database not migrated to it
// (run `dockside migrate`). CopyFrom copies the out/ folders of a
// stopped bbolt gateway into the database, verified and resumable
// (`dockside migrate --from`).
package postgres
