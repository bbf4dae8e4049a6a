package gateway

import (
	"fmt"
	"path/filepath"

	"github.com/dockside-edi/dockside/transports/webhook"
)

// webhookEndpointsFile lists the webhook endpoints disabled after a 410
// (or a long failure), in the data folder.
const webhookEndpointsFile = "webhook-endpoints.json"

// openWebhookEndpoints reads the list of disabled webhook endpoints.
func openWebhookEndpoints(data string) (*webhook.Endpoints, error) {
	return webhook.OpenEndpoints(filepath.Join(data, webhookEndpointsFile))
}

// webhookSender is the outbox sender of partners' outbound webhooks.
func (g *Gateway) webhookSender() *webhook.Sender {
	return &webhook.Sender{Client: webhook.NewClient(), Target: g.webhookTarget, Endpoints: g.Webhooks, Log: g.log}
}

// webhookTarget is a partner's webhook endpoint, from its profile; the
// secrets are read now, so a rotated secret file applies at once.
func (g *Gateway) webhookTarget(partner string) (webhook.Target, error) {
	p, err := g.Partners().ByID(partner)
	if err != nil {
		return webhook.Target{}, err
	}
	for _, t := range p.Transports.Outbound {
		if w := t.Webhook; w != nil {
			secrets, err := w.Secrets()
			if err != nil {
				return webhook.Target{}, fmt.Errorf("partner %s: webhook: %w", partner, err)
			}
			return webhook.Target{URL: w.URL, Secrets: secrets, Timeout: w.Timeout}, nil
		}
	}
	return webhook.Target{}, fmt.Errorf("partner %s has no webhook transport", partner)
}
