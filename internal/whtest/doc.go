// Package whtest runs a webhook receiver for tests: a real HTTP server on
// loopback, written in Python, that verifies Standard Webhooks signatures
// with Python's own hmac (an implementation independent of ours), answers
// with the status the test sets, and records each request.
package whtest
