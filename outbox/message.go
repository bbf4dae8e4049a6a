package outbox

import "time"

// State is where an outbound message is.
type State string

// The states of an outbound message.
const (
	Queued    State = "queued"    // waiting for its first or next attempt
	Sending   State = "sending"   // an attempt is under way
	Sent      State = "sent"      // handed over; awaiting pickup or an asynchronous receipt
	Delivered State = "delivered" // the partner has it (receipt, MDN or pickup)
	Failed    State = "failed"    // the last attempt failed; another is scheduled
	Dead      State = "dead"      // attempts exhausted; an operator must retry
	// Superseded: a newer message replaced it before it was delivered
	// (Store.Supersede); it is never sent.
	Superseded State = "superseded"
)

// AckState tracks the partner's functional acknowledgement (997/999/TA1)
// of what we sent.
type AckState string

// Acknowledgement states; the empty state means no acknowledgement is
// expected.
const (
	AckPending        AckState = "pending"
	AckAccepted       AckState = "accepted"
	AckAcceptedErrors AckState = "accepted_with_errors"
	AckRejected       AckState = "rejected"
	AckOverdue        AckState = "overdue"
)

// Message is one outbound message.
type Message struct {
	ID uint64 `json:"id"`
	// Key, when set, makes Enqueue idempotent: a second message with the
	// same key is not stored (see EnqueueOnce).
	Key       string            `json:"key,omitempty"`
	Partner   string            `json:"partner"`
	Transport string            `json:"transport"` // sftp (pickup), sftp_push, as2, folder
	Kind      string            `json:"kind"`      // 997, 999, TA1, 846...
	Name      string            `json:"name"`      // file name at the destination
	Meta      map[string]string `json:"meta,omitempty"`
	Size      int               `json:"size"`
	Created   time.Time         `json:"created"`
	Updated   time.Time         `json:"updated"`

	State       State     `json:"state"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	Receipt     string    `json:"receipt,omitempty"`
	DeliveredAt time.Time `json:"delivered_at,omitempty"`

	// InReplyTo is the inbox message this one answers (an ack), if any.
	InReplyTo uint64 `json:"in_reply_to,omitempty"`
	// Interchange and Groups are the control numbers (ISA13, GS06) of
	// what the message carries, for matching the partner's acks.
	Interchange string   `json:"interchange,omitempty"`
	Groups      []string `json:"groups,omitempty"`

	// ConfirmBy is when a Sent message is attempted again if its
	// receipt (an asynchronous MDN) has not come; zero: never.
	ConfirmBy time.Time `json:"confirm_by,omitempty"`

	// SupersededBy is the message that replaces this one, set while this
	// one was being sent: if that attempt fails it is not retried.
	SupersededBy uint64 `json:"superseded_by,omitempty"`

	AckState AckState `json:"ack_state,omitempty"`
	// AckWithin, when set, is how long after delivery the partner's
	// acknowledgement is due: the clock starts when the message is
	// delivered (never while it waits or fails), and AckDeadline is set
	// then. A message enqueued with an AckDeadline instead keeps it.
	AckWithin   time.Duration `json:"ack_within,omitempty"`
	AckDeadline time.Time     `json:"ack_deadline,omitempty"`
	AckAt       time.Time     `json:"ack_at,omitempty"`
	AckDetail   string        `json:"ack_detail,omitempty"`
	AckMessage  uint64        `json:"ack_message,omitempty"` // inbox id of their ack
}

// Receipt is what a sender reports of a successful attempt.
type Receipt struct {
	// Text is the evidence: an MDN, a remote path, a pickup note.
	Text string
	// Pending means delivery is confirmed later (pickup, async MDN): the
	// message stays Sent until Confirm.
	Pending bool
	// ConfirmWithin, for a pending receipt, is how long the confirmation
	// may take: a message still Sent then is attempted again (an AS2
	// resend keeps its Message-ID), and counts as an attempt. Zero waits
	// for ever (an SFTP pickup).
	ConfirmWithin time.Duration
}
