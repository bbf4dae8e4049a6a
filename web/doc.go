// Package web is Dockside's operator HTTP API, its dashboard, its
// Prometheus metrics and its health checks.
//
// New builds a Server over the gateway's stores (Deps: ledger, inbox,
// outbox, broadcasts, partner profiles, and the replay and reservation
// functions the gateway provides); Server.Handler serves:
//
//   - /api/v1/...: JSON (see /api/v1/openapi.json, which a test keeps in
//     step with the route table): availability per SKU, location and
//     channel; stock, paged and filtered; a SKU's audit trail;
//     reservations (POST with an Idempotency-Key, DELETE to release);
//     messages (search, detail with raw and parsed views, errors with their
//     places, movements and acks, every attempt, replay); the outbox
//     (detail, retry); partners with their health (inbound failures,
//     overdue acknowledgements, how the latest deliveries went); profile
//     reload; a channel's advice previewed or sent now; what each channel
//     was told; the audit log of operator actions; orders with where each
//     stands (sent to its warehouse, acknowledged, shipped, overdue);
//     Excel exports of stock, of a message search and of orders.
//   - POST /api/v1/events: partners' inventory events (docs/events.md),
//     authenticated by the partner's own events token (its SHA-256 is the
//     profile's events.token_sha256), never by an API token; the body
//     lands in the inbox through Deps.PostEvents and the answer says what
//     was posted, or 422 with each bad field's JSON path. It has its own
//     body limit (Options.MaxEventsBytes) and per-partner rate limit
//     (Options.EventsRateLimit). GET /api/v1/events/schema serves the
//     JSON Schema of an event.
//   - /metrics (Prometheus, a registry of the server's own), /healthz
//     (the process serves) and /readyz (the stores answer).
//   - / and /static/...: the dashboard, server-rendered with html/template
//     and embedded assets, no script: overview (with each partner's
//     processing time), messages with filters, a message with its errors
//     highlighted in the parsed view, its attempts and a Replay button,
//     outbox and an outbound message with Retry, partners (Reload
//     profiles; a channel's advice preview and Send advice now),
//     inventory with per-channel availability and divergence, orders
//     (filtered by partner, state and overdue, keyset-paged) and an
//     order's life with each step linked to the message it came from, the
//     audit log.
//
// Searches read the inbox's indexes (inbox.Reader.Search): every filter
// but free text reads only matching messages, pages are keyset (the
// before cursor, no totals), and a text search reads at most
// maxSearchScan messages per page and says when it stopped.
//
// Operator actions (replay, retry, reserve, release, reload, advice sent
// now) go to Deps.Audit (package audit) with who, from where, on what
// and how they ended.
//
// Server.Metrics returns the hooks the pipeline and transports call
// (ObserveMessage, TransportConnection, TransportBytes); store figures are
// read at scrape time, and those that scan a whole store (messages by
// partner and state, overdue acknowledgements) at most once per
// Options.MetricsScanEvery. /metrics needs a token of either role (a
// Prometheus bearer token) unless Options.PublicMetrics is set.
//
// # Authentication
//
// Tokens come from the configuration as a name, the hex SHA-256 of the
// secret (HashToken; NewToken makes one) and a role: read-only reads,
// operator also replays, retries, reserves, reloads profiles and builds
// or sends advice. The API takes
// "Authorization: Bearer <secret>"; the secret's SHA-256 is compared with
// every configured hash in constant time. No token: 401; a read-only token
// on an operator route: 403.
//
// The dashboard logs in with the same tokens. The session cookie
// (dockside_session: HttpOnly, SameSite=Strict, Secure with
// Options.SecureCookies) holds the token's name, an expiry
// (Options.SessionTTL) and an HMAC-SHA256 of both and of the token's hash
// under the session key (Options.SessionKey, random per process by
// default; the gateway gives one that its nodes share and that outlives a
// restart, kept by web/postgres on PostgreSQL): never the token. Changing or removing the token ends its
// sessions, and so does a restart with a random key; logging out clears
// the cookie (the server keeps no session list, so a copied cookie stays
// valid until it expires). The cookie also authenticates API GETs (the
// dashboard's export links), never other API methods. Replay, Retry,
// Reload, Preview advice and Send advice now are POST forms carrying a
// CSRF token (an HMAC of the session), and a foreign Origin header is
// refused.
//
// The rule without tokens: when Deps.Tokens is empty, requests from a
// loopback address that also name a loopback host (localhost, 127.0.0.1,
// [::1]; a DNS-rebinding page cannot) are read-only, and everything else
// is 401. Operator actions then answer 403. To replay from the demo's
// dashboard, configure an operator token, or mint one at start with
// NewToken and print it once.
//
// # Limits
//
// Each token (and each client address without one, login attempts and
// failed authentications included; behind a reverse proxy every client
// has the proxy's address) has a token bucket
// (golang.org/x/time/rate, Options.RateLimit and RateBurst, 20/s burst 40
// by default; the gateway's http.rate_limit and http.rate_burst); past it:
// 429 with Retry-After in seconds. /healthz and /readyz are not limited
// (health checks come through one proxy address). Request bodies
// are cut at Options.MaxBodyBytes (413). API handlers run under
// http.TimeoutHandler (Options.Timeout, 503 after it) except the raw
// download and the Excel exports, which stream and honour the request's
// context; the http.Server's own timeouts are the caller's. The access
// log names the route, status, duration and token name, never a secret
// or a cookie.
package web
