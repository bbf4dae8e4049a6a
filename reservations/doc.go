// Package reservations owns the records of the reservation API (POST
// /api/v1/reservations): what each Idempotency-Key / reservation key
// allocated, for whom, and when it was released.
//
// The allocation itself is a ledger movement (its source key is the
// reservation key), posted by the gateway; this package keeps only the
// record that answers a retried request and a release. Store is its
// storage: Bolt in the data folder (reservations.db, one JSON value per
// key, the format the gateway always wrote), and reservations/postgres
// for several nodes on one database. Both pass the contract suite in
// reservations/reservationstest. A key is created once: Create refuses a
// key already held (ErrExists) atomically, by the bbolt write lock or by
// PostgreSQL's primary key, never by a read-then-write race.
package reservations
