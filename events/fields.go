package events

// Field is the definition of one field of the model: what docs/events.md
// and the JSON Schema say about it. The decoder applies the same rules.
type Field struct {
	// Name is the JSON name; data fields are "data.<name>".
	Name string
	// JSONType is the JSON Schema type: string, integer or object.
	JSONType string
	// Format is the JSON Schema format (date-time), if any.
	Format string
	// Enum lists the allowed values, if closed.
	Enum []string
	// MaxLen bounds a string, in bytes (0: no bound of its own).
	MaxLen int
	// Required lists the event types that need the field; "*" all.
	Required []Type
	// Doc says what the field is.
	Doc string
}

var all = []Type{"*"}

// Fields lists the fields of an event, envelope first.
var Fields = []Field{
	{Name: "specversion", JSONType: "string", Enum: []string{SpecVersion}, Required: all,
		Doc: `CloudEvents version: "1.0".`},
	{Name: "id", JSONType: "string", MaxLen: MaxIDLen, Required: all,
		Doc: "The event's id, unique per source. (source, id) is the idempotency key: an event posted again changes nothing and is reported as a duplicate."},
	{Name: "source", JSONType: "string", MaxLen: MaxIDLen, Required: all,
		Doc: "Who reports the event (a URI reference, e.g. urn:acme:wms). It must be the source of the partner profile the request authenticates as (events.source)."},
	{Name: "type", JSONType: "string", Enum: typeNames(), Required: all,
		Doc: "What the event reports: see Event types."},
	{Name: "time", JSONType: "string", Format: "date-time",
		Doc: "When the event happened (RFC 3339). The effective time when data.effective is absent; with neither, the time received."},
	{Name: "subject", JSONType: "string", MaxLen: MaxTextLen,
		Doc: "Free text for the partner's own routing (e.g. location/SKU); not interpreted."},
	{Name: "datacontenttype", JSONType: "string", Enum: []string{ContentType},
		Doc: `The media type of data; only "application/json".`},
	{Name: "dataschema", JSONType: "string", MaxLen: MaxTextLen,
		Doc: "URI of the data's schema; not interpreted."},
	{Name: "data", JSONType: "object", Required: all,
		Doc: "The payload (below). Fields not listed here are an error."},

	{Name: "data.sku", JSONType: "string", MaxLen: MaxTextLen,
		Doc: "Our SKU. Exactly one of sku and item is required."},
	{Name: "data.item", JSONType: "string", MaxLen: MaxTextLen,
		Doc: "The partner's item id, translated to our SKU through the profile's cross-reference (events.items.lookup)."},
	{Name: "data.location", JSONType: "string", MaxLen: MaxTextLen,
		Doc: "Our location. Exactly one of location and location_code is required."},
	{Name: "data.location_code", JSONType: "string", MaxLen: MaxTextLen,
		Doc: "The partner's location code, translated through the profile's warehouse map (events.warehouses)."},
	{Name: "data.quantity", JSONType: "integer", Required: all,
		Doc: "How many, a whole number in data.unit: positive for every type but adjustment (non-zero, either sign), in_transit (non-zero, either sign) and count (zero or more)."},
	{Name: "data.unit", JSONType: "string", MaxLen: 16,
		Doc: "The unit of quantity, converted to our base unit by the profile's units (events.units); absent: the base unit."},
	{Name: "data.effective", JSONType: "string", Format: "date-time",
		Doc: "When the change took effect, or as of when a count counts (RFC 3339); absent: time."},
	{Name: "data.expected", JSONType: "string", Format: "date-time",
		Doc: "in_transit: when the stock is due (RFC 3339); absent: undated."},
	{Name: "data.reason", JSONType: "string", MaxLen: MaxTextLen, Required: []Type{TypeAdjustment},
		Doc: "Why: required for adjustment, kept for the audit trail on every type."},
	{Name: "data.from", JSONType: "string", Enum: statusNames(), Required: []Type{TypeStatus},
		Doc: "status: the status the units leave."},
	{Name: "data.to", JSONType: "string", Enum: statusNames(), Required: []Type{TypeStatus},
		Doc: "status: the status the units enter (not from)."},
	{Name: "data.bucket", JSONType: "string", Enum: bucketNames(),
		Doc: "count: what is counted (default on_hand)."},
	{Name: "data.order", JSONType: "string", MaxLen: MaxTextLen, Required: []Type{TypeReservation, TypeRelease},
		Doc: "The order number: required for reservation and release (reservations are kept per order); on a shipment, the order whose reservation it takes."},
	{Name: "data.reference", JSONType: "string", MaxLen: MaxTextLen,
		Doc: "The partner's reference (receipt, transfer or document number), kept for the audit trail."},
}

// FieldByName returns the definition of a field ("data.quantity").
func FieldByName(name string) (Field, bool) {
	for _, f := range Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// requiredFor reports whether the field is required for events of type t.
func (f Field) requiredFor(t Type) bool {
	for _, r := range f.Required {
		if r == "*" || r == t {
			return true
		}
	}
	return false
}

func typeNames() []string {
	out := make([]string, len(Types))
	for i, t := range Types {
		out[i] = string(t)
	}
	return out
}

func statusNames() []string {
	return []string{string(StatusAvailable), string(StatusDamaged), string(StatusQuarantined)}
}

func bucketNames() []string {
	return []string{string(BucketOnHand), string(BucketDamaged), string(BucketQuarantined), string(BucketInTransit)}
}
