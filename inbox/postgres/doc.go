// Package postgres keeps the inbox (inbox.Storage) in PostgreSQL, so that
// several gateway nodes share one queue: a file received on one node is
// processed on any node, exactly once at a time.
//
// Records are rows of inbox_messages (the inbox.Message as JSON, with the
// columns searches read); the bytes are a blob of 1 MiB chunks
// (inbox_blobs, inbox_bodies) that every node reads. A file that fits
// one chunk (most EDI files) is written in the transaction that records
// its message. A larger one is written one short transaction per chunk
// first, so that a slow upload never holds a transaction open (an open
// transaction stops VACUUM for every table: the queue's bloat trap); its
// blob becomes the message's in the recording transaction, and a blob
// no message took (an upload cut off by a crash) is removed by Purge a
// day later. Each message keeps its own bytes (no sharing by content as
// the bbolt store does): simpler retention, at the cost of storing a
// duplicate's bytes again.
//
// Claims: inbox_queue holds a row per waiting or claimed message. Claim
// takes the first row of the partner after the one this node served last
// that is free or whose lease ran out, with FOR UPDATE SKIP LOCKED, so
// nodes never wait for each other nor take the same message. A claim
// holds a lease (Options.Lease) that the node renews while it works; a
// node that dies stops renewing, and after the lease another node takes
// the message over, counting the interruption in Interrupted (as the
// bbolt store does when it reopens). Finish refuses a claim that was
// taken over (inbox.ErrState): the other node's outcome counts.
// ErrEmptyQueue means no message is free for this claim now: a row that
// another claim is locking is passed over, so under contention a claim
// may rarely find none while one is about to be free (the benchmark
// counts these: about 0.003 per claim with two workers).
//
// Round trips: each write is one transaction sent as two pipelined
// batches (pgstore.Pipe): Receive (without an idempotency key), Claim,
// MarkInterchange, Finish, and FinishAndClaim, which finishes one
// message and claims the next in one commit (inbox.FinishClaimer).
// Claims and interchange marks commit without waiting for the WAL flush:
// a crash of the database may lose them, and they are then made again;
// the next synchronous commit flushes them before anything that depends
// on them leaves the gateway. Receive and Finish wait for the flush.
//
// Duplicates are found by unique keys (partner and content hash, partner
// and interchange): two nodes receiving the same bytes at once record
// one message and one duplicate, never two originals.
//
// Notify wakes on local receives and replays, and polls every
// Options.Poll for work other nodes received or abandoned.
//
// The schema is Migrations; Open refuses a database not migrated to it.
package postgres
