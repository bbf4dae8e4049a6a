package as2

import (
	"context"
	"time"
)

// Records is what the AS2 station remembers: the outcome and MDN of each
// received Message-ID (so that a resend is answered with the same MDN
// and not processed twice) and our messages awaiting an asynchronous
// MDN. Store is the bbolt implementation; transports/as2/postgres keeps
// them in PostgreSQL for several nodes. Every implementation passes the
// contract suite in transports/as2/as2test.
type Records interface {
	// Received returns the record of a partner's Message-ID, or nil.
	Received(ctx context.Context, partner, messageID string) (*ReceivedRecord, error)
	// PutReceived records the outcome of a received message under its
	// partner and Message-ID, replacing a failure recorded before. A
	// processed outcome is never replaced: the first one of a Message-ID
	// stays, whichever exchange (or node) comes second, which gets an
	// error wrapping ErrReceivedBefore.
	PutReceived(ctx context.Context, r *ReceivedRecord) error
	// PutPending records that our message awaits an asynchronous MDN.
	PutPending(ctx context.Context, p *PendingRecord) error
	// Awaiting returns the pending record of our Message-ID, or nil.
	Awaiting(ctx context.Context, messageID string) (*PendingRecord, error)
	// SettlePending removes a pending record; with a non-empty reason (a
	// negative MDN) it keeps the reason for the outbox message's next
	// attempt (TakeNegative).
	SettlePending(ctx context.Context, p *PendingRecord, reason string) error
	// TakeNegative returns and forgets the negative asynchronous MDN
	// recorded for an outbox message, or "": each reason is taken once.
	TakeNegative(ctx context.Context, outboxID uint64) (string, error)
	// Pending lists our messages that have awaited their asynchronous
	// MDN since before the given time (the gateway may retry them in the
	// outbox; the Message-ID stays the same).
	Pending(ctx context.Context, before time.Time) ([]PendingMDN, error)
	// Prune forgets received messages recorded before the given time: a
	// resend of one of them after that is processed again (the inbox
	// still records it as a duplicate of the same bytes). It returns how
	// many it removed.
	Prune(ctx context.Context, before time.Time) (int, error)
	// Close releases the store.
	Close() error
}
