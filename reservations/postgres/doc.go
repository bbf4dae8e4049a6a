// Package postgres keeps the reservation records (reservations.Store)
// in PostgreSQL, for several gateway nodes sharing one database.
//
// A key is the primary key: Create is INSERT … ON CONFLICT DO NOTHING,
// so of two nodes creating one key the second finds it held
// (reservations.ErrExists); Release sets the time only where none is
// (UPDATE … SET released = COALESCE(released, $2)). Times are kept to
// the microsecond. CopyFrom copies a bbolt store (`dockside migrate
// --from`). The schema is Migrations; Open refuses a database not
// migrated to it (run `dockside migrate`).
package postgres
