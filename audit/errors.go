package audit

import "errors"

// ErrClosed means the store is closed.
var ErrClosed = errors.New("audit: closed")

// ErrInvalid means an entry lacks its action or its actor.
var ErrInvalid = errors.New("audit: invalid entry")
