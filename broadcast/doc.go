// Package broadcast sends each channel partner its own 846 inventory
// advice on its schedule: what it may sell, from the ledger's balances
// under the partner's availability policy, in the partner's item ids.
//
// A full advice lists every item in scope; a delta lists the items whose
// channel quantity changed since the last advice the partner acknowledged
// (the ledger's change sequence says which SKUs to look at). Every
// broadcast records the figure it told the partner for each item, so an
// operator can see what each channel believes, and its fate: queued in the
// outbox, accepted or rejected by the partner's 997/999, or overdue.
//
// The Scheduler runs each partner's cron schedule (CRON_TZ= allowed) on an
// injectable clock: a broadcast never overlaps the previous one for the
// same partner, and a panic in one job never stops the others. Partners
// that ask for it also get a delta soon after a change touches their
// availability, at most once per debounce window.
package broadcast
