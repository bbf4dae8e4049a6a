package broadcast

import "errors"

// Sentinel errors of the broadcast package.
var (
	// ErrNoAdvice means the partner's profile has no advice section.
	ErrNoAdvice = errors.New("broadcast: partner has no advice in its profile")
	// ErrRunning means a broadcast for the partner was under way and the
	// caller's context ended before it did.
	ErrRunning = errors.New("broadcast: already running for this partner")
	// ErrNoTransport means the partner has no outbound transport.
	ErrNoTransport = errors.New("broadcast: partner has no outbound transport")
)

// More sentinel errors of the broadcast store.
var (
	// ErrNotFound means no broadcast has the given id.
	ErrNotFound = errors.New("broadcast: not found")
	// ErrState means the broadcast's state does not allow the call.
	ErrState = errors.New("broadcast: wrong state")
	// ErrLockLost means a partner's lock across the nodes of a cluster
	// (PartnerLocker) was lost while its advice was built: its
	// connection ended. The advice is not sent.
	ErrLockLost = errors.New("broadcast: partner lock lost")
)
