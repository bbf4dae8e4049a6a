// Package postgres keeps the outbox (outbox.Storage) in PostgreSQL, for
// several gateway nodes sharing one database.
//
// Any node sends any message, each attempt once: Due claims due rows
// with FOR UPDATE SKIP LOCKED, marks them Sending and records the
// node and a lease (default 1 minute, on the database's clock) that the
// node renews every third of it while it sends. When a node dies, its
// claims are taken over after the lease: the message is attempted again
// (an attempt counted, as after a restart on bbolt; a message superseded
// meanwhile is not sent again), and the dead node's late outcome is
// refused (outbox.ErrState). A message whose attempt had reached the
// partner when its node died is sent twice: the transports' receipts
// (an AS2 resend keeps its Message-ID) and the partner's duplicate
// checks cover that, as after a crash on bbolt.
//
// Idempotency is by unique constraints: the idempotency key is a unique
// column (Enqueue inserts ON CONFLICT DO NOTHING, whichever node comes
// second gets the first one's id); control numbers are reserved by one
// UPDATE … RETURNING of the partner's counter row, so two nodes never
// hand out the same number and no read-then-write race exists.
//
// EnqueueNumbered (outbox.NumberedEnqueuer) reserves control numbers and
// queues the messages built with them in one transaction of two round
// trips.
//
// Record times (next attempts, deadlines) come from Options.Now, as on
// bbolt; node clocks must agree to well within a retry delay. Leases use
// the database's clock. Notify and Changes tell what this node did;
// followers of other nodes' changes poll (the dispatcher every second,
// the broadcaster's sync every few seconds).
//
// The health figures read indexes, not the whole outbox: Backlog counts
// from the state index, overdue acknowledgements from the partial index
// of pending ones. The schema is Migrations; Open refuses a database
// not migrated to it (run `dockside migrate`).
//
// EnqueueContext (outbox.ContextEnqueuer) is Enqueue with the caller's
// context: when it carries a leadership term (the leader's scheduled and
// near-real-time advice) the insert is fenced in its transaction
// (cluster/postgres.FenceIfTerm), so a deposed leader queues nothing
// (cluster.ErrFenced). The leases' schema must then be in the database.
//
// CopyFrom copies a bbolt outbox into the database, verified and
// resumable (`dockside migrate --from`).
package postgres
