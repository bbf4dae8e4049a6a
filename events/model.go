package events

import "time"

// SpecVersion is the CloudEvents version of the envelope.
const SpecVersion = "1.0"

// ContentType is the media type of an event's data.
const ContentType = "application/json"

// Type is what an event reports: one of the Type constants.
type Type string

// Event types. The prefix says the model; the last part the kind.
const (
	// TypeReceipt: stock received at the location (adds to on hand).
	TypeReceipt Type = "dockside.inventory.receipt"
	// TypeShipment: stock shipped from the location (takes off on hand,
	// and off the order's reservation when data.order is set).
	TypeShipment Type = "dockside.inventory.shipment"
	// TypeAdjustment: a correction of on hand by data.quantity (either
	// sign), with data.reason.
	TypeAdjustment Type = "dockside.inventory.adjustment"
	// TypeStatus: data.quantity units move between statuses (data.from →
	// data.to: available, damaged, quarantined); on hand does not change.
	TypeStatus Type = "dockside.inventory.status"
	// TypeTransferOut: stock leaves the location for another one.
	TypeTransferOut Type = "dockside.inventory.transfer_out"
	// TypeTransferIn: transferred stock arrives at the location (also
	// takes it off what is in transit there).
	TypeTransferIn Type = "dockside.inventory.transfer_in"
	// TypeInTransit: stock expected at the location (due at
	// data.expected); a negative quantity takes expected stock back.
	TypeInTransit Type = "dockside.inventory.in_transit"
	// TypeCount: an absolute count of data.bucket (default on_hand) at the
	// location as of the effective time: a snapshot, not a change.
	TypeCount Type = "dockside.inventory.count"
	// TypeReservation: data.quantity units reserved for data.order.
	TypeReservation Type = "dockside.inventory.reservation"
	// TypeRelease: data.quantity units of data.order's reservation freed.
	TypeRelease Type = "dockside.inventory.release"
)

// Types lists the event types in documentation order.
var Types = []Type{TypeReceipt, TypeShipment, TypeAdjustment, TypeStatus, TypeTransferOut, TypeTransferIn,
	TypeInTransit, TypeCount, TypeReservation, TypeRelease}

// Valid reports whether t is one of the Type constants.
func (t Type) Valid() bool {
	for _, v := range Types {
		if t == v {
			return true
		}
	}
	return false
}

// Status is where units stand within on hand (TypeStatus).
type Status string

// Statuses of a status move.
const (
	StatusAvailable   Status = "available"
	StatusDamaged     Status = "damaged"
	StatusQuarantined Status = "quarantined"
)

// Bucket is what a count counts (TypeCount).
type Bucket string

// Buckets a count may count.
const (
	BucketOnHand      Bucket = "on_hand"
	BucketDamaged     Bucket = "damaged"
	BucketQuarantined Bucket = "quarantined"
	BucketInTransit   Bucket = "in_transit"
)

// Limits on one event and one batch.
const (
	// MaxIDLen bounds id and source, in bytes.
	MaxIDLen = 256
	// MaxTextLen bounds the other text fields, in bytes.
	MaxTextLen = 1024
	// MaxQuantity bounds a quantity (the ledger's bound).
	MaxQuantity = 1_000_000_000_000_000
	// DefaultMaxBatch is the most events one batch may hold unless the
	// caller sets another bound.
	DefaultMaxBatch = 10_000
)

// Event is one valid canonical inventory event.
type Event struct {
	// Index is the event's position in its batch (0 for a single event).
	Index int
	// Path is where the event is in its body ("events[3]", or "" for a
	// single event): the prefix of its fields' paths.
	Path string

	SpecVersion string
	ID          string
	Source      string
	Type        Type
	Time        time.Time // zero when not given
	Subject     string
	Data        Data
}

// Data is the payload of an event: what moved, where, how much.
type Data struct {
	SKU          string
	Item         string
	Location     string
	LocationCode string
	Quantity     int64
	Unit         string
	Effective    time.Time // zero when not given
	Expected     time.Time // zero when not given
	Reason       string
	From, To     Status
	Bucket       Bucket
	Order        string
	Reference    string
}

// FieldPath returns the JSON path of a field of the event ("events[3].data.sku").
func (e *Event) FieldPath(field string) string { return join(e.Path, field) }

// EffectiveTime is when the event took effect: data.effective, else the
// envelope's time, else zero (the caller uses the time received).
func (e *Event) EffectiveTime() time.Time {
	if !e.Data.Effective.IsZero() {
		return e.Data.Effective
	}
	return e.Time
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	if field == "" {
		return prefix
	}
	return prefix + "." + field
}
