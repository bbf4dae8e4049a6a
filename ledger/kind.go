package ledger

import "fmt"

// Kind is what a movement does to a balance.
type Kind uint8

// Movement kinds. The zero Kind is invalid.
const (
	// KindReceipt adds Quantity (≥ 0) to on_hand. With TakeInTransit set it
	// also takes up to Quantity off in_transit (an expected receipt).
	KindReceipt Kind = iota + 1
	// KindShipment takes Quantity (≥ 0) off on_hand and, when the reference
	// names an order, up to Quantity off that order's allocation.
	KindShipment
	// KindAllocate reserves Quantity (≥ 0) for the order in the reference.
	KindAllocate
	// KindRelease frees up to Quantity (≥ 0) of the order's allocation.
	KindRelease
	// KindInTransit adds Quantity (±) to in_transit, due at Expected.
	KindInTransit
	// KindAdjust adds Quantity (±) to on_hand; Reason is required.
	KindAdjust
	// KindDamage moves Quantity (±) from available to damaged (negative moves
	// it back). on_hand does not change.
	KindDamage
	// KindQuarantine moves Quantity (±) from available to quarantined
	// (negative moves it back). on_hand does not change.
	KindQuarantine
	// KindSnapshot is an absolute count (≥ 0) of Bucket as of Effective.
	KindSnapshot

	kindEnd // one past the last valid kind
)

var kindNames = [...]string{
	KindReceipt:    "receipt",
	KindShipment:   "shipment",
	KindAllocate:   "allocate",
	KindRelease:    "release",
	KindInTransit:  "in_transit",
	KindAdjust:     "adjust",
	KindDamage:     "damage",
	KindQuarantine: "quarantine",
	KindSnapshot:   "snapshot",
}

// Valid reports whether k is one of the Kind constants.
func (k Kind) Valid() bool { return k > 0 && k < kindEnd }

// String returns the kind's name ("receipt", "in_transit", ...).
func (k Kind) String() string {
	if k.Valid() {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// signed reports whether the kind takes negative quantities.
func (k Kind) signed() bool {
	return k == KindInTransit || k == KindAdjust || k == KindDamage || k == KindQuarantine
}

// MarshalText encodes the kind as its name.
func (k Kind) MarshalText() ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownKind, uint8(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText decodes a kind name.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// ParseKind returns the kind with the given name.
func ParseKind(name string) (Kind, error) {
	for k := KindReceipt; k < kindEnd; k++ {
		if kindNames[k] == name {
			return k, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownKind, name)
}

// Bucket is one of the quantities a balance holds.
type Bucket uint8

// Buckets. The zero Bucket means "not given"; a snapshot without a bucket
// counts on_hand.
const (
	BucketOnHand      Bucket = iota + 1 // physically present
	BucketAllocated                     // reserved for orders
	BucketInTransit                     // expected, not yet received
	BucketDamaged                       // present, not sellable: damaged
	BucketQuarantined                   // present, not sellable: on hold

	bucketEnd
)

var bucketNames = [...]string{
	BucketOnHand:      "on_hand",
	BucketAllocated:   "allocated",
	BucketInTransit:   "in_transit",
	BucketDamaged:     "damaged",
	BucketQuarantined: "quarantined",
}

// Valid reports whether b is one of the Bucket constants.
func (b Bucket) Valid() bool { return b > 0 && b < bucketEnd }

// String returns the bucket's name ("on_hand", ...).
func (b Bucket) String() string {
	if b.Valid() {
		return bucketNames[b]
	}
	return fmt.Sprintf("Bucket(%d)", uint8(b))
}

// MarshalText encodes the bucket as its name; the zero Bucket as "".
func (b Bucket) MarshalText() ([]byte, error) {
	if b == 0 {
		return []byte{}, nil
	}
	if !b.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownBucket, uint8(b))
	}
	return []byte(bucketNames[b]), nil
}

// UnmarshalText decodes a bucket name; "" is the zero Bucket.
func (b *Bucket) UnmarshalText(text []byte) error {
	v, err := ParseBucket(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// ParseBucket returns the bucket with the given name; "" is the zero Bucket.
func ParseBucket(name string) (Bucket, error) {
	if name == "" {
		return 0, nil
	}
	for b := BucketOnHand; b < bucketEnd; b++ {
		if bucketNames[b] == name {
			return b, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownBucket, name)
}

// snapshotBucket is the bucket a snapshot counts: on_hand when not given.
func snapshotBucket(b Bucket) (Bucket, bool) {
	if b == 0 {
		return BucketOnHand, true
	}
	return b, b.Valid()
}
