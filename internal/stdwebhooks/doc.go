// Package stdwebhooks signs and verifies webhook requests as Standard
// Webhooks 1.0 does (https://www.standardwebhooks.com).
//
// A request carries three headers: webhook-id, the message's id, the same
// on every retry of one message (the receiver's idempotency key);
// webhook-timestamp, the Unix time in seconds of this attempt; and
// webhook-signature, a space-separated list of "v1,<base64 HMAC-SHA256>"
// of "{id}.{timestamp}.{body}", one per secret. Secrets are written
// "whsec_<base64>" (24 to 64 random bytes). Two secrets give two
// signatures, which lets a receiver roll its secret over without losing a
// message: it accepts a request when any signature matches a secret it
// holds.
//
// Verify compares in constant time and refuses a timestamp outside a
// tolerance (5 minutes by default), which bounds replays.
//
// A Secret never prints its value (String, GoString and slog's LogValue
// are redacted), and no error of this package quotes one.
package stdwebhooks
