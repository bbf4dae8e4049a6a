package stdwebhooks

import "errors"

// Sentinel errors of the package.
var (
	// ErrSecret means a secret is not of the form whsec_<base64> with 24
	// to 64 bytes.
	ErrSecret = errors.New("stdwebhooks: invalid secret")
	// ErrHeader means a webhook header is missing or malformed.
	ErrHeader = errors.New("stdwebhooks: missing or malformed header")
	// ErrTimestamp means the timestamp is outside the tolerance.
	ErrTimestamp = errors.New("stdwebhooks: timestamp outside the tolerance")
	// ErrSignature means no signature matches any secret.
	ErrSignature = errors.New("stdwebhooks: no matching signature")
	// ErrNoSecret means signing or verifying was asked with no secret.
	ErrNoSecret = errors.New("stdwebhooks: no secret")
)

// HeaderError is a bad header, with its name.
type HeaderError struct {
	Header string // webhook-id, webhook-timestamp or webhook-signature
	Reason string
}

func (e *HeaderError) Error() string {
	return "stdwebhooks: header " + e.Header + ": " + e.Reason
}

// Unwrap returns ErrHeader.
func (e *HeaderError) Unwrap() error { return ErrHeader }
