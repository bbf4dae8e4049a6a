// Package txgroup runs bbolt write transactions from many goroutines in
// shared commits.
//
// Every bbolt commit writes its dirty pages and syncs the file twice,
// whatever it holds, so a store that commits once per message spends most
// of its time in fsync when messages arrive together. A [Group] runs
// whatever functions are queued while a commit is in progress in the next
// commit, one after the other in one transaction; a lone caller never
// waits for company (unlike bolt.DB.Batch, which waits MaxBatchDelay).
//
// The contract is bbolt's Batch contract: a function may run more than
// once (when another function of its commit fails, the commit is rolled
// back and the others run again without it), so it must only change the
// transaction and values it sets afresh on every run.
package txgroup
