// Package ledger is Dockside's inventory truth: an append-only record of
// stock movements per (SKU, location), kept in a bbolt file, with the
// balances they add up to.
//
// Every inbound document (receipt advice, shipment confirmation, inventory
// snapshot, order) becomes one [Document] of [Movement]s and is posted with
// [Ledger.Post]: all of a document's movements commit together or not at all,
// in a transaction shared with whatever other documents are being posted at
// the same moment (group commit), and each posting gets the next change
// sequence number. Every movement carries a source key, its idempotency key:
// posting a source key again changes nothing and is reported as a
// duplicate, so every step above the ledger can simply retry.
//
// Quantities are integers in the item's base unit. A balance holds five
// buckets (on hand, allocated, in transit, damaged, quarantined); available
// to promise is derived as on_hand − allocated − damaged − quarantined and
// may go negative, which is an oversell signal and is reported as is.
//
// Allocations are kept per order: partner + order number (the movement's
// OrderPartner, else its Reference.Partner, and Reference.Order), so two
// channels' orders of the same number never share one. An allocation a
// ledger from before stored by order number only is taken over by the
// first partner whose movement of that number reads it.
//
// A snapshot movement is an absolute count of one bucket as of a time T. It
// is posted as the adjustment count − balance_as_of(T), effective at T, so
// movements effective after T stay applied. A snapshot older than the newest
// snapshot already applied to the same (SKU, location, bucket) is recorded
// as stale and changes nothing. A movement effective before the newest
// snapshot applied to a bucket it changes, but posted after that snapshot
// (a receipt that arrives after the 3PL's nightly count that included it),
// is absorbed: its change to that bucket is recorded as zero, so it is not
// counted twice; its other buckets change as usual.
//
// Reads ([Ledger.Balance], [Ledger.Balances], [Ledger.BalanceAsOf],
// [Ledger.History], [Ledger.ChangesSince], and for posters that check
// their source keys before posting [Ledger.HasSourcePrefix] and
// [Ledger.SourceMovements]) run in their own read transactions and see
// only committed postings. [Ledger.Committed] wakes a reader of the change
// log at the next commit, so that it need not poll. [ChannelQuantity] is a pure
// function that turns balances and a channel [Policy] into the quantity a
// sales channel may promise. [Ledger.Reconcile] compares a partner's full
// count of a location with the ledger, and can post it as snapshots.
//
// Durability: Post returns only after bbolt has committed and synced the
// file (fsync stays on). One process at a time opens the file for writing
// (bbolt locks it); others may open it with Options.ReadOnly, which waits
// while a writer holds it. [Ledger.Verify] checks the file and every
// invariant, for tests and for operators.
//
// The file's layout has a version. A file of the previous layout (schema 2:
// a key per timeline entry and per source key) is upgraded, in one
// transaction, the first time it is opened for writing; opened read-only
// it is refused with ErrSchema until then.
//
// [Store] is what the gateway needs of a ledger; *Ledger is the bbolt
// implementation, and package ledger/postgres keeps the same ledger in
// PostgreSQL for several gateway nodes. Other stores apply the rules of
// Post with the code the bbolt writer uses ([Prepare], [Stepper]), and the
// contract suite ledger/ledgertest holds the behaviour every Store must
// have. [Ledger.ReadPostings], [Ledger.ReadMovements] and
// [Ledger.ReadPositions] list the whole file in order, for copying it
// into another store and comparing the copy (`dockside migrate --from`).
//
// The package imports nothing else of Dockside; bbolt stays private to it.
package ledger
