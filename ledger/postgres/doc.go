// Package postgres keeps the ledger (package ledger's semantics) in
// PostgreSQL 15+, so that several gateway nodes share one ledger. It
// passes the same contract suite as the bbolt file (ledger/ledgertest),
// and applies documents with the same code: ledger.Prepare checks a
// document, ledger.Stepper applies the rules of Post to the state this
// package loads; this package only loads, locks and writes.
//
// A posting transaction (READ COMMITTED) gathers the documents that
// concurrent callers of one Store are posting (group commit) and, in two
// or three round trips (a large one in a few more):
//
//   - locks the change sequence (the one row of ledger_head) until it
//     commits. Every posting transaction of every node takes this lock
//     first: it is the ledger's writer lock, as bbolt's file lock is for
//     the bbolt ledger. So what the transaction reads next cannot change
//     before it commits, no transaction waits on another in a cycle, and
//     postings commit in sequence order;
//   - looks up which of the documents' source keys are recorded (a
//     document of many keys with a shared prefix first as one range of
//     keys, one by one only where the range holds a recorded key), and
//     reads the stored positions the movements touch (a large
//     transaction on a second connection meanwhile: no one can change
//     them while it holds the lock);
//   - reads the allocations, and for snapshots the sums of the stored
//     movements effective after them (as-of figures), when it needs them:
//     not at a position whose newest movement (kept with it, latest) is
//     not after the snapshot;
//   - applies the documents in memory (ledger.Stepper); a large
//     transaction (2,000 movements and more) has its movements copied in
//     (binary COPY) meanwhile, each document's as soon as it is applied;
//   - writes new and changed positions, movements, allocations and
//     postings set-based from arrays (a large transaction's new positions,
//     and its changed ones through a temporary table, by COPY), the
//     sequence, and COMMIT, in one round trip.
//
// A poster with several documents at hand (the sets of one file) hands
// them over together (PostAll): they share one transaction rather than
// the first to arrive going alone.
//
// The transaction plans every statement for its arrays, with index
// probes costed as the cached pages they are and without JIT: a cached
// generic plan, made while the tables were small, scanned whole tables
// for a few keys, and its cost grew with the ledger.
//
// The unique constraints stay the guarantee underneath the lock: the
// source key of ledger_movements is the idempotency key, and the
// (SKU, location) key of ledger_positions keeps a position single. A
// write that got past the lock would fail its insert, and the
// transaction would run again and find the key recorded.
//
// The change sequence is gap-free and ordered for readers: the sequence
// row stays locked from numbering to commit, so a reader that has seen n
// never later finds a posting below n appearing (the outbox-relay trap
// of numbering with a PostgreSQL sequence, whose numbers commit out of
// order). The price: posting transactions are serialized across all
// nodes, one at a time (per-position row locks would let transactions on
// disjoint positions overlap, but their commits must still come in
// sequence order, and on this machine the row locks cost more than they
// gained: 4,300–4,800 against 7,000 movements/s). Group commit within a
// node makes one transaction carry many documents. More nodes add
// availability, not ledger write throughput. Reads run on the pool
// without locks and see committed postings only.
//
// Times are stored as UnixNano, so they round-trip exactly as in the
// bbolt file; text keys use the "C" collation, so listings come in the
// same byte order.
package postgres
