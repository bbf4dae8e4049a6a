package stream

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/ledger"
)

// Field documents one JSON field of a change event.
type Field struct {
	// Name is the field's JSON path ("data.balance.on_hand").
	Name string
	// Type is its JSON type.
	Type string
	// Doc says what it holds.
	Doc string
}

// Fields documents every field of a change event, in documentation
// order.
var Fields = []Field{
	{"specversion", "string", "CloudEvents version: \"1.0\"."},
	{"id", "string", "`<change>-<index>`: the posting's change sequence and the movement's place in it. The same on every delivery of the movement: (source, id) is the key to deduplicate on."},
	{"source", "string", "The gateway (`events.source`, default `" + DefaultSource + "`)."},
	{"type", "string", "`" + TypePrefix + "<kind>`: see the types above."},
	{"time", "string (date-time)", "When the ledger recorded the posting."},
	{"subject", "string", "`<location>/<sku>`."},
	{"datacontenttype", "string", "`application/json`."},
	{"data", "object", "The change (below)."},
	{"data.change", "integer", "The ledger change sequence of the posting: gap-free and increasing; every event of a posting has the same."},
	{"data.index", "integer", "The movement's place in its posting, from 0."},
	{"data.count", "integer", "How many movements (events) the posting has: a consumer that wants whole postings waits for index count−1."},
	{"data.sequence", "integer", "The per-SKU sequence: it increases with every change of the SKU at the location. Keep the highest applied per (location, SKU) and drop an event whose sequence is not higher: it is stale or a duplicate. (It is the ledger's movement id, so it also increases across SKUs and has gaps per SKU; it names the movement in the history API.)"},
	{"data.sku", "string", "Our SKU."},
	{"data.location", "string", "Our location."},
	{"data.kind", "string", "The ledger movement kind: " + kindList() + "."},
	{"data.quantity", "integer", "The movement's quantity as posted, in the item's base unit (a snapshot's count)."},
	{"data.bucket", "string", "What a snapshot counts: on_hand, allocated, in_transit, damaged or quarantined; absent for other kinds."},
	{"data.delta", "object", "What the movement changed, per bucket (figures below; `available` is the change of available)."},
	{"data.balance", "object", "The position's balance right after the movement: absolute figures. A consumer that applies `balance` needs no earlier event."},
	{"data.effective", "string (date-time)", "When the movement happened (it may be earlier than `time`)."},
	{"data.expected", "string (date-time)", "The due date of in-transit stock; absent when undated."},
	{"data.reason", "string", "Why (adjustments)."},
	{"data.order", "string", "The order of a reservation, release or shipment."},
	{"data.partner", "string", "The trading partner the movement comes from."},
	{"data.document_type", "string", "What it came in as (846, 944, csv, events, ...)."},
	{"data.document", "string", "The ledger's key of the posted document. A partner's own subscription gets `partner`, `document_type`, `document`, `order` and `reason` only for movements of the partner's own documents: see webhooks.md."},
	{"data.item", "string", "A partner's own subscription only: the SKU as the partner's item id, when its profile's cross-reference has it."},
	{"data.location_code", "string", "A partner's own subscription only: the location as the partner's code, when its profile has one."},
	{"data.stale", "boolean", "A snapshot older than one already applied: recorded, nothing changed (delta zero)."},
	{"data.absorbed", "boolean", "A movement a later snapshot had already counted: its change to that bucket is zero in delta."},
	{"…on_hand", "integer", "Physically present."},
	{"…allocated", "integer", "Reserved for orders."},
	{"…in_transit", "integer", "Expected, not yet received."},
	{"…damaged", "integer", "Present, not sellable: damaged."},
	{"…quarantined", "integer", "Present, not sellable: on hold."},
	{"…available", "integer", "Available to promise: on_hand − allocated − damaged − quarantined; negative is an oversell, reported as is."},
}

func kindList() string {
	var names []string
	for k := ledger.KindReceipt; k.Valid(); k++ {
		names = append(names, k.String())
	}
	return strings.Join(names, ", ")
}

// ExampleEvent is the event docs/events.md shows.
func ExampleEvent() Event {
	ch := ledger.Change{Seq: 4182, Document: "acme-3pl|events|urn:acme:wms|rcv-20261205-0001", Recorded: time.Date(2026, 12, 5, 9, 30, 1, 0, time.UTC),
		Movements: []ledger.Movement{{ID: 90311, SKU: "SKU-1001", Location: "DAL", Kind: ledger.KindReceipt, Quantity: 24,
			Effective: time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC), Reference: ledger.Reference{Partner: "acme-3pl", DocumentType: "events"},
			Delta: ledger.Quantities{OnHand: 24}}}}
	return newEvent(DefaultSource, &ch, 0, ledger.Quantities{OnHand: 130, Allocated: 12, Damaged: 2})
}

// Markdown returns the change stream's section of docs/events.md.
func Markdown() []byte {
	var b strings.Builder
	ex := ExampleEvent()
	js, _ := json.MarshalIndent(&ex, "", "  ")
	b.WriteString(`
## Change stream (out)

Every ledger posting goes out as **change events**, one per movement, in ledger order, to each subscriber
(NATS JetStream below; webhooks). The ledger's change log is the durable outbox: each subscriber has a
cursor, the change sequence up to which its deliveries were confirmed, and after a restart, a crash or a
failure it is delivered again from there. Delivery is **at least once, in order, never skipping**:
deduplicate on (source, id), and drop an event whose ` + "`data.sequence`" + ` is not above the highest you
applied for its (location, SKU) (a redelivery after a failure can repeat events you already have).
A subscriber's first start begins after the latest posting, unless it is configured to start at the
beginning of the ledger. Events carry absolute figures (` + "`data.balance`" + `) as well as the change
(` + "`data.delta`" + `), so applying the latest event of a position is enough.

` + "```json\n")
	b.Write(js)
	b.WriteString("\n```\n\n| type | the movement |\n|---|---|\n")
	for k := ledger.KindReceipt; k.Valid(); k++ {
		fmt.Fprintf(&b, "| `%s%s` | %s |\n", TypePrefix, k, kindDocs[k])
	}
	b.WriteString("\n| field | type | description |\n|---|---|---|\n")
	for _, f := range Fields {
		name := "`" + f.Name + "`"
		if bucket, ok := strings.CutPrefix(f.Name, "…"); ok {
			name = "`data.delta." + bucket + "`, `data.balance." + bucket + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", name, f.Type, f.Doc)
	}
	b.WriteString(natsDocs)
	return []byte(b.String())
}

// kindDocs says what each movement kind is, for the types table.
var kindDocs = map[ledger.Kind]string{
	ledger.KindReceipt:    "stock received: adds to on hand (an expected receipt also takes in transit down).",
	ledger.KindShipment:   "stock shipped: takes off on hand, and off the order's allocation.",
	ledger.KindAllocate:   "a reservation for `data.order`.",
	ledger.KindRelease:    "a reservation freed.",
	ledger.KindInTransit:  "stock expected (either sign), due at `data.expected`.",
	ledger.KindAdjust:     "a correction of on hand (either sign), with `data.reason`.",
	ledger.KindDamage:     "units moved between available and damaged.",
	ledger.KindQuarantine: "units moved between available and quarantined.",
	ledger.KindSnapshot:   "an absolute count of `data.bucket` as of `data.effective`; the delta is what it corrected.",
}

const natsDocs = `
### NATS JetStream

With ` + "`events.publish.nats.url`" + ` set, the gateway publishes every change event to JetStream
(configuration: [configuration.md](configuration.md#eventspublishnats)):

- **Subject** ` + "`<prefix>.<kind>.<location>.<sku>`" + `, prefix ` + "`events.publish.nats.subject`" + ` (default
  ` + "`" + DefaultNATSPrefix + "`" + `), e.g. ` + "`dockside.changes.receipt.DAL.SKU-1001`" + `. Subscribe to
  ` + "`dockside.changes.*.DAL.>`" + ` for a location, ` + "`dockside.changes.*.*.SKU-1001`" + ` for a SKU.
- **Escaping**: in the location, SKU and kind tokens, ASCII letters, digits, ` + "`-`" + ` and ` + "`_`" + ` stay; every other byte
  (` + "`.`" + `, ` + "`*`" + `, ` + "`>`" + `, ` + "`%`" + `, space, each byte of a non-ASCII character) is written ` + "`%XX`" + ` in upper-case hex:
  SKU ` + "`SKU.1/A`" + ` is the token ` + "`SKU%2E1%2FA`" + `. An empty value is ` + "`%`" + `. A token longer than 128 bytes once escaped
  is ` + "`~`" + ` and the first 32 hex digits of the SHA-256 of the value (the event's data has the value itself).
- **Body** the event as above (structured mode, ` + "`Content-Type: application/cloudevents+json`" + `).
- **` + "`Nats-Msg-Id`" + `** ` + "`<prefix>:<event id>`" + `: a retry is dropped by the server as a duplicate within the stream's
  duplicate window. The window (2 minutes by default) is not relied on: at start and after any failed publish
  the gateway reads the stream's messages under its prefix back, from the last one to the first before its
  cursor (at most 10,000), and skips the events already stored. An event counts as delivered, and the cursor
  moves past it, only once the server has acknowledged it.
- **Stream** ` + "`events.publish.nats.stream`" + ` (default ` + "`" + DefaultNATSStream + "`" + `), created over ` + "`<prefix>.>`" + `
  with file storage when it does not exist; an existing stream must capture ` + "`<prefix>.>`" + ` (the gateway says so and
  retries otherwise). Its messages under the prefix must be this gateway's only.
- **Order**: events are published in ledger order. After a failed publish, an event can be stored after a
  later one of the same batch; ` + "`data.sequence`" + ` puts it right. A replay on purpose (an operator sets the
  cursor back) skips what it finds among the stream's last 10,000 messages and publishes the rest again: for
  a full replay, use a new stream or prefix.
`
