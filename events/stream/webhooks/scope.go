package webhooks

import "github.com/dockside-edi/dockside/events/stream"

// Scope confines a partner's own subscription to the partner's data:
// only positions at its own locations, and no reference to a document,
// order or message that is not its own.
//
// A movement is the partner's own when its reference names the partner
// (data.partner, which the ledger sets from the profile whose message
// posted it). For any other movement, data.partner, data.document_type,
// data.document, data.order and data.reason are removed. The ledger
// counters (id, data.change, data.index, data.count, data.sequence) stay:
// deduplication and ordering rest on them; they tell how busy the ledger
// is, never whose a change is. The balance is the position's, at the
// partner's own location.
type Scope struct {
	// Partner is the partner's id.
	Partner string
	// Locations maps each of our locations the partner may see to its
	// code for it ("" for none: data.location_code is then absent).
	Locations map[string]string
	// Items maps our SKUs to the partner's item ids (data.item); nil or
	// missing: absent.
	Items map[string]string
}

// Keeps reports whether the event is at one of the partner's locations.
func (s *Scope) Keeps(e *stream.Event) bool {
	_, ok := s.Locations[e.Data.Location]
	return ok
}

// Apply returns the event as the partner may see it.
func (s *Scope) Apply(e stream.Event) stream.Event {
	d := &e.Data
	if d.Partner != s.Partner || s.Partner == "" {
		d.Partner, d.DocumentType, d.Document, d.Order, d.Reason = "", "", "", "", ""
	}
	d.LocationCode = s.Locations[d.Location]
	d.Item = s.Items[d.SKU]
	return e
}
