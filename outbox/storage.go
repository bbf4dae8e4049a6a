package outbox

import (
	"context"
	"time"
)

// Storage is the outbox as the gateway, the broadcaster and the
// transports use it. Store is the embedded (bbolt) implementation;
// outbox/postgres keeps it in PostgreSQL for several nodes. Every
// implementation passes the contract suite in outbox/outboxtest.
//
// Due claims messages: each message due is handed to exactly one caller
// (on a shared database, one node), marked Sending with one more
// attempt, until Succeeded or Failed records the attempt's outcome. A
// claim cut short (a crash, a node that died) is attempted again: at the
// next Open on bbolt, after the claim's lease on PostgreSQL.
type Storage interface {
	// Enqueue stores a message and its bytes; it is due at once. With
	// m.Key set, a second message with the same key is not stored and
	// the first one's id is returned.
	Enqueue(m *Message, body []byte) (uint64, error)
	// Body returns a message's bytes.
	Body(id uint64) ([]byte, error)
	// Due claims up to limit messages whose next attempt is due.
	Due(limit int) ([]*Message, error)
	// Succeeded records a successful attempt: Delivered, or Sent when
	// the receipt is pending.
	Succeeded(id uint64, r Receipt) error
	// Failed records a failed attempt: retried after a backoff, or Dead
	// after the last attempt or when cause wraps ErrPermanent.
	Failed(id uint64, cause error) error
	// Confirm records the delivery of a Sent message (a pickup, an
	// asynchronous MDN).
	Confirm(id uint64, receipt string) error
	// ConfirmByName confirms a partner's message by its file name and
	// returns its id (0: none has that name).
	ConfirmByName(partner, name, receipt string) (uint64, error)
	// Retry makes a failed, dead or sent message due now.
	Retry(id uint64) error
	// Supersede replaces message id by the newer message by (see
	// Store.Supersede) and returns the message's state after the call.
	Supersede(id, by uint64) (State, error)
	// Lookup returns the id of the message enqueued with an idempotency
	// key, or 0.
	Lookup(key string) (uint64, error)
	// Get returns a message.
	Get(id uint64) (*Message, error)
	// List returns the messages that match f, newest first.
	List(f Filter) ([]*Message, error)
	// Backlog returns how many messages are not yet delivered (queued,
	// sending, sent or failed), and how many are dead.
	Backlog() (pending, dead int, err error)
	// NextControl returns a partner's next control number of a kind.
	NextControl(partner, kind string) (int64, error)
	// ReserveControls reserves n consecutive control numbers of a kind
	// for a partner and returns the first: never handed out twice, on
	// any node.
	ReserveControls(partner, kind string, n int) (int64, error)
	// RecordAck matches a partner's acknowledgement to what we sent and
	// records its verdict; it returns the matched id, or 0.
	RecordAck(r AckReport) (uint64, error)
	// MarkOverdue turns pending acknowledgements past their deadline
	// into Overdue and returns those messages.
	MarkOverdue() ([]*Message, error)
	// NextAckDeadline returns the earliest pending acknowledgement
	// deadline, or zero.
	NextAckDeadline() time.Time
	// Notify receives a value when a message becomes due at once.
	Notify() <-chan struct{}
	// Changes receives a value after a delivery or acknowledgement state
	// changed (changes made in this process; followers poll as well).
	Changes() <-chan struct{}
	// Close releases the store.
	Close() error
}

var _ Storage = (*Store)(nil)

// ContextEnqueuer is a Storage whose Enqueue also takes the caller's
// context. On PostgreSQL (outbox/postgres) an enqueue by leader-only
// work (the context carries a cluster.Term: scheduled and
// near-real-time advice) is fenced by its term, so a deposed leader
// queues nothing: it fails with an error wrapping cluster.ErrFenced.
type ContextEnqueuer interface {
	// EnqueueContext is Enqueue with ctx.
	EnqueueContext(ctx context.Context, m *Message, body []byte) (uint64, error)
}
