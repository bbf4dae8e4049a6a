package stream

import "context"

// Sink is where a subscriber's events go: a NATS stream, a webhook, a
// test's slice.
type Sink interface {
	// Deliver hands events to the subscriber, in order, and returns how
	// many of them, from the first, the subscriber has confirmed (stored,
	// acknowledged): the relay moves the subscriber's cursor past those
	// only. n < len(events) comes with an error saying why the rest was
	// not; the relay delivers the rest again after a backoff (an error
	// wrapping ErrStop stops the relay instead). Deliver may be called
	// again with events it already confirmed once (after a crash): they
	// carry the same ids. Deliver must not keep events after it returns.
	Deliver(ctx context.Context, events []Event) (n int, err error)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, events []Event) (int, error)

// Deliver calls f.
func (f SinkFunc) Deliver(ctx context.Context, events []Event) (int, error) { return f(ctx, events) }

var _ Sink = SinkFunc(nil)
