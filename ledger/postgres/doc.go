// Package postgres keeps the ledger (package ledger's semantics) in
// PostgreSQL 15+, so that several gateway nodes share one ledger. It
// passes the same contract suite as the bbolt file (ledger/ledgertest),
// and applies documents with the same code: ledger.Prepare checks a
// document, ledger.Stepper applies the rules of Post to the state this
// package loads; this package only loads, locks and writes.
//
// A posting transaction (READ COMMITTED) gathers the documents that
// concurrent callers of one Store are posting (group commit) and, in
// three or four round trips:
//
//   - looks up which of their source keys are recorded. The unique
//     constraint on ledger_movements.source_key is the idempotency key:
//     when another node records one of the keys after the lookup, this
//     transaction's insert fails and it runs again from the start, and
//     then finds the key recorded;
//   - locks the stored positions the movements touch (SELECT … FOR
//     UPDATE in (SKU, location) byte order, so that transactions of any
//     node never wait on each other in a cycle), and the change sequence
//     (the one row of ledger_head). A position that does not exist yet is
//     created by the write; two transactions creating the same one meet
//     on its unique key, and the loser runs again;
//   - reads the allocations, and for snapshots the sums of the stored
//     movements effective after them (as-of figures), when it needs them;
//   - applies the documents in memory (ledger.Stepper);
//   - writes new and changed positions, movements, allocations and
//     postings set-based from arrays (a large transaction's movements by
//     COPY), the sequence, and COMMIT in one round trip.
//
// The change sequence is gap-free and ordered for readers: the sequence
// row stays locked from numbering to commit, so postings commit in
// sequence order and a reader that has seen n never later finds a
// posting below n appearing (the outbox-relay trap of numbering with a
// PostgreSQL sequence, whose numbers commit out of order). The price: the
// write phase of posting transactions is serialized across all nodes,
// one commit (and its WAL flush) at a time; group commit within a node
// makes one transaction carry many documents, which is what keeps the
// throughput up. Reads run on the pool without locks and see committed
// postings only.
//
// Times are stored as UnixNano, so they round-trip exactly as in the
// bbolt file; text keys use the "C" collation, so listings come in the
// same byte order.
package postgres
