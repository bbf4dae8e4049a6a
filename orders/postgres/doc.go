// Package postgres keeps the order book (orders.Store) in PostgreSQL,
// for several gateway nodes sharing one database.
//
// A record is a row of orders_records under the key it has on bbolt
// (orders.KindKey), so List pages in the same order. The warehouse
// index is a table whose primary key is the warehouse order: two nodes
// giving the same warehouse order to two records cannot both succeed
// (the second waits for the first's commit, then finds it taken), with
// no read-then-write race. Every Put, Begin and End is one transaction.
//
// The schema is Migrations; Open refuses a database not migrated to it
// (run `dockside migrate`).
//
// CopyFrom copies a bbolt order book into the database, verified and
// resumable (`dockside migrate --from`).
package postgres
