// Package webhooks delivers the change stream (package stream) to webhook
// subscribers: each change event is one signed POST (Standard Webhooks,
// transports/webhook) whose body is the event's CloudEvents JSON and
// whose webhook-id is the event's id, the same on every delivery, so a
// subscriber deduplicates on it.
//
// Each subscriber has its own relay (stream.Relay) and durable cursor, so
// a slow or failing subscriber holds back only itself. Events go out one
// at a time, in ledger order: per-SKU order (and the whole stream's) is
// kept for every subscriber. A failed POST is retried with the relay's
// backoff from the first event not confirmed (after the receiver's
// Retry-After, when it gave one, up to MaxRetryAfter); a subscriber that
// was down catches up from its cursor.
//
// A subscriber is disabled, with a WARN log and in the shared list of
// disabled endpoints (transports/webhook.Endpoints, "subscriber/<name>"),
// when it answers 410 Gone or has failed without a success for longer
// than its DisableAfter (default 24h; the first failure is persisted
// with the endpoints, so a restart does not reset the clock). Its cursor stays where it was: enabling it again (Enable)
// delivers from there. Redeliver moves a subscriber's cursor back to a
// change sequence (or an event id's) and delivers everything from there
// again, enabling it if it was disabled.
//
// Filters keep the events of some kinds, locations, SKUs (exact, or a
// prefix ending in *) or channels (the locations a channel's advice
// counts); the cursor moves past the others.
package webhooks
