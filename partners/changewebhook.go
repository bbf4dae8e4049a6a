package partners

import (
	"slices"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/internal/stdwebhooks"
)

// ChangeWebhook subscribes the partner to the change stream: each ledger
// change at one of the partner's own locations (Scope) is POSTed to it as
// a signed CloudEvent (docs/webhooks.md, "A partner's own subscription").
// Only warehouse partners (3pl) and suppliers may subscribe: a channel or
// a customer is told what it may sell by its advice, never raw balances.
// References to documents, orders and messages that are not the
// partner's own are removed from its events. The secrets are read when
// the profiles are loaded (start, reload).
type ChangeWebhook struct {
	// URL is the endpoint: http:// or https://, without user or
	// password.
	URL string `yaml:"url" required:"true"`
	// SecretEnv names the environment variable holding the signing
	// secret (whsec_...); give this or secret_file.
	SecretEnv string `yaml:"secret_env"`
	// SecretFile is a file holding the signing secret, resolved against
	// the profile's folder.
	SecretFile string `yaml:"secret_file"`
	// OldSecretEnv names the environment variable holding the secret
	// being retired (a rotation): both signatures are sent.
	OldSecretEnv string `yaml:"old_secret_env"`
	// OldSecretFile is a file holding the secret being retired, resolved
	// against the profile's folder.
	OldSecretFile string `yaml:"old_secret_file"`
	// Timeout bounds one request, connecting included (default 15s, at
	// most 2m).
	Timeout time.Duration `yaml:"timeout"`
	// Kinds keeps only these ledger movement kinds (receipt, shipment,
	// allocate, release, in_transit, adjust, damage, quarantine,
	// snapshot); empty: all.
	Kinds []string `yaml:"kinds"`
	// Locations keeps only these of our locations, each one of the
	// partner's own (see Scope); empty: all of the partner's own.
	Locations []string `yaml:"locations"`
	// SKUs keeps only these SKUs (ours; a trailing * makes a prefix);
	// empty: all.
	SKUs []string `yaml:"skus"`
	// FromStart makes a new subscription get the whole ledger's changes
	// at the partner's locations from its first posting; by default it
	// gets the changes made after it first ran.
	FromStart bool `yaml:"from_start"`
	// DisableAfter disables the subscription after failing this long
	// without a success (0: 24h). A 410 Gone disables it at once.
	DisableAfter time.Duration `yaml:"disable_after"`
}

// webhook returns the endpoint part as a Webhook.
func (w *ChangeWebhook) webhook() *Webhook {
	return &Webhook{URL: w.URL, SecretEnv: w.SecretEnv, SecretFile: w.SecretFile,
		OldSecretEnv: w.OldSecretEnv, OldSecretFile: w.OldSecretFile, Timeout: w.Timeout}
}

// Secrets reads the subscription's secrets: the current one, then the
// one being retired when set. Errors never show a value.
func (w *ChangeWebhook) Secrets() ([]stdwebhooks.Secret, error) { return w.webhook().Secrets() }

func (w *ChangeWebhook) setDefaults() {
	if w.Timeout == 0 {
		w.Timeout = DefaultWebhookTimeout
	}
}

// changeKinds are the ledger's movement kinds, as change events name them.
var changeKinds = []string{"receipt", "shipment", "allocate", "release", "in_transit", "adjust", "damage", "quarantine", "snapshot"}

// ChangeScope is what a partner's change stream subscription may see: the
// positions at its own locations, with its own codes.
type ChangeScope struct {
	// Locations maps each of our locations that is the partner's own to
	// the partner's code for it ("" when it has none): the locations it
	// fulfils (fulfils.locations, with their codes) and those its
	// events' warehouse map (events.warehouses) maps its codes to.
	Locations map[string]string
	// Items maps our SKUs to the partner's item ids, from the table of
	// fulfils.items.lookup (keyed by our SKU) or else the reverse of
	// events.items (the first row naming a SKU wins); nil when neither is
	// set.
	Items map[string]string
}

// ChangeScope returns the partner's own locations and codes.
func (p *Profile) ChangeScope() ChangeScope {
	s := ChangeScope{Locations: map[string]string{}}
	if e := p.Events; e != nil && e.Warehouses != "" {
		reverseInto(s.Locations, p.Tables[e.Warehouses])
	}
	if f := p.Fulfils; f != nil {
		for ours, code := range f.Locations {
			s.Locations[ours] = code
		}
	}
	switch {
	case p.Fulfils != nil && p.Fulfils.Items.Lookup != "":
		s.Items = forward(p.Tables[p.Fulfils.Items.Lookup])
	case p.Events != nil && p.Events.Items != "":
		s.Items = map[string]string{}
		reverseInto(s.Items, p.Tables[p.Events.Items])
	}
	return s
}

// reverseInto adds value → first key of each row of t (partner code →
// ours becomes ours → partner code); the first row wins.
func reverseInto(m map[string]string, t *Table) {
	if t == nil || len(t.Keys) == 0 {
		return
	}
	key := slices.Index(t.Columns, t.Keys[0])
	if key < 0 || t.valueCol < 0 {
		return
	}
	for _, row := range t.Data {
		if key >= len(row) || t.valueCol >= len(row) || row[key] == "" || row[t.valueCol] == "" {
			continue
		}
		if _, seen := m[row[t.valueCol]]; !seen {
			m[row[t.valueCol]] = row[key]
		}
	}
}

// forward returns first key → value of each row of t.
func forward(t *Table) map[string]string {
	m := map[string]string{}
	if t == nil {
		return m
	}
	for _, idx := range t.index[:min(1, len(t.index))] {
		for id, row := range idx {
			m[id] = t.Data[row][t.valueCol]
		}
	}
	return m
}

// changeWebhook checks events.webhook.
func (c *checker) changeWebhook() {
	e := c.p.Events
	if e == nil || e.Webhook == nil {
		return
	}
	const p = "events.webhook"
	w := e.Webhook
	if c.p.Role != Role3PL && c.p.Role != RoleSupplier {
		c.failKey(p, ErrConflict, "applies to warehouse partners and suppliers only (role 3pl or supplier), not %s: a channel is told what it may sell by its advice (advice.format: json), never raw balances", c.p.Role)
		return
	}
	wh := w.webhook()
	c.webhook(wh, p, false)
	w.SecretFile, w.OldSecretFile = wh.SecretFile, wh.OldSecretFile // resolved against the profile's folder
	for i, k := range w.Kinds {
		if !slices.Contains(changeKinds, k) {
			c.failf(indexPath(keyPath(p, "kinds"), i), ErrInvalid, "%q: want one of %s", k, strings.Join(changeKinds, ", "))
		}
	}
	for i, s := range w.SKUs {
		if strings.TrimSpace(s) == "" || s == "*" {
			c.failf(indexPath(keyPath(p, "skus"), i), ErrInvalid, "%q: want a SKU or a prefix ending in *", s)
		}
	}
	if w.DisableAfter < 0 {
		c.failf(keyPath(p, "disable_after"), ErrInvalid, "%v must not be negative", w.DisableAfter)
	}
	if len(c.d.errs) > 0 {
		return // the tables may not be loaded
	}
	own := c.p.ChangeScope().Locations
	if len(own) == 0 {
		c.failKey(p, ErrRequired, "the partner has no locations of its own to subscribe to: give fulfils.locations or events.warehouses (a table mapping its codes to our locations)")
	}
	for i, l := range w.Locations {
		if _, ok := own[l]; !ok {
			c.failf(indexPath(keyPath(p, "locations"), i), ErrInvalid, "%q is not one of the partner's locations (fulfils.locations, events.warehouses)", l)
		}
	}
}
