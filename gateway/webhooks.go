package gateway

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/events/stream/webhooks"
	"github.com/dockside-edi/dockside/internal/stdwebhooks"
	"github.com/dockside-edi/dockside/partners"
	"github.com/dockside-edi/dockside/transports/webhook"
	webhookpg "github.com/dockside-edi/dockside/transports/webhook/postgres"
)

// webhookEndpointsFile lists the webhook endpoints disabled after a 410
// (or a long failure), in the data folder.
const webhookEndpointsFile = "webhook-endpoints.json"

// openWebhookEndpoints reads the list of disabled webhook endpoints: the
// data folder's file, or on PostgreSQL the list the nodes share.
func (g *Gateway) openWebhookEndpoints(ctx context.Context) (*webhook.Endpoints, error) {
	if g.pool == nil {
		return webhook.OpenEndpoints(filepath.Join(g.Config.Data, webhookEndpointsFile))
	}
	st, err := webhookpg.Open(ctx, g.pool)
	if err != nil {
		return nil, err
	}
	return webhook.OpenSharedEndpoints(ctx, st)
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

// WebhooksConfig are the change stream's webhook subscribers.
type WebhooksConfig struct {
	// Subscribers each get the ledger's changes as signed webhooks, one
	// POST per change event (docs/webhooks.md); none by default.
	Subscribers []WebhookSubscriberConfig `yaml:"subscribers"`
}

// WebhookSubscriberConfig is one subscriber of the change stream. Its
// secrets are read when the gateway starts.
type WebhookSubscriberConfig struct {
	// Name names the subscriber (its cursor, the dashboard, the API):
	// letters, digits, '.', '_' and '-', not beginning with "partner."
	// (partners' own subscriptions, events.webhook in their profiles).
	Name string `yaml:"name"`
	// URL is its endpoint: http:// or https://, without user or
	// password.
	URL string `yaml:"url"`
	// SecretEnv names the environment variable holding its signing
	// secret (whsec_...); give this or secret_file.
	SecretEnv string `yaml:"secret_env"`
	// SecretFile is a file holding its signing secret, relative to the
	// configuration file.
	SecretFile string `yaml:"secret_file"`
	// OldSecretEnv names the environment variable holding the secret
	// being retired during a rotation: both signatures are sent.
	OldSecretEnv string `yaml:"old_secret_env"`
	// OldSecretFile is a file holding the secret being retired, relative
	// to the configuration file.
	OldSecretFile string `yaml:"old_secret_file"`
	// Kinds keeps only these ledger movement kinds (receipt, shipment,
	// allocate, release, in_transit, adjust, damage, quarantine,
	// snapshot); empty: all.
	Kinds []string `yaml:"kinds"`
	// Locations keeps only these locations; empty: all.
	Locations []string `yaml:"locations"`
	// SKUs keeps only these SKUs (a trailing * makes a prefix); empty:
	// all.
	SKUs []string `yaml:"skus"`
	// Channels keeps only the locations these channel partners' advice
	// counts (read when the subscriber starts); empty: all.
	Channels []string `yaml:"channels"`
	// FromStart makes a new subscriber get the whole ledger from its
	// first posting; by default it gets the changes made after it first
	// ran.
	FromStart bool `yaml:"from_start"`
	// Timeout bounds one request (0: 15 s).
	Timeout time.Duration `yaml:"timeout"`
	// DisableAfter disables the subscriber after failing this long
	// without a success (0: 24 h; the first failure is kept across
	// restarts). A 410 Gone disables it at once.
	DisableAfter time.Duration `yaml:"disable_after"`
}

// check reports a subscriber's settings that cannot work (the secrets
// are read at start).
func (s *WebhookSubscriberConfig) check(i int) []error {
	var errs []error
	at := fmt.Sprintf("webhooks.subscribers[%d]", i)
	if !validSubscriberName(s.Name) {
		errs = append(errs, fmt.Errorf("%s.name: %q: want 1 to 64 letters, digits, '.', '_' or '-'", at, s.Name))
	} else if strings.HasPrefix(s.Name, partnerSubscriberPrefix) {
		errs = append(errs, fmt.Errorf("%s.name: %q: names beginning with %q are the partners' own subscriptions (events.webhook)", at, s.Name, partnerSubscriberPrefix))
	}
	if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		errs = append(errs, fmt.Errorf("%s.url: want an http:// or https:// URL without user or password", at))
	}
	if (s.SecretEnv == "") == (s.SecretFile == "") {
		errs = append(errs, fmt.Errorf("%s: give one of secret_env and secret_file", at))
	}
	if s.OldSecretEnv != "" && s.OldSecretFile != "" {
		errs = append(errs, fmt.Errorf("%s: give one of old_secret_env and old_secret_file", at))
	}
	if s.Timeout != 0 && (s.Timeout < time.Second || s.Timeout > 2*time.Minute) {
		errs = append(errs, fmt.Errorf("%s.timeout: %v: want 1s to 2m", at, s.Timeout))
	}
	if s.DisableAfter < 0 {
		errs = append(errs, fmt.Errorf("%s.disable_after: %v must not be negative", at, s.DisableAfter))
	}
	return errs
}

func validSubscriberName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// checkWebhooks reports the subscribers' settings that cannot work.
func (c *Config) checkWebhooks() []error {
	var errs []error
	seen := map[string]bool{}
	for i := range c.Webhooks.Subscribers {
		s := &c.Webhooks.Subscribers[i]
		errs = append(errs, s.check(i)...)
		if seen[s.Name] {
			errs = append(errs, fmt.Errorf("webhooks.subscribers[%d].name: %q is used twice", i, s.Name))
		}
		seen[s.Name] = true
	}
	return errs
}

// partnerSubscriberPrefix begins the name of a partner's own change
// stream subscription (its profile's events.webhook): "partner.<id>".
const partnerSubscriberPrefix = "partner."

// openSubscribers builds the change stream's webhook subscribers: the
// configuration's (their secrets are read now) and the partners' own
// (events.webhook), which follow reloads of the profiles.
func (g *Gateway) openSubscribers() (*webhooks.Manager, error) {
	cfg := g.Config.Webhooks.Subscribers
	base := "."
	if g.Config.File != "" {
		base = filepath.Dir(g.Config.File)
	}
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	var subs []webhooks.Subscriber
	for _, c := range cfg {
		cur, err := stdwebhooks.LoadSecret(c.SecretEnv, rel(c.SecretFile))
		if err != nil {
			return nil, fmt.Errorf("webhooks.subscribers %s: %w", c.Name, err)
		}
		secrets := []stdwebhooks.Secret{cur}
		if c.OldSecretEnv != "" || c.OldSecretFile != "" {
			old, err := stdwebhooks.LoadSecret(c.OldSecretEnv, rel(c.OldSecretFile))
			if err != nil {
				return nil, fmt.Errorf("webhooks.subscribers %s: old secret: %w", c.Name, err)
			}
			secrets = append(secrets, old)
		}
		subs = append(subs, webhooks.Subscriber{Name: c.Name, FromStart: c.FromStart, DisableAfter: c.DisableAfter,
			Target: webhook.Target{URL: c.URL, Secrets: secrets, Timeout: c.Timeout},
			Filter: webhooks.Filter{Kinds: c.Kinds, Locations: c.Locations, SKUs: c.SKUs, Channels: c.Channels}})
	}
	g.configSubscribers = subs
	own, err := partnerSubscribers(g.Partners())
	if err != nil {
		return nil, err
	}
	o := webhooks.Options{Ledger: g.changeSource(), Cursors: g.webhookCursors(), Endpoints: g.Webhooks,
		Channels: g.channelLocations, Log: g.log, Now: g.now}
	if g.pool != nil { // a redelivery asked on a node that does not relay waits here for the leader
		o.Redeliveries = prefixedCursors{store: g.Cursors, prefix: webhookRedeliveryPrefix}
	}
	return webhooks.New(o, append(slices.Clone(subs), own...))
}

// partnerSubscribers returns the partners' own change stream
// subscriptions (events.webhook), scoped to their own locations; their
// secrets are read now.
func partnerSubscribers(d *partners.Directory) ([]webhooks.Subscriber, error) {
	var subs []webhooks.Subscriber
	for _, p := range d.Profiles() {
		if p.Events == nil || p.Events.Webhook == nil {
			continue
		}
		w := p.Events.Webhook
		secrets, err := w.Secrets()
		if err != nil {
			return nil, fmt.Errorf("partner %s: events.webhook: %w", p.ID, err)
		}
		sc := p.ChangeScope()
		subs = append(subs, webhooks.Subscriber{Name: partnerSubscriberPrefix + p.ID, FromStart: w.FromStart, DisableAfter: w.DisableAfter,
			Target: webhook.Target{URL: w.URL, Secrets: secrets, Timeout: w.Timeout},
			Filter: webhooks.Filter{Kinds: w.Kinds, Locations: w.Locations, SKUs: w.SKUs},
			Scope:  &webhooks.Scope{Partner: p.ID, Locations: sc.Locations, Items: sc.Items}})
	}
	return subs, nil
}

// updateSubscribers gives the subscribers the partners' own subscriptions
// of d (a reload); on error nothing changes.
func (g *Gateway) updateSubscribers(d *partners.Directory) error {
	if g.subscribers == nil { // opening: openSubscribers follows
		return nil
	}
	own, err := partnerSubscribers(d)
	if err != nil {
		return err
	}
	return g.subscribers.Update(append(slices.Clone(g.configSubscribers), own...))
}

// channelLocations returns the locations a channel's advice counts.
func (g *Gateway) channelLocations(channel string) ([]string, bool) {
	p, err := g.Partners().ByID(channel)
	if err != nil || p.Advice == nil {
		return nil, false
	}
	return p.Advice.Policy.Locations, true
}

// serveWebhooks runs the webhook subscribers' relays until ctx ends. It
// runs on the leader only (Serve): in a cluster one node relays, from
// the cursors the nodes share.
func (g *Gateway) serveWebhooks(ctx context.Context) error {
	if g.subscribers == nil {
		<-ctx.Done()
		return nil
	}
	return g.subscribers.Run(ctx)
}
