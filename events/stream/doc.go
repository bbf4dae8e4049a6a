// Package stream is Dockside's change stream out: every ledger posting
// becomes change events, in ledger order, handed to subscribers' sinks.
//
// The ledger's change log is the durable outbox: postings are numbered by
// a gap-free change sequence that commits in order (bbolt has a single
// writer), so nothing else needs to be written when a posting commits.
// Each subscriber has a durable cursor in a [CursorStore]: the last change
// sequence its [Sink] has confirmed. A [Relay] per subscriber reads
// ChangesSince(cursor), maps each movement to an [Event] (absolute
// figures after the movement, its delta, and a per-SKU sequence so that
// consumers can drop stale events; the event id is derived from the
// change sequence, so a retry carries the same id), hands them in order
// to the sink, and moves the cursor only past what the sink confirmed.
//
// Delivery is at least once and in order: after a crash, or a sink
// failure, the relay delivers again from its cursor, never skipping.
// Consumers deduplicate on the event id. Each relay runs in its own
// goroutine with its own backoff, so a slow or failing sink holds back
// only its own subscriber; relays wake on the ledger's commits
// ([Source.Committed]) rather than polling.
//
// The bbolt [CursorStore] is [OpenBoltCursors], the PostgreSQL one (for
// several gateway nodes, writes fenced by the leader's term) is package
// events/stream/postgres; package streamtest holds the contract suite
// every implementation runs. [NATSSink] publishes to
// NATS JetStream, one subject per kind, location and SKU ([Subject]).
//
// The package imports ledger and nothing else of Dockside's.
package stream
