// Package webhook is the outbound transport that POSTs bytes to a
// receiver's HTTPS (or HTTP) endpoint, signed as Standard Webhooks 1.0
// asks (internal/stdwebhooks): webhook-id is the same on every retry of a
// message, webhook-timestamp is the attempt's, and webhook-signature
// carries one v1 signature per secret (two during a rotation).
//
// Like every transport it knows no X12 and no ledger: it takes a message
// and its bytes from the outbox (Sender) or from a caller (Client.Post)
// and reports how the receiver answered. Only a 2xx answer is a delivery;
// a redirect is a failure (never followed), as is any other status, a
// timeout or a refused connection, and the outbox retries with backoff.
// A 410 Gone means the receiver wants no more: the endpoint is disabled
// (Endpoints, persisted) with a WARN log, the message is dead at once
// (outbox.ErrPermanent), and every later message to that endpoint fails
// without a request until an operator enables it again or the URL
// changes.
//
// Secrets never appear in logs or errors. A receiver's answer is read up
// to 1 KiB, for the error text.
package webhook
