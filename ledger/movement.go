package ledger

import "time"

// Limits on what one movement or document may hold.
const (
	// MaxQuantity bounds every quantity and every bucket of every balance:
	// a movement whose quantity, or whose effect, goes beyond ±MaxQuantity
	// is rejected with ErrOverflow. Available (a difference of four
	// buckets) therefore never overflows an int64.
	MaxQuantity = 1_000_000_000_000_000
	// MaxTextLen bounds keys, SKUs, locations, reasons and reference
	// fields, in bytes.
	MaxTextLen = 1024
	// MaxMovements bounds the movements of one document.
	MaxMovements = 1_000_000
)

// Document is what one inbound document posts: its movements, committed
// together or not at all.
type Document struct {
	// Key identifies the document itself (for example partner, interchange
	// and transaction control numbers, or partner and file hash). It is
	// kept with the posting for the audit trail; idempotency comes from
	// the movements' source keys.
	Key       string
	Movements []Movement
}

// Movement is one change to a (SKU, location) balance. The poster fills the
// fields up to Reason; the ledger fills the rest when it records the
// movement.
type Movement struct {
	// SourceKey is the idempotency key: the place in the source document
	// this movement comes from (partner + interchange + group +
	// transaction + line, or partner + file hash + row). A source key
	// posted again is a duplicate and changes nothing.
	SourceKey string
	SKU       string
	Location  string
	Kind      Kind
	// Quantity in the item's base unit. Receipt, shipment, allocate,
	// release and snapshot take zero or more; in_transit, adjust, damage
	// and quarantine take either sign.
	Quantity int64
	// Bucket is the bucket a snapshot counts (zero means on_hand). An
	// allocated count adjusts an allocation of no particular order, since
	// orders keep their own. Other kinds leave Bucket zero.
	Bucket Bucket
	// Effective is when the movement happened; zero means the time of
	// the Post call.
	Effective time.Time
	// Expected is the due date of in-transit stock: for in_transit
	// movements, for an in_transit snapshot, and for a receipt with
	// TakeInTransit (the due date to take from first). Zero means undated.
	Expected time.Time
	// TakeInTransit marks a receipt of expected stock: it also takes up to
	// Quantity off in_transit (never below zero).
	TakeInTransit bool
	// RequireAvailable makes an allocation conditional: it fails with
	// ErrInsufficient (and its document posts nothing) unless available
	// to promise at the position, checked in the same transaction, is at
	// least Quantity. Reservations use it so that two of them can never
	// promise the same unit. Allocations only; not stored.
	RequireAvailable bool
	// OrderPartner names whose order Reference.Order is when that is not
	// Reference.Partner (a warehouse's 945 ships a channel's order):
	// allocations are kept per partner + order. Empty: Reference.Partner.
	// Not stored.
	OrderPartner string `json:",omitempty"`
	Reference    Reference
	// Reason says why; required for adjust movements.
	Reason string

	// ID is the movement's number, assigned in posting order.
	ID uint64
	// Seq is the change sequence number of the posting that recorded it.
	Seq uint64
	// Document is the key of the document that recorded it.
	Document string
	// Recorded is when the ledger recorded it.
	Recorded time.Time
	// Stale marks a snapshot older than the newest snapshot already
	// applied to its bucket: recorded, not applied.
	Stale bool
	// Absorbed marks a movement effective before the newest snapshot
	// already applied to a bucket it changes: that count included it, so
	// its change to that bucket is recorded as zero in Delta (the other
	// buckets change as usual). A late receipt after a 3PL's nightly count
	// is not counted twice.
	Absorbed bool
	// Delta is what the movement changed, bucket by bucket. It can differ
	// from Quantity: a snapshot's delta is count − balance as of its time,
	// and releases, shipments and expected receipts take allocations and
	// in-transit stock only down to zero.
	Delta Quantities
}

// Reference says where a movement comes from.
type Reference struct {
	Partner      string // trading partner ID
	DocumentType string // "846", "944", "945", "csv", ...
	Interchange  string // interchange control number (ISA13), or file hash
	Group        string // group control number (GS06)
	Transaction  string // transaction set control number (ST02)
	Line         int    // line or row in the document
	Order        string // order number; allocations are kept per partner + order
}

// Quantities holds one figure per bucket.
type Quantities struct {
	OnHand      int64
	Allocated   int64
	InTransit   int64
	Damaged     int64
	Quarantined int64
}

// Get returns the figure of bucket b (zero for an invalid bucket).
func (q Quantities) Get(b Bucket) int64 {
	switch b {
	case BucketOnHand:
		return q.OnHand
	case BucketAllocated:
		return q.Allocated
	case BucketInTransit:
		return q.InTransit
	case BucketDamaged:
		return q.Damaged
	case BucketQuarantined:
		return q.Quarantined
	}
	return 0
}

// ptr returns a pointer to bucket b's figure, or nil.
func (q *Quantities) ptr(b Bucket) *int64 {
	switch b {
	case BucketOnHand:
		return &q.OnHand
	case BucketAllocated:
		return &q.Allocated
	case BucketInTransit:
		return &q.InTransit
	case BucketDamaged:
		return &q.Damaged
	case BucketQuarantined:
		return &q.Quarantined
	}
	return nil
}

// IsZero reports whether every figure is zero.
func (q Quantities) IsZero() bool { return q == Quantities{} }

// add returns q + d. The caller keeps figures within ±MaxQuantity, so
// this cannot overflow.
func (q Quantities) add(d Quantities) Quantities {
	return Quantities{
		OnHand:      q.OnHand + d.OnHand,
		Allocated:   q.Allocated + d.Allocated,
		InTransit:   q.InTransit + d.InTransit,
		Damaged:     q.Damaged + d.Damaged,
		Quarantined: q.Quarantined + d.Quarantined,
	}
}

// sub returns q − d.
func (q Quantities) sub(d Quantities) Quantities {
	return Quantities{
		OnHand:      q.OnHand - d.OnHand,
		Allocated:   q.Allocated - d.Allocated,
		InTransit:   q.InTransit - d.InTransit,
		Damaged:     q.Damaged - d.Damaged,
		Quarantined: q.Quarantined - d.Quarantined,
	}
}

// PostResult says what a posting did.
type PostResult struct {
	// Seq is the posting's change sequence number; zero when nothing was
	// recorded (every movement a duplicate, or no movements), since then
	// nothing changed.
	Seq uint64
	// Recorded is when the posting was recorded.
	Recorded time.Time
	// Posted counts the movements applied (neither duplicate nor stale).
	Posted int
	// Duplicates lists the source keys already posted (before, or earlier
	// in the same document), in document order.
	Duplicates []string
	// Stale lists the source keys of stale snapshots: recorded, not
	// applied.
	Stale []string
	// Absorbed lists the source keys of movements whose change to some
	// bucket a later snapshot had already counted (see Movement.Absorbed):
	// recorded, that part not applied. They count in Posted.
	Absorbed []string
	// FirstID and LastID are the IDs of the movements recorded, in
	// document order without duplicates; both zero when none was.
	FirstID, LastID uint64
}
