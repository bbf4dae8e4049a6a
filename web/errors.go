package web

import (
	"errors"
	"fmt"
)

// Sentinel errors of the web package.
var (
	// ErrConfig means Deps or Options cannot work: a missing store, a
	// token without a name, a hash that is not 64 hex digits, an unknown
	// role.
	ErrConfig = errors.New("web: invalid configuration")
	// ErrBadRequest means a request parameter or body is not usable; a
	// *RequestError names the parameter.
	ErrBadRequest = errors.New("web: bad request")
	// ErrInsufficient means a reservation asks for more than is available
	// to promise; an *InsufficientError says how much is. The API answers
	// 409 Conflict.
	ErrInsufficient = errors.New("web: not enough available to promise")
	// ErrNoReservation means no reservation has the given idempotency key.
	// The API answers 404.
	ErrNoReservation = errors.New("web: no such reservation")
	// ErrKeyReused means an idempotency key already made a reservation
	// with other figures (SKU, location, quantity, order). The API answers
	// 422.
	ErrKeyReused = errors.New("web: idempotency key reused for a different reservation")
	// ErrKeyReleased means an idempotency key names a reservation that
	// was released: nothing is held under it, and it cannot reserve
	// again. The API answers 409; the client reserves with a new key.
	ErrKeyReleased = errors.New("web: idempotency key names a released reservation (nothing is held); reserve again with a new Idempotency-Key")
	// ErrUnavailable means an optional dependency (Replay, Reservations)
	// was not given. The API answers 501.
	ErrUnavailable = errors.New("web: not available in this server")
)

// errNotFound is a lookup of this package that found nothing (a broadcast
// id). The API answers 404.
var errNotFound = errors.New("not found")

// InsufficientError reports a reservation that asked for more than the
// location has available to promise. It wraps ErrInsufficient.
type InsufficientError struct {
	SKU       string
	Location  string
	Requested int64
	Available int64 // available to promise now (may be negative: an oversell)
}

func (e *InsufficientError) Error() string {
	return fmt.Sprintf("%s at %s: %d requested, %d available to promise", e.SKU, e.Location, e.Requested, e.Available)
}

// Unwrap returns ErrInsufficient.
func (e *InsufficientError) Unwrap() error { return ErrInsufficient }

// RequestError is a bad request parameter (query, path, header or body
// field), named in Param. It wraps ErrBadRequest.
type RequestError struct {
	Param string // e.g. "limit", "Idempotency-Key", "body.quantity"
	Msg   string
}

func (e *RequestError) Error() string { return e.Param + ": " + e.Msg }

// Unwrap returns ErrBadRequest.
func (e *RequestError) Unwrap() error { return ErrBadRequest }

func badParam(param, format string, args ...any) error {
	return &RequestError{Param: param, Msg: fmt.Sprintf(format, args...)}
}
