package outbox

import "errors"

// Sentinel errors of the outbox.
var (
	// ErrNotFound means no message has the given id.
	ErrNotFound = errors.New("outbox: message not found")
	// ErrState means the message's state does not allow the call.
	ErrState = errors.New("outbox: message in wrong state")
	// ErrNoSender means no sender is configured for a message's transport.
	ErrNoSender = errors.New("outbox: no sender for transport")
	// ErrControlExhausted means a partner's control numbers reached their
	// maximum (999999999); numbers are never reused.
	ErrControlExhausted = errors.New("outbox: control numbers exhausted")
	// ErrPermanent, wrapped by a sender's error, means another attempt
	// cannot succeed (a webhook receiver answered 410 Gone): the message
	// is dead at once, until an operator retries it.
	ErrPermanent = errors.New("outbox: permanent failure")
)
