package webhooks

import (
	"context"
	"fmt"
	"strings"

	"github.com/dockside-edi/dockside/transports/webhook"
)

// Operations are an operator's view and actions over every webhook
// endpoint: the subscribers of a Manager (nil: none) and the partners'
// webhooks in Endpoints. It serves the API and the dashboard.
type Operations struct {
	Manager   *Manager
	Endpoints *webhook.Endpoints
}

// Subscribers returns the subscribers' states.
func (o Operations) Subscribers(ctx context.Context) ([]Status, error) {
	if o.Manager == nil {
		return nil, nil
	}
	return o.Manager.Statuses(ctx)
}

// Disabled returns every disabled endpoint.
func (o Operations) Disabled() []webhook.EndpointState { return o.Endpoints.List("") }

// Enable enables "subscriber/<name>" (its relay resumes from its cursor)
// or "partner/<id>" (its next outbox message is sent; dead ones stay
// dead until retried or superseded).
func (o Operations) Enable(_ context.Context, endpoint string) (bool, error) {
	if name, ok := strings.CutPrefix(endpoint, "subscriber/"); ok {
		if o.Manager == nil {
			return false, fmt.Errorf("%w: %q", ErrUnknown, name)
		}
		return o.Manager.Enable(name)
	}
	return o.Endpoints.Enable(endpoint)
}

// Redeliver sends a subscriber its events again from change seq.
func (o Operations) Redeliver(ctx context.Context, subscriber string, seq uint64) error {
	if o.Manager == nil {
		return fmt.Errorf("%w: %q", ErrUnknown, subscriber)
	}
	return o.Manager.Redeliver(ctx, subscriber, seq)
}
