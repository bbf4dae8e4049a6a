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
}
