package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/dockside-edi/dockside/outbox"
)

// Transport is the outbox transport name of the Sender.
const Transport = "webhook"

// MetaContentType is the outbox message's Meta key naming the body's
// content type.
const MetaContentType = "content_type"

// Sender is the outbox sender of transport "webhook": it posts each
// message to its partner's endpoint, signed.
type Sender struct {
	Client *Client
	// Target finds a partner's endpoint (URL, secrets) at each attempt,
	// so a rotated secret or a new URL applies to the next one.
	Target func(partner string) (Target, error)
	// Endpoints records the endpoints a 410 disabled (required).
	Endpoints *Endpoints
	Log       *slog.Logger
}

var _ outbox.Sender = (*Sender)(nil)

// PartnerEndpoint is the Endpoints name of a partner's outbound webhook.
func PartnerEndpoint(partner string) string { return "partner/" + partner }

// MessageID is the webhook-id of an outbox message: its idempotency key
// when it has one that fits a header, else "outbox-<id>"; the same on
// every attempt.
func MessageID(m *outbox.Message) string {
	if m.Key != "" && len(m.Key) <= 200 && printableASCII(m.Key) {
		return m.Key
	}
	return "outbox-" + strconv.FormatUint(m.ID, 10)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// Send posts the message. A 2xx answer is a delivery; a 410 disables the
// partner's endpoint and kills the message (outbox.ErrPermanent); so does
// any attempt while the endpoint is disabled. Anything else is retried
// by the outbox.
func (s *Sender) Send(ctx context.Context, m *outbox.Message, body []byte) (outbox.Receipt, error) {
	t, err := s.Target(m.Partner)
	if err != nil {
		return outbox.Receipt{}, fmt.Errorf("webhook to %s: %w", m.Partner, err)
	}
	name := PartnerEndpoint(m.Partner)
	if st, off := s.Endpoints.Disabled(name, t.URL); off {
		return outbox.Receipt{}, fmt.Errorf("%w since %s (%s); enable it again once the receiver is back: %w",
			ErrDisabled, st.Since.Format(time.RFC3339), st.Reason, outbox.ErrPermanent)
	}
	client := s.Client
	if client == nil {
		client = NewClient()
	}
	status, err := client.Post(ctx, t, Request{ID: MessageID(m), ContentType: m.Meta[MetaContentType], Body: body})
	if errors.Is(err, ErrGone) {
		first, derr := s.Endpoints.Disable(name, t.URL, "410 Gone", time.Now())
		if derr != nil {
			return outbox.Receipt{}, errors.Join(err, derr)
		}
		if first && s.Log != nil {
			s.Log.Warn("webhook endpoint disabled: the receiver answered 410 Gone; nothing more is sent until an operator enables it",
				"endpoint", name, "url", redact(t.URL), "message", m.ID)
		}
		return outbox.Receipt{}, fmt.Errorf("%w: %w", err, outbox.ErrPermanent)
	}
	if err != nil {
		return outbox.Receipt{}, err
	}
	return outbox.Receipt{Text: fmt.Sprintf("HTTP %d from %s (webhook-id %s)", status, redact(t.URL), MessageID(m))}, nil
}
