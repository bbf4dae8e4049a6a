// Package outbox is the durable store of everything Dockside sends:
// acknowledgements, inventory advice and whatever comes later.
//
// A message is stored, bytes and all, before any attempt to send it. A
// dispatcher then hands due messages to the sender for their transport;
// a failed attempt is retried with capped exponential backoff and jitter,
// and after the last attempt the message is dead until an operator retries
// it. A transport that cannot confirm delivery at once (a file waiting in a
// partner's SFTP pickup folder, an AS2 message awaiting an asynchronous
// MDN) leaves the message Sent until the confirmation arrives. Changes
// tells a follower (the inventory advice's record of what each channel
// believes) that a delivery or acknowledgement state changed. A message a
// newer one replaces before delivery (Supersede) is never sent.
//
// The outbox also allocates outbound control numbers (ISA13, GS06, ST02)
// per partner: monotonic, persisted, never reused; and it tracks the
// partner's functional acknowledgement of what we sent: accepted,
// accepted with errors, rejected, or overdue after the partner's window;
// with Message.AckWithin that window starts at delivery, so a message
// never delivered is never "acknowledgement overdue".
//
// Storage is the outbox as its users see it: Store keeps it in bbolt,
// outbox/postgres in PostgreSQL for several nodes, and both pass the
// contract suite in outbox/outboxtest.
package outbox
