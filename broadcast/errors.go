package broadcast

import "errors"

// Sentinel errors of the broadcast package.
var (
	// ErrNoAdvice means the partner's profile has no advice section.
	ErrNoAdvice = errors.New("broadcast: partner has no advice in its profile")
	// ErrRunning means a broadcast for the partner is already running.
	ErrRunning = errors.New("broadcast: already running for this partner")
	// ErrNoTransport means the partner has no outbound transport.
	ErrNoTransport = errors.New("broadcast: partner has no outbound transport")
)
