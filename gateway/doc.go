// Package gateway wires Dockside together: the configuration, the stores
// (ledger, inbox, outbox, broadcasts), the partner profiles, the pipeline
// and everything `dockside serve` runs.
//
// The pipeline takes each received message, store first, through
//
//	claim → identify the partner → parse and validate → map → post to
//	the ledger → queue the 997/999 → done | failed | duplicate
//
// Identification trusts the transport's identity (SFTP login, AS2-From,
// watched folder) and refuses an X12 interchange whose ISA sender is not
// one of that partner's ids; without a transport identity the ISA sender
// decides. A file's sets are validated against the embedded specs;
// accepted sets are mapped and posted, each set in its own ledger
// transaction (all at once, so the ledger's group commit shares the
// fsyncs). Sets of a rejected interchange or group are not posted.
//
// Acknowledgements: the ones the profile asks for are queued on every
// outbound transport of the partner once every set's outcome is known,
// keyed by the message so that processing it again after a crash queues
// nothing new; a replay (after the profile was fixed, say) queues a new
// acknowledgement with the replay's outcome, keyed by the message and the
// last attempt finished before it.
// In X12 a 997/999 reports syntax acceptance, and application errors go
// in other documents (824); but partners read AK5*A as "taken" and never
// send the set again, so Dockside never reports accepted a set it did not
// take: a set that passed validation and was then refused (decoding, say
// an HL past the depth limit; mapping, say an unknown item under
// on_error: reject; the ledger or the order book; a test interchange) is
// rejected, AK5/IK5 R with an AK3/IK3 naming the segment where the
// refusal has one (AK304 8 for content, 4 for an HL nested too deep),
// and the group's AK9 counts it. A set posted with lines dropped
// (on_error: post_good) is accepted with errors (E) with an AK3 per line
// dropped. A duplicate (posted before, an order as it stands) is
// accepted: we have it. An interchange that collides with an earlier one
// (same control numbers, date and time, other content, found by the
// inbox or by the ledger) is not answered at all, like a duplicate: the
// message fails and the operator sorts it out with the partner (a
// rejection would have the partner send it again under the same numbers). Every movement's source key comes from its place in the
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
// mapping.Result.SettleOrder). A ship notice (856) is its partner +
// shipment id (BSN02), kept in the same book: re-sent under new control
// numbers with the same lines (SKU, location, quantity, due date), a
// duplicate, not stock in transit twice; with other lines, an error
// naming both messages. A replace (BSN01 05) with other lines, and a
// cancellation (01), are refused: reversing the first notice's in-transit
// stock is not supported (it may have been received since). Notices posted before the book knew
// shipments are not in it. Documents posted before the interchange
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
// order; its 945s are settled against the order (shipments945.go) and
// posted: stock out of on hand and the order's allocation, the rest
// released when W12-01 closes the line. A 944 received against a
// transfer (receive_against: in_transit) whose item has nothing in
// transit at the location fails at its W07 (receipts944.go).
//
// Serve runs the pipeline workers (partners take turns), the outbox
// dispatcher, the acknowledgement clock (overdue acks), retention, the
// advice schedules, divergence alerts and the transports; a cancelled
// context stops them, and claimed work cut short is processed again at
// the next start. On PostgreSQL the acknowledgement clock, retention,
// the advice schedules, near-real-time advice and its follow-up, and
// divergence alerts run on the leader only (leaderOnly; docs/deploy.md
// lists which work runs where).
package gateway
