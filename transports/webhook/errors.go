package webhook

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of the webhook transport.
var (
	// ErrStatus means the receiver answered with a status other than 2xx.
	ErrStatus = errors.New("webhook: receiver did not accept")
	// ErrGone means the receiver answered 410 Gone: it wants no more
	// messages at this endpoint.
	ErrGone = errors.New("webhook: receiver answered 410 Gone")
	// ErrDisabled means the endpoint was disabled (after a 410, or a long
	// failure) and an operator has not enabled it again.
	ErrDisabled = errors.New("webhook: endpoint disabled")
	// ErrTarget means the endpoint is not usable as configured (no URL,
	// no secret, not http or https).
	ErrTarget = errors.New("webhook: bad target")
)

// StatusError is a receiver's answer other than 2xx.
type StatusError struct {
	URL    string
	Status int
	// RetryAfter is the receiver's Retry-After, when it gave one.
	RetryAfter time.Duration
	// Body is the start of the receiver's answer, for the operator.
	Body string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("webhook: %s answered %d", e.URL, e.Status)
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// Unwrap returns ErrGone for a 410 and ErrStatus otherwise.
func (e *StatusError) Unwrap() error {
	if e.Status == 410 {
		return ErrGone
	}
	return ErrStatus
}
