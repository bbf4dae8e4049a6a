package ledger

import (
	"errors"
	"fmt"
)

// Sentinel errors. A *MovementError wraps one of the validation sentinels,
// so callers test with errors.Is.
var (
	// ErrEmptyDocumentKey means a document has no key of its own.
	ErrEmptyDocumentKey = errors.New("empty document key")
	// ErrEmptySourceKey means a movement has no source (idempotency) key.
	ErrEmptySourceKey = errors.New("empty source key")
	// ErrEmptySKU means a movement has no SKU.
	ErrEmptySKU = errors.New("empty SKU")
	// ErrEmptyLocation means a movement has no location.
	ErrEmptyLocation = errors.New("empty location")
	// ErrInvalidText means a key, SKU, location or reference field holds a
	// control character, invalid UTF-8, or is longer than MaxTextLen bytes.
	ErrInvalidText = errors.New("invalid text (control character, bad UTF-8 or too long)")
	// ErrUnknownKind means a movement kind is not one of the Kind constants.
	ErrUnknownKind = errors.New("unknown movement kind")
	// ErrUnknownBucket means a bucket is not one of the Bucket constants.
	ErrUnknownBucket = errors.New("unknown bucket")
	// ErrNegativeQuantity means a negative quantity for a kind that only
	// takes quantities of zero or more.
	ErrNegativeQuantity = errors.New("negative quantity not allowed for this kind")
	// ErrOverflow means a quantity, or the balance it would produce, is
	// beyond ±MaxQuantity.
	ErrOverflow = errors.New("quantity out of range")
	// ErrInsufficient means an allocation with RequireAvailable asks for
	// more than is available to promise at its position.
	ErrInsufficient = errors.New("not enough available to promise")
	// ErrMissingOrder means an allocate or release movement has no order
	// number in its reference.
	ErrMissingOrder = errors.New("missing order number")
	// ErrMissingReason means an adjust movement has no reason.
	ErrMissingReason = errors.New("missing reason")
	// ErrInvalidTime means a time outside the years 1678-2257 (what the
	// ledger can store to the nanosecond).
	ErrInvalidTime = errors.New("time out of range")
	// ErrFieldNotAllowed means a field is set on a kind that does not use
	// it (for example an expected date on a shipment).
	ErrFieldNotAllowed = errors.New("field not allowed for this kind")
	// ErrTooManyMovements means a document has more than MaxMovements.
	ErrTooManyMovements = errors.New("too many movements in one document")

	// ErrDuplicateCount means a reconciliation count lists a SKU twice.
	ErrDuplicateCount = errors.New("SKU counted twice")
	// ErrInvalidPolicy means a channel policy has out-of-range settings.
	ErrInvalidPolicy = errors.New("invalid channel policy")

	// ErrClosed means the ledger has been closed.
	ErrClosed = errors.New("ledger closed")
	// ErrReadOnly means a write on a ledger opened read-only.
	ErrReadOnly = errors.New("ledger opened read-only")
	// ErrNotLedger means the file is a bbolt file without the ledger's
	// buckets, or a ledger opened read-only that was never initialised.
	ErrNotLedger = errors.New("not a ledger file")
	// ErrSchema means the file was written by an incompatible version.
	ErrSchema = errors.New("unsupported ledger schema version")
	// ErrCorrupt means a stored record cannot be decoded or an invariant
	// does not hold (see Verify).
	ErrCorrupt = errors.New("ledger data corrupt")
	// ErrUnknownCursor means a paging cursor names a movement that does not
	// exist at the position being paged.
	ErrUnknownCursor = errors.New("unknown paging cursor")
)

// MovementError reports a movement that cannot be posted, with its place in
// the document. Nothing of the document has been written when Post returns
// one.
type MovementError struct {
	Document  string // the document's key
	Index     int    // index of the movement in Document.Movements
	SourceKey string // the movement's source key, as given
	Field     string // the offending field ("sku", "quantity", ...)
	Err       error  // one of the sentinel errors above
	Msg       string // detail for a person; may be empty
}

func (e *MovementError) Error() string {
	s := fmt.Sprintf("ledger: document %q movement %d (source %q): %s: %v", e.Document, e.Index, e.SourceKey, e.Field, e.Err)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Unwrap returns the sentinel error.
func (e *MovementError) Unwrap() error { return e.Err }
