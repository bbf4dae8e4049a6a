// Package gateway wires Dockside together: the configuration, the stores
// (ledger, inbox, outbox, broadcasts), the partner profiles, the pipeline
// and everything `dockside serve` runs.
//
// The pipeline takes each received message, store first, through
//
//	claim → identify the partner → parse and validate → queue the 997/999
//	→ map → post to the ledger → done | failed | duplicate
//
// Identification trusts the transport's identity (SFTP login, AS2-From,
// watched folder) and refuses an X12 interchange whose ISA sender is not
// one of that partner's ids; without a transport identity the ISA sender
// decides. A file's sets are validated against the embedded specs; the
// acknowledgements the profile asks for are queued on every outbound
// transport of the partner, keyed by the message so that processing it
// again queues nothing new; accepted sets are mapped and posted, each set
// in its own ledger transaction (all at once, so the ledger's group commit
// shares the fsyncs). Sets of a rejected interchange or group are not
// posted. Every movement's source key comes from its place in the
// document, so a message processed again after a crash posts nothing
// twice.
//
// Identity: an interchange is its sender, receiver, ISA13 and ISA09/ISA10
// (partners reuse control numbers on other days); one received again is a
// duplicate when its content (segment by segment) is the same, and fails
// with an error naming both messages when it is not. A flat file is its
// content hash. An order document (940) is its partner + order number: the
// order book (orders.db) keeps each order's state, so an order re-sent
// under new control numbers is a duplicate, not a second allocation (see
// mapping.Result.SettleOrder). Documents posted before the interchange
// date was part of the keys are found under their legacy keys and not
// posted again; a document whose own key was posted before with other
// content (the inbox could not compare: retention removed the first
// file) fails as a collision. A problem fails the message with its place; the bytes stay and
// the message can be replayed after the profile is fixed (replay reloads
// the profiles). An inbound 997/999 is matched to what we sent.
//
// Orders out: the order book holds each order's life (package orders).
// An order whose lines allocate at a location a warehouse partner
// fulfils (its profile's fulfils section) is sent to it as a 940 through
// the outbox (its transport, identities, control numbers and item ids),
// keyed by warehouse, location and order document, so a crash between
// the outbox and the book never queues two; a change sends a 940 change
// (R), a cancel a 940 cancel (F). The warehouse's 997 is noted on the
// order.
//
// Serve runs the pipeline workers (partners take turns), the outbox
// dispatcher, the acknowledgement clock (overdue acks), retention, the
// advice schedules and the transports; a cancelled context stops them,
// and claimed work cut short is processed again at the next start.
package gateway
