package events

import (
	"fmt"
	"strings"

	"github.com/dockside-edi/dockside/events/stream"
)

// Markdown returns docs/events.md, built from Types and Fields, and the
// change stream's section from package stream.
func Markdown() []byte {
	var b strings.Builder
	b.WriteString(`# Inventory events

<!-- Generated from the definitions of package events (go test ./events -run TestEventsDocs -update). Do not edit. -->

Partners and systems report stock changes to Dockside as **inventory events**: one JSON model in a
[CloudEvents 1.0](https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md) envelope.
The JSON Schema of one event is served at ` + "`GET " + SchemaID + "`" + `.

A body holds one event (a JSON object) or a batch (a JSON array of events, the CloudEvents JSON batch
format; at most 10,000 events unless the gateway is configured otherwise).

**(source, id) is the idempotency key**: an event posted again changes nothing and is reported as a
duplicate. A source is a partner's: the partner profile's ` + "`events.source`" + `, and only that
partner's token may post events from it.

## Example

` + "```json" + `
{
  "specversion": "1.0",
  "id": "rcv-20261205-0001",
  "source": "urn:acme:wms",
  "type": "dockside.inventory.receipt",
  "time": "2026-12-05T09:30:00Z",
  "subject": "DAL/SKU-1001",
  "data": {"item": "ACME-77", "location_code": "D1", "quantity": 2, "unit": "CA", "reference": "PO-8812"}
}
` + "```" + `

## Event types

| type | what it does to the ledger |
|---|---|
`)
	for _, t := range Types {
		fmt.Fprintf(&b, "| `%s` | %s |\n", t, typeDocs[t])
	}
	b.WriteString(`
## Fields

| field | type | required | description |
|---|---|---|---|
`)
	for _, f := range Fields {
		typ := f.JSONType
		if f.Format != "" {
			typ += " (" + f.Format + ")"
		}
		if len(f.Enum) > 0 && len(f.Enum) <= 4 {
			typ += ": " + "`" + strings.Join(f.Enum, "`, `") + "`"
		}
		if f.MaxLen > 0 {
			typ += fmt.Sprintf(", ≤ %d bytes", f.MaxLen)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.Name, typ, requiredText(f), f.Doc)
	}
	b.WriteString(`
Attributes of the envelope not listed are CloudEvents extensions: accepted and ignored. Fields of ` + "`data`" + `
not listed are an error. A field a type does not use (` + "`from`/`to`" + ` outside status, ` + "`bucket`" + ` outside
count, ` + "`expected`" + ` outside in_transit and count, ` + "`order`" + ` outside shipment, reservation and release)
is an error rather than ignored.

## Errors

Every problem names the JSON path of its field: ` + "`events[3].data.quantity: must be a positive integer`" + ` in a
batch, ` + "`data.quantity: ...`" + ` for a single event, no path for the body as a whole (not JSON, an empty or too
large batch). The HTTP API answers 422 with the list; see the HTTP section below.

| class | meaning |
|---|---|
`)
	for _, e := range sentinelDocs {
		fmt.Fprintf(&b, "| `%s` | %s |\n", e.code, e.doc)
	}
	b.WriteString(httpDocs)
	b.Write(stream.Markdown())
	return []byte(b.String())
}

func requiredText(f Field) string {
	if len(f.Required) == 0 {
		return ""
	}
	if f.Required[0] == "*" {
		return "yes"
	}
	parts := make([]string, len(f.Required))
	for i, t := range f.Required {
		parts[i] = t.Kind()
	}
	return strings.Join(parts, ", ")
}

// typeDocs says what each type does to the ledger.
var typeDocs = map[Type]string{
	TypeReceipt:     "receipt: adds `quantity` to on hand.",
	TypeShipment:    "shipment: takes `quantity` off on hand, and off `order`'s reservation when given.",
	TypeAdjustment:  "adjust: adds `quantity` (either sign) to on hand; `reason` required.",
	TypeStatus:      "moves `quantity` between available, damaged and quarantined (`from` → `to`); on hand does not change (damaged → quarantined is two movements).",
	TypeTransferOut: "shipment without an order: the stock leaves the location.",
	TypeTransferIn:  "receipt that also takes up to `quantity` off the location's in-transit stock.",
	TypeInTransit:   "in_transit: `quantity` (either sign) expected at the location, due at `expected`.",
	TypeCount:       "snapshot: an absolute count of `bucket` as of the effective time; movements effective before it are absorbed, an older count is recorded as stale.",
	TypeReservation: "allocate: reserves `quantity` for `order`.",
	TypeRelease:     "release: frees up to `quantity` of `order`'s reservation.",
}

// sentinelDocs documents the error classes, in errors.go order.
var sentinelDocs = []struct{ code, doc string }{
	{"syntax", ErrSyntax.Error() + ": the body is not JSON (line, column and byte offset given)."},
	{"required", ErrRequired.Error() + "."},
	{"type", ErrType.Error() + ": text for a number, a fraction for a whole number, an array for an object."},
	{"invalid", ErrInvalid.Error() + ": range, format, length or allowed values."},
	{"unknown_field", ErrUnknownField.Error() + " in `data`."},
	{"conflict", ErrConflict.Error() + ": `sku` and `item`, or a field the type does not use."},
	{"too_many", ErrTooMany.Error() + " in one batch."},
}

// Code returns the error class of a problem ("required", "type"...), as
// the API reports it.
func Code(err error) string {
	for i, s := range sentinels {
		if errorsIs(err, s) {
			return sentinelDocs[i].code
		}
	}
	return ""
}

var sentinels = []error{ErrSyntax, ErrRequired, ErrType, ErrInvalid, ErrUnknownField, ErrConflict, ErrTooMany}

const httpDocs = `
## HTTP intake

` + "`POST /api/v1/events`" + ` with ` + "`Authorization: Bearer <token>`" + `, where the token is the partner's (its SHA-256 is the
profile's ` + "`events.token_sha256`" + `): a token posts only as its partner, and only events whose ` + "`source`" + ` is the
profile's ` + "`events.source`" + `. The body is one event or a batch (` + "`Content-Type: application/json`" + ` or
` + "`application/cloudevents+json`" + ` / ` + "`application/cloudevents-batch+json`" + `).

Each accepted request lands in the inbox first, as a message of the partner (transport ` + "`http`" + `, kind
` + "`events`" + `), and is processed like a file: failed requests can be replayed from the dashboard or the API,
and they count in the metrics as files do.

| status | when | body |
|---|---|---|
| 200 | processed | ` + "`{message, state, events, posted, duplicates, stale, rejected, errors}`" + `: ` + "`posted`" + ` counts ledger movements, ` + "`duplicates`" + ` the events posted before (same source and id) |
| 202 | still processing when the request's wait ended | ` + "`{message, state}`" + `: see ` + "`GET /api/v1/messages/{id}`" + ` |
| 401 | no token, or not a partner's events token | error |
| 409 | an ` + "`Idempotency-Key`" + ` whose first request is still in flight | error |
| 413 | body over the size limit | error |
| 422 | bad events: nothing posted unless the profile says ` + "`events.on_error: post_good`" + ` (then 200 with the bad events in ` + "`errors`" + ` and the message failed, so that a replay after a profile fix posts the rest); or an ` + "`Idempotency-Key`" + ` reused with another body | ` + "`{error, errors: [{field, code, message}]}`" + ` |

` + "`Idempotency-Key`" + ` (optional, IETF draft-ietf-httpapi-idempotency-key-header): a retried request with the same key
and body gets the first request's outcome again; the same key with another body is 422, and 409 while the first is
in flight. The key is kept with the message (as long as the inbox keeps it). Retrying without a key is safe too:
events already posted are reported as duplicates.

Besides the classes above, a problem the partner's profile finds has code ` + "`unknown`" + ` (an item id or location
code its cross-reference or warehouse map does not list: ` + "`events[1].data.item: \"AC-9999\": not found in table \"acme_items\"`" + `)
or ` + "`invalid`" + ` (a unit without a conversion, a quantity out of range once converted, a ` + "`source`" + ` that is not the
partner's).
`
