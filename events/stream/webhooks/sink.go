package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/transports/webhook"
)

// Sink posts change events to one subscriber, one signed request per
// event, in order. It is a stream.Sink.
type Sink struct {
	name     string
	target   webhook.Target
	client   *webhook.Client
	eps      *webhook.Endpoints
	log      *slog.Logger
	now      func() time.Time
	disAfter time.Duration

	// wait sleeps d or until ctx ends (a Retry-After); nil: a timer.
	wait func(ctx context.Context, d time.Duration)

	mu      sync.Mutex
	clockOn bool // a failure clock may be running (Endpoints.Failing)
}

// MaxRetryAfter caps how long a receiver's Retry-After holds its
// subscriber back before the next attempt.
const MaxRetryAfter = 5 * time.Minute

var _ stream.Sink = (*Sink)(nil)

// Endpoint is the Endpoints name of subscriber name.
func Endpoint(name string) string { return "subscriber/" + name }

// ContentType is the media type of each request's body: one CloudEvent
// in structured mode.
const ContentType = "application/cloudevents+json"

// Deliver posts the events one by one and returns how many the
// subscriber accepted (2xx). A 410, or failures without a success for
// longer than DisableAfter, disable the subscriber and stop its relay
// (stream.ErrStop).
func (s *Sink) Deliver(ctx context.Context, events []stream.Event) (int, error) {
	for i := range events {
		body, err := events[i].Marshal()
		if err != nil {
			return i, err
		}
		_, err = s.client.Post(ctx, s.target, webhook.Request{ID: events[i].ID, ContentType: ContentType, Body: body})
		if err != nil {
			if ctx.Err() != nil { // stopping (shutdown, an operator's action): not the receiver's failure
				return i, err
			}
			err = s.failed(err)
			s.honourRetryAfter(ctx, err)
			return i, err
		}
		if err := s.succeeded(); err != nil {
			return i + 1, err
		}
	}
	return len(events), nil
}

// succeeded stops the failure clock after the first success.
func (s *Sink) succeeded() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.clockOn {
		return nil
	}
	if err := s.eps.Succeeded(Endpoint(s.name)); err != nil {
		return err
	}
	s.clockOn = false
	return nil
}

// failed decides whether a failure disables the subscriber.
func (s *Sink) failed(cause error) error {
	now := s.now()
	s.mu.Lock()
	s.clockOn = true
	s.mu.Unlock()
	since, err := s.eps.Failing(Endpoint(s.name), now)
	if err != nil {
		return errors.Join(cause, err)
	}
	reason := ""
	switch {
	case errors.Is(cause, webhook.ErrGone):
		reason = "410 Gone"
	case s.disAfter > 0 && now.Sub(since) >= s.disAfter:
		reason = fmt.Sprintf("failing since %s (disable_after %s)", since.UTC().Format(time.RFC3339), s.disAfter)
	default:
		return cause
	}
	first, err := s.eps.Disable(Endpoint(s.name), s.target.URL, reason, now)
	if err != nil {
		return errors.Join(cause, err)
	}
	if first {
		s.log.Warn("webhook subscriber disabled: nothing more is sent until an operator enables it or redelivers",
			"subscriber", s.name, "reason", reason, "err", cause)
	}
	return fmt.Errorf("%w (%s): %w", cause, reason, stream.ErrStop)
}

// honourRetryAfter waits as long as the receiver asked (429, 503) before
// the relay's own backoff, at most MaxRetryAfter; only this subscriber
// waits.
func (s *Sink) honourRetryAfter(ctx context.Context, err error) {
	var se *webhook.StatusError
	if errors.Is(err, stream.ErrStop) || !errors.As(err, &se) || se.RetryAfter <= 0 {
		return
	}
	d := min(se.RetryAfter, MaxRetryAfter)
	if s.wait != nil {
		s.wait(ctx, d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
