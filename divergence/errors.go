package divergence

import "errors"

// Sentinel errors of the divergence package.
var (
	// ErrWebhook means the operator webhook did not answer 2xx.
	ErrWebhook = errors.New("divergence: webhook failed")
)
