package ledger

import (
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// Times the ledger can store to the nanosecond.
var (
	minTime = time.Unix(0, math.MinInt64+1).UTC()
	// The first byte of a stored time (timeKey) stays below allocationMark
	// and balanceMark.
	maxTime = time.Unix(0, 0x7e00_0000_0000_0000-1).UTC()
)

// validText reports whether s is valid UTF-8 of at most MaxTextLen bytes
// without control characters. NUL in particular would break key framing.
func validText(s string) bool {
	if len(s) > MaxTextLen {
		return false
	}
	ascii := true // the usual case: printable ASCII, checked a byte at a time
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		return true
	}
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

// validTime reports whether t is zero or storable.
func validTime(t time.Time) bool {
	return t.IsZero() || (!t.Before(minTime) && !t.After(maxTime))
}

// checkDocument checks a document: everything that does not need the
// stored state (balances that would overflow are found when the movements
// are applied). The ledger keeps the movements as given and normalizes
// each as it applies it.
func checkDocument(doc *Document) error {
	if doc.Key == "" {
		return fmt.Errorf("ledger: %w", ErrEmptyDocumentKey)
	}
	if !validText(doc.Key) {
		return fmt.Errorf("ledger: document key %q: %w", doc.Key, ErrInvalidText)
	}
	if len(doc.Movements) > MaxMovements {
		return fmt.Errorf("ledger: document %q: %w: %d > %d", doc.Key, ErrTooManyMovements, len(doc.Movements), MaxMovements)
	}
	var last *Movement // the previous movement, whose reference was checked
	for i := range doc.Movements {
		m := &doc.Movements[i]
		if fe := checkMovement(m, last); fe != nil {
			return &MovementError{Document: doc.Key, Index: i, SourceKey: m.SourceKey, Field: fe.field, Err: fe.err, Msg: fe.msg}
		}
		last = m
	}
	return nil
}

// fieldError is a problem with one field of a movement.
type fieldError struct {
	field string // the field's name
	err   error  // a sentinel error
	msg   string // detail; may be empty
}

// checkMovement returns the first problem with m, or nil. When prev (a
// movement already checked) is given, reference fields equal to its are
// not checked again: a document's movements mostly share them.
func checkMovement(m *Movement, prev *Movement) *fieldError {
	switch {
	case m.SourceKey == "":
		return &fieldError{"source_key", ErrEmptySourceKey, ""}
	case !validText(m.SourceKey):
		return &fieldError{"source_key", ErrInvalidText, ""}
	case m.SKU == "":
		return &fieldError{"sku", ErrEmptySKU, ""}
	case !validText(m.SKU):
		return &fieldError{"sku", ErrInvalidText, fmt.Sprintf("%q", m.SKU)}
	case m.Location == "":
		return &fieldError{"location", ErrEmptyLocation, ""}
	case !validText(m.Location):
		return &fieldError{"location", ErrInvalidText, fmt.Sprintf("%q", m.Location)}
	case !m.Kind.Valid():
		return &fieldError{"kind", ErrUnknownKind, m.Kind.String()}
	}
	if prev != nil && sameReferenceText(&m.Reference, m.Reason, &prev.Reference, prev.Reason) {
		// checked with prev
	} else if field, bad := badReference(&m.Reference, m.Reason); bad {
		return &fieldError{field, ErrInvalidText, ""}
	}
	if m.Quantity > MaxQuantity || m.Quantity < -MaxQuantity {
		return &fieldError{"quantity", ErrOverflow, fmt.Sprintf("%d is beyond ±%d", m.Quantity, int64(MaxQuantity))}
	}
	if m.RequireAvailable && m.Kind != KindAllocate {
		return &fieldError{"require_available", ErrUnknownKind, fmt.Sprintf("only allocations can require availability, not %s", m.Kind)}
	}
	if m.Quantity < 0 && !m.Kind.signed() {
		return &fieldError{"quantity", ErrNegativeQuantity, fmt.Sprintf("%d for %s", m.Quantity, m.Kind)}
	}
	if !validTime(m.Effective) {
		return &fieldError{"effective", ErrInvalidTime, m.Effective.String()}
	}
	if !validTime(m.Expected) {
		return &fieldError{"expected", ErrInvalidTime, m.Expected.String()}
	}
	return checkKindFields(m)
}

// badReference returns the first reference field (or the reason) that is
// not valid text.
func badReference(r *Reference, reason string) (string, bool) {
	fields := [...]struct {
		name, value string
	}{
		{"reference.partner", r.Partner},
		{"reference.document_type", r.DocumentType},
		{"reference.interchange", r.Interchange},
		{"reference.group", r.Group},
		{"reference.transaction", r.Transaction},
		{"reference.order", r.Order},
		{"reason", reason},
	}
	for _, f := range fields {
		if !validText(f.value) {
			return f.name, true
		}
	}
	return "", false
}

// sameReferenceText reports whether two movements' reference fields and
// reasons are equal.
func sameReferenceText(a *Reference, ar string, b *Reference, br string) bool {
	return a.Partner == b.Partner && a.DocumentType == b.DocumentType && a.Interchange == b.Interchange &&
		a.Group == b.Group && a.Transaction == b.Transaction && a.Order == b.Order && ar == br
}

// checkKindFields checks the fields that only some kinds use.
func checkKindFields(m *Movement) *fieldError {
	if m.Bucket != 0 && m.Kind != KindSnapshot {
		return &fieldError{"bucket", ErrFieldNotAllowed, fmt.Sprintf("bucket on %s", m.Kind)}
	}
	if m.TakeInTransit && m.Kind != KindReceipt {
		return &fieldError{"take_in_transit", ErrFieldNotAllowed, fmt.Sprintf("take_in_transit on %s", m.Kind)}
	}
	switch m.Kind {
	case KindAllocate, KindRelease:
		if m.Reference.Order == "" {
			return &fieldError{"reference.order", ErrMissingOrder, fmt.Sprintf("%s needs an order number", m.Kind)}
		}
	case KindAdjust:
		if m.Reason == "" {
			return &fieldError{"reason", ErrMissingReason, "adjust needs a reason"}
		}
	case KindSnapshot:
		b, ok := snapshotBucket(m.Bucket)
		if !ok {
			return &fieldError{"bucket", ErrUnknownBucket, m.Bucket.String()}
		}
		if !m.Expected.IsZero() && b != BucketInTransit {
			return &fieldError{"expected", ErrFieldNotAllowed, "expected date on a snapshot of " + b.String()}
		}
		return nil
	}
	if !m.Expected.IsZero() && m.Kind != KindInTransit && !(m.Kind == KindReceipt && m.TakeInTransit) {
		return &fieldError{"expected", ErrFieldNotAllowed, fmt.Sprintf("expected date on %s", m.Kind)}
	}
	return nil
}

// normalize returns the stored form of a checked movement: times in UTC
// (monotonic reading dropped), a zero effective time set to now, snapshot
// bucket filled in, output fields cleared.
func normalize(m *Movement, now time.Time) Movement {
	out := Movement{
		SourceKey:        m.SourceKey,
		SKU:              m.SKU,
		Location:         m.Location,
		Kind:             m.Kind,
		Quantity:         m.Quantity,
		Bucket:           m.Bucket,
		TakeInTransit:    m.TakeInTransit,
		RequireAvailable: m.RequireAvailable,
		Reference:        m.Reference,
		Reason:           m.Reason,
	}
	if !m.Effective.IsZero() {
		out.Effective = m.Effective.Round(0).UTC()
	} else {
		out.Effective = now.Round(0).UTC()
	}
	if !m.Expected.IsZero() {
		out.Expected = m.Expected.Round(0).UTC()
	}
	if m.Kind == KindSnapshot {
		out.Bucket, _ = snapshotBucket(m.Bucket)
	}
	return out
}

// TimeRange returns the earliest and latest times the ledger stores to
// the nanosecond: BalanceAsOf takes earlier and later times as these.
func TimeRange() (earliest, latest time.Time) { return minTime, maxTime }
