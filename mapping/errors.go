package mapping

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of the mapping.
var (
	// ErrRejected means the document has problems and its profile rejects
	// documents with problems: nothing is posted.
	ErrRejected = errors.New("document rejected")
	// ErrNoMapping means the partner's profile has no mapping for the
	// document type.
	ErrNoMapping = errors.New("no mapping in the partner's profile")
	// ErrOrderConflict means an order document opens an order that is
	// already open, with other lines.
	ErrOrderConflict = errors.New("order already open with other lines")
	// ErrUnknownOrder means an order document cancels or replaces an
	// order that is not open.
	ErrUnknownOrder = errors.New("order not open")
	// ErrNoItem means an outbound document names a SKU the partner's
	// item table does not translate.
	ErrNoItem = errors.New("no item id for the partner")
	// ErrShipmentConflict means a ship notice names a shipment (partner
	// + BSN02) received before with other lines.
	ErrShipmentConflict = errors.New("shipment received before with other lines")
	// ErrNotOrder means SettleOrder was given a result that is not an
	// order document's.
	ErrNotOrder = errors.New("not an order document")
)

// Problem is one line or field that cannot be mapped, with its place.
type Problem struct {
	Place  string `json:"place"`           // e.g. "segment 12 (LIN)" or "stock.csv:14:7"
	Field  string `json:"field,omitempty"` // e.g. "LIN03", "quantity"
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
	// Segment and SegmentID are the place of a problem in an X12 set
	// (its segment's position, ST = 1, and id), for an acknowledgement's
	// AK3; zero and empty elsewhere.
	Segment   int    `json:"-"`
	SegmentID string `json:"-"`
}

func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.Place)
	if p.Field != "" {
		fmt.Fprintf(&b, ": %s", p.Field)
	}
	if p.Value != "" {
		fmt.Fprintf(&b, " %q", p.Value)
	}
	b.WriteString(": ")
	b.WriteString(p.Reason)
	return b.String()
}

// RejectedError lists the problems of a rejected document.
type RejectedError struct {
	Problems []Problem
}

func (e *RejectedError) Error() string {
	if len(e.Problems) == 1 {
		return fmt.Sprintf("document rejected: %v", e.Problems[0])
	}
	return fmt.Sprintf("document rejected: %d problems, first: %v", len(e.Problems), e.Problems[0])
}

// Unwrap returns ErrRejected.
func (e *RejectedError) Unwrap() error { return ErrRejected }
