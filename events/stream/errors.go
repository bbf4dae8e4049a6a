package stream

import (
	"errors"
	"fmt"
)

// Sentinel errors.
var (
	// ErrStop, wrapped in a Sink's error, stops the subscriber's relay:
	// Run returns the error, the cursor stays where the sink's confirmed
	// events left it. A sink whose subscriber is gone for good (disabled,
	// 410 Gone) returns it rather than being retried forever.
	ErrStop = errors.New("subscriber stopped")
	// ErrShortDelivery means a Sink confirmed fewer events than it was
	// given without saying why (a nil error).
	ErrShortDelivery = errors.New("sink confirmed part of a batch without an error")
	// ErrUnknownSubscriber means a cursor store has no cursor of that
	// name.
	ErrUnknownSubscriber = errors.New("unknown subscriber")
	// ErrInvalidName means a subscriber name is empty or too long.
	ErrInvalidName = errors.New("invalid subscriber name")
	// ErrBadPosition means an event's position (change sequence and
	// index) could not be read back, e.g. from a published message's id.
	ErrBadPosition = errors.New("invalid event position")
)

// DeliveryError is a sink's failure to deliver the event at a position:
// it names the subscriber and the event, and wraps the sink's error.
type DeliveryError struct {
	// Subscriber is the relay's subscriber name.
	Subscriber string
	// EventID is the first event the sink did not confirm.
	EventID string
	// Err is the sink's error.
	Err error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("subscriber %s: event %s: %v", e.Subscriber, e.EventID, e.Err)
}

// Unwrap returns the sink's error.
func (e *DeliveryError) Unwrap() error { return e.Err }
