package orders

import (
	"errors"
	"fmt"
)

// Sentinel errors.
var (
	// ErrNotFound: no record for that order (or warehouse order).
	ErrNotFound = errors.New("order not found")
	// ErrUnknownOrder: a shipment confirmation for an order we never sent
	// that warehouse.
	ErrUnknownOrder = errors.New("unknown warehouse order")
	// ErrUnknownLine: a shipment line that names no line of the order.
	ErrUnknownLine = errors.New("unknown order line")
	// ErrOverShipped: a shipment line that would ship more than the line
	// allocates.
	ErrOverShipped = errors.New("shipped more than allocated")
	// ErrShipmentConflict: a shipment line applied before with another
	// quantity or status.
	ErrShipmentConflict = errors.New("shipment line applied before with other content")
	// ErrStatus: a line status (W12-01) this package does not handle.
	ErrStatus = errors.New("unknown shipment line status")
	// ErrOrderTaken: a warehouse order number already used by another
	// order.
	ErrOrderTaken = errors.New("warehouse order number taken")
	// ErrShared: a shared change (Book.Share) reading a second order.
	ErrShared = errors.New("a shared change reads one order only")
)

// ShipError is a shipment confirmation that cannot be applied; nothing of
// it was. Line is the index in the lines given to Book.Ship (-1 when the
// whole confirmation is concerned), so the caller can name its place (the
// 945's W12). It wraps one of the sentinels.
type ShipError struct {
	Warehouse, Order, Shipment string
	Line                       int
	Err                        error
	Msg                        string
}

func (e *ShipError) Error() string {
	s := fmt.Sprintf("shipment %s of order %s from %s", e.Shipment, e.Order, e.Warehouse)
	if e.Line >= 0 {
		s += fmt.Sprintf(", line %d", e.Line+1)
	}
	s += ": " + e.Err.Error()
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Unwrap returns the sentinel.
func (e *ShipError) Unwrap() error { return e.Err }
