// Package postgres keeps the ledger (package ledger's semantics) in
// PostgreSQL 15+, so that several gateway nodes share one ledger. It
// passes the same contract suite as the bbolt file (ledger/ledgertest),
// and applies documents with the same code: ledger.Prepare checks a
// document, ledger.Stepper applies the rules of Post to the state this
// package loads; this package only loads, locks and writes.
//
// A posting transaction (READ COMMITTED) gathers the documents that
// concurrent callers of one Store are posting (group commit) and:
//
//   - looks up which of their source keys are recorded. The unique
//     constraint on ledger_movements.source_key is the idempotency key:
//     when another node records one of the keys after the lookup, this
//     transaction's insert fails and it runs again from the start, and
//     then finds the key recorded;
//   - locks the positions the new movements touch with one upsert in
//     (SKU, location) byte order, creating the missing ones, so that
//     transactions of any node never wait on each other in a cycle;
//   - reads their allocations, and for snapshots the sums of the stored
//     movements effective after them (as-of figures);
//   - locks the change sequence (the one row of ledger_head) and applies
//     the documents in memory;
//   - writes the movements with COPY, positions, allocations and postings
//     set-based from arrays in one round trip, the sequence, and commits.
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
