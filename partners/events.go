package partners

import (
	"encoding/hex"
	"strings"
)

// Events is how a partner reports stock changes as inventory events
// (docs/events.md): who it posts as, with which token, and how its item
// ids, location codes and units map to ours.
type Events struct {
	// Source is the CloudEvents source the partner posts as (e.g.
	// urn:acme:wms): an event whose source differs is refused. Unique
	// across profiles; 1 to 256 printable characters.
	Source string `yaml:"source" required:"true"`
	// TokenSHA256 is the hex SHA-256 (64 lower-case hex digits) of the
	// bearer token the partner posts with to POST /api/v1/events (make
	// one with `openssl rand -base64 32` and hash it with
	// `sha256sum`); the token itself is never stored. Empty: the
	// partner cannot post over HTTP. Unique across profiles.
	TokenSHA256 string `yaml:"token_sha256"`
	// OnError says what happens to a batch with some bad events: reject
	// (default) posts nothing of it, post_good posts the good events and
	// reports the bad ones.
	OnError OnError `yaml:"on_error"`
	// Items names a table translating the partner's item ids (data.item)
	// to our SKUs; empty: data.item is our SKU. data.sku is always ours.
	Items string `yaml:"items"`
	// Warehouses names a table mapping the partner's location codes
	// (data.location_code) to our locations; empty: the codes are our
	// locations. data.location is always ours.
	Warehouses string `yaml:"warehouses"`
	// Units converts the partner's units (data.unit) to ours.
	Units Units `yaml:"units"`
	// NATS subscribes a durable pull consumer to the partner's events on
	// a NATS JetStream stream (the gateway's nats.url); nil for none.
	NATS *EventsNATS `yaml:"nats"`
	// Webhook subscribes the partner to the change stream at its own
	// locations, as signed webhooks (docs/webhooks.md); nil for none.
	// The section's source is required with it too.
	Webhook *ChangeWebhook `yaml:"webhook"`
}

// EventsNATS is where a partner's events are read from NATS JetStream:
// one event (a JSON object) per message, acknowledged once its movements
// are committed to the ledger; a bad event is terminated and kept as a
// failed message with its error.
type EventsNATS struct {
	// Stream is the JetStream stream holding the events (it must exist).
	Stream string `yaml:"stream" required:"true"`
	// Subject is the subject filter of the consumer (e.g.
	// acme.inventory.>); only the partner's events may be published
	// there.
	Subject string `yaml:"subject" required:"true"`
	// Durable is the consumer's durable name (default dockside-<id>): the
	// gateway resumes where it stopped after a restart.
	Durable string `yaml:"durable"`
}

func (e *Events) setDefaults() {
	if e.OnError == "" {
		e.OnError = OnErrorReject
	}
}

// Document returns the events mapping as a document mapping (items,
// warehouses, units, on_error), for the mapper's lookups. Its type is
// "events", which no documents entry can have.
func (e *Events) Document() *Document {
	return &Document{Type: "events", OnError: e.OnError,
		Mapping: Mapping{Items: Items{Lookup: e.Items}, Warehouses: e.Warehouses, Units: e.Units}}
}

func (c *checker) events() {
	e := c.p.Events
	if e == nil {
		return
	}
	if e.Source != "" && !printable(e.Source, 256) {
		c.failf("events.source", ErrInvalid, "%q: want 1 to 256 printable characters without surrounding spaces", e.Source)
	}
	if h := e.TokenSHA256; h != "" {
		if _, err := hex.DecodeString(h); err != nil || len(h) != 64 || strings.ToLower(h) != h {
			c.failf("events.token_sha256", ErrInvalid, "want the 64 lower-case hex digits of the token's SHA-256 (never the token itself)")
		}
	}
	c.tableRef("events.items", e.Items)
	c.tableRef("events.warehouses", e.Warehouses)
	c.units(&e.Units, "events.units")
	if n := e.NATS; n != nil {
		if n.Durable == "" {
			n.Durable = "dockside-" + c.p.ID
		}
		for _, f := range []struct{ path, v string }{{"events.nats.stream", n.Stream}, {"events.nats.durable", n.Durable}} {
			if f.v != "" && !natsName(f.v) {
				c.failf(f.path, ErrInvalid, "%q: want letters, digits, '-' or '_' (a JetStream name)", f.v)
			}
		}
		if n.Subject != "" && (strings.ContainsAny(n.Subject, " \t\r\n") || strings.HasPrefix(n.Subject, ".") || strings.HasSuffix(n.Subject, ".")) {
			c.failf("events.nats.subject", ErrInvalid, "%q is not a NATS subject", n.Subject)
		}
	}
}

// natsName reports whether s can name a stream or consumer.
func natsName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
