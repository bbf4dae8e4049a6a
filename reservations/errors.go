package reservations

import "errors"

// Sentinel errors of the reservations package.
var (
	// ErrNotFound means no reservation has the key.
	ErrNotFound = errors.New("reservations: no reservation with this key")
	// ErrExists means Create found the key held by another record: a
	// retried or concurrent request made it first.
	ErrExists = errors.New("reservations: key already reserved")
)
