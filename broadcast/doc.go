// Package broadcast sends each channel partner its own 846 inventory
// advice on its schedule: what it may sell, from the ledger's balances
// under the partner's availability policy, in the partner's item ids.
//
// # What a channel believes
//
// A figure counts as told when it was delivered, not when it was queued.
// Every broadcast records the figures it told; its delivery state
// (queued, sent, delivered, failed, superseded) and the channel's
// acknowledgement (pending, accepted, rejected, overdue) are separate
// fields that Sync brings up to date from the outbox, which records what
// the transport confirmed (a file renamed into place, an SFTP close, an
// AS2 MDN). For each SKU the channel holds the figure of the last
// delivered advice that carried it (Store.Believes); the figures of
// advice sent but not confirmed delivered are possible too, and a SKU
// whose figure came from a rejected advice is unknown (Beliefs). A failed
// delivery changes nothing the channel holds. The acknowledgement clock
// starts at delivery: an advice never delivered is "failed", never
// "overdue".
//
// # Full and delta advice
//
// A full advice lists every item in scope; it re-asserts every figure,
// the safety net against a channel that silently dropped an update, so
// schedule one regularly even for delta partners. A delta lists every
// item whose channel quantity differs from any figure the channel may
// believe: it looks at the SKUs the ledger changed since the partner's
// figures were last examined and at those with possible or unknown
// beliefs. A new advice supersedes the partner's older advice not yet
// delivered (never sent after it). No advice with zero items is ever
// built or sent, full or delta: an empty 846 (CTT*0) tells a channel
// nothing it can act on, and a full advice of an empty scope is not sent
// either (a channel that should stop selling items is told 0 for them
// while they are in scope).
//
// A full JSON advice of more than JSONPageItems items goes out as pages,
// each its own outbox message (keys advice:<partner>:<interchange>:<i>
// and ...:page-<k>); on a transport it counts as delivered only once
// every page was, as of the last page's delivery, so a belief never
// changes on part of an advice. A delta is never paged.
//
// # Scheduling
//
// The Scheduler runs each partner's cron schedule (CRON_TZ= allowed) on an
// injectable clock: a broadcast never overlaps the previous one for the
// same partner, and a panic in one job never stops the others. Partners
// that ask for it also get a delta soon after a change touches their
// availability, at most once per debounce window (RunNearRealTime). No
// pending push lives only in memory: each partner resumes from the ledger
// change sequence its figures were last examined at, so changes made
// while no process ran are pushed right after the start.
//
// The Store interface has an embedded implementation (BoltStore); the
// contract every implementation passes is in broadcasttest. A store
// several processes share (the nodes of a cluster) is a PartnerLocker
// too: one partner's advice is then built by one process at a time, as
// within one process, and a broadcast not yet queued is left alone by
// every process's Sync while its partner's advice is being built.
package broadcast
