// Package cluster decides which gateway node does the work that must run
// once in a cluster (advice schedules, near-real-time advice and its
// follow-up, the acknowledgement clock, retention, divergence alerts): a
// leader lease with a fencing epoch.
//
// A Lease is held by one node at a time for a term; a term has an epoch
// that grows at every change of holder (a takeover after expiry, or after
// a release), and stays while its holder renews it in time. Leader-only
// work runs under an Elector: it runs the work while the node holds the
// lease, with a context that carries the Term (TermFrom), and cancels it
// when a renewal fails past the term's end as this node counts it (from
// before the request that granted it, so never later than the lease's own
// clock says). A write that only the leader may make is fenced with the
// term's epoch: the PostgreSQL lease (package cluster/postgres) checks
// the epoch in the writing transaction itself, holding the lease row
// shared, so a node that lost its term and has not noticed yet cannot
// write once another node has taken over. Shared stores fence the
// leader's writes with the term its work's context carries
// (cluster/postgres.FenceIfTerm: the broadcast store's Record, the
// outbox's EnqueueContext, the divergence store's MarkAlerted).
//
// Two implementations: Single, for one node on bbolt (always the leader,
// epoch 1, nothing to renew), and cluster/postgres, a lease row whose
// clock is the database's now(). No session advisory lock is involved:
// such locks stay on a pooled connection after it is returned to the
// pool (see docs/deploy.md). The contract suite is clustertest.Run.
package cluster
