// Package events is Dockside's canonical inventory event: one JSON model
// in a CloudEvents 1.0 envelope (id, source, specversion, type, time,
// subject, data), its decoder and validation, its documentation
// (docs/events.md) and its JSON Schema.
//
// A request or stream message holds one event (a JSON object) or a batch
// (a JSON array of events, the CloudEvents JSON batch format). Decode
// reads either and validates every event on its own: a bad event is a
// *FieldError naming the JSON path of the field (events[3].data.quantity)
// and wrapping one of the sentinels of errors.go, and the good events are
// returned beside the bad ones, so that the caller can reject the whole
// batch or keep the good events as the partner's profile says.
//
// The event names the partner's view of the stock: our SKU or the
// partner's item id, our location or the partner's location code, a
// quantity in a unit. Turning it into ledger movements needs the
// partner's profile (cross-references, warehouse map, units) and is done
// by package mapping. (source, id) identifies an event: the ledger keeps
// the movements of an event under it, so an event posted again changes
// nothing and is reported as a duplicate.
//
// The change stream out (ledger postings as events) is package
// events/stream; this package imports it only to include its section in
// docs/events.md, and nothing else of Dockside's.
package events
