package inbox

import "errors"

// Sentinel errors of the inbox.
var (
	// ErrNotFound means no message has the given id.
	ErrNotFound = errors.New("inbox: message not found")
	// ErrTooLarge means a received file exceeds the inbox's size limit.
	ErrTooLarge = errors.New("inbox: file too large")
	// ErrEmptyQueue means no message is waiting to be claimed.
	ErrEmptyQueue = errors.New("inbox: no message waiting")
	// ErrState means the message is not in a state that allows the call
	// (e.g. replaying a message that is done).
	ErrState = errors.New("inbox: message in wrong state")
	// ErrClosed means the store is closed.
	ErrClosed = errors.New("inbox: closed")
	// ErrKeyReused means an idempotency key (Arrival.Key) came again with
	// other bytes than the live message sent with it.
	ErrKeyReused = errors.New("inbox: idempotency key reused with other content")
	// ErrSealed means an Incoming file was handed over (Sum) or closed:
	// it takes no more writes.
	ErrSealed = errors.New("inbox: incoming file sealed")
)
