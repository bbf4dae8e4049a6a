// Package postgres keeps the AS2 station's records (as2.Records: the
// outcome and MDN of each received Message-ID, our messages awaiting an
// asynchronous MDN, negative MDN reasons) in PostgreSQL, for several
// gateway nodes sharing one database.
//
// A partner's Message-ID is the primary key of as2_received: a message
// received twice, on one node or two, has one record, and its first
// processed outcome is never replaced (the upsert skips a processed row
// and PutReceived says as2.ErrReceivedBefore), with no read-then-write
// race. A negative reason is taken by DELETE … RETURNING: once, by one
// node.
//
// The schema is Migrations; Open refuses a database not migrated to it
// (run `dockside migrate`).
//
// CopyFrom copies a bbolt AS2 store into the database, verified and
// resumable (`dockside migrate --from`).
package postgres
