package web

import (
	"context"
	"log/slog"
	"time"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/divergence"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/orders"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/partners"
)

// Deps are what the server reads and acts on. Ledger, Inbox, Outbox and
// Partners are required; the others may be left empty.
type Deps struct {
	Ledger ledger.Store
	Inbox  inbox.Reader
	Outbox outbox.Storage
	// Broadcasts is what each channel was told; nil shows none.
	Broadcasts broadcast.Store
	// Partners returns the profiles in use (they may be reloaded at any
	// time; the server calls it once per request).
	Partners func() *partners.Directory
	// Replay puts a failed message back in the queue and processes it
	// with the current profiles on behalf of who (the operator's token
	// name, which the message's history records). It may return before processing ends
	// (ctx has a deadline: Options.ReplayWait); the message it returns
	// is then still received or processing, and the workers finish it.
	// Errors wrapping inbox.ErrNotFound and inbox.ErrState are answered
	// 404 and 409. Nil: replay answers 501.
	Replay func(ctx context.Context, id uint64, who string) (*inbox.Message, error)
	// Orders are the orders' life records; nil: the order endpoints
	// answer 501.
	Orders orders.Store
	// Reload loads the partner profiles again (as SIGHUP does) and
	// returns how many are in use; on error the old ones stay. Nil:
	// reload answers 501.
	Reload func(ctx context.Context) (int, error)
	// Advice builds a partner's 846 inventory advice now (delta: only
	// what changed; send: queued, else recorded as not sent). Nil: the
	// advice endpoint and the dashboard's advice buttons answer 501.
	Advice func(ctx context.Context, partner string, delta, send bool) (*broadcast.Result, error)
	// Audit is the log of operator actions (replay, retry, reservation,
	// release, reload, advice sent now); nil keeps them in the process
	// log only.
	Audit audit.Store
	// Reservations allocates stock for portals and field sales. Nil:
	// the reservation endpoints answer 501.
	Reservations Reservations
	// Divergence returns the current divergence report (partners'
	// figures that differ from ours). Nil: the API answers 501 and the
	// overview shows no divergence card.
	Divergence func(ctx context.Context) (*divergence.Report, error)
	// Storage checks that the shared storage (PostgreSQL) answers; /readyz
	// reports it as "storage". Nil: there is none (bbolt).
	Storage func(ctx context.Context) error
	// PostEvents takes partners' inventory events (POST /api/v1/events).
	// Nil: the endpoint answers 501.
	PostEvents PostEvents
	// Webhooks are the webhook endpoints (change stream subscribers,
	// partners' webhooks). Nil: the webhook endpoints answer 501.
	Webhooks Webhooks
	// Streams returns the change stream subscribers' states (GET
	// /api/v1/streams, the overview, the dockside_stream_* metrics). Nil:
	// the endpoint answers 501.
	Streams func(ctx context.Context) ([]StreamStatus, error)
	// Tokens are the API tokens (see the package doc for the rule when
	// there are none).
	Tokens []Token
	// Logger receives the access log and operator actions; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Options tune a Server. The zero value is right for most uses.
type Options struct {
	// RateLimit is the sustained requests per second allowed per token
	// (and per client address for requests without one); default 20.
	RateLimit float64
	// RateBurst is the burst allowed per token; default 40.
	RateBurst int
	// MaxBodyBytes bounds a request body; default 1 MiB.
	MaxBodyBytes int64
	// Timeout bounds an API request (http.TimeoutHandler: 503 after it);
	// default 30 s. Raw downloads and Excel exports are not bounded by
	// it, only by the http.Server's WriteTimeout and the client.
	Timeout time.Duration
	// ReplayWait is how long a replay request waits for the message to
	// be processed before answering 202; default 10 s (kept below
	// Timeout).
	ReplayWait time.Duration
	// SessionTTL is how long a dashboard login lasts; default 12 h.
	SessionTTL time.Duration
	// SessionKey signs dashboard sessions and CSRF tokens (at least 32
	// bytes). Empty: a random key, so sessions end when the process does.
	SessionKey []byte
	// SecureCookies marks the session cookie Secure (serve over TLS, or
	// behind a proxy that does).
	SecureCookies bool
	// PublicMetrics serves /metrics without a token.
	PublicMetrics bool
	// MetricsScanEvery is how often a scrape may recompute the figures
	// that scan a whole store (messages by partner and state, overdue
	// acknowledgements); scrapes in between reuse the last ones. Default
	// 1 min; negative: every scrape.
	MetricsScanEvery time.Duration
	// MaxRawView is how many bytes of a message the detail shows; the
	// rest is a download. Default 256 KiB.
	MaxRawView int
	// MaxExportRows caps the rows of an Excel export; default 100,000.
	MaxExportRows int
	// MaxEventsBytes bounds a POST /api/v1/events body; default 16 MiB.
	MaxEventsBytes int64
	// EventsRateLimit is the sustained POST /api/v1/events requests per
	// second allowed per partner (each may hold a batch of events);
	// default 200. RateLimit does not apply to them.
	EventsRateLimit float64
	// EventsRateBurst is the burst allowed per partner; default 400.
	EventsRateBurst int
}

func (o Options) withDefaults() Options {
	if o.RateLimit <= 0 {
		o.RateLimit = 20
	}
	if o.RateBurst <= 0 {
		o.RateBurst = 40
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.ReplayWait <= 0 {
		o.ReplayWait = 10 * time.Second
	}
	if o.ReplayWait > o.Timeout*3/4 {
		o.ReplayWait = o.Timeout * 3 / 4
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.MaxRawView <= 0 {
		o.MaxRawView = 256 << 10
	}
	if o.MetricsScanEvery == 0 {
		o.MetricsScanEvery = time.Minute
	}
	if o.MaxExportRows <= 0 {
		o.MaxExportRows = 100_000
	}
	if o.MaxEventsBytes <= 0 {
		o.MaxEventsBytes = 16 << 20
	}
	if o.EventsRateLimit <= 0 {
		o.EventsRateLimit = 200
	}
	if o.EventsRateBurst <= 0 {
		o.EventsRateBurst = 400
	}
	return o
}

// Reservations allocates available-to-promise stock in one step. The
// gateway implements it in the ledger; Reserve must check and allocate
// atomically, so two reservations racing for the last units cannot both
// win.
type Reservations interface {
	// Reserve allocates r.Quantity of r.SKU at r.Location when that much
	// is available to promise, else returns an *InsufficientError. A
	// second call with the same r.Key allocates nothing and returns the
	// first call's result with Replayed set (or an error wrapping
	// ErrKeyReused when its figures differ, or ErrKeyReleased when that
	// reservation was released since: nothing is held under the key).
	Reserve(ctx context.Context, r Reservation) (ReservationResult, error)
	// Release frees what the reservation with this key allocated.
	// Releasing a released reservation succeeds; an unknown key is an
	// error wrapping ErrNoReservation.
	Release(ctx context.Context, key string) error
}

// Reservation is a request to allocate stock, from POST /api/v1/reservations.
type Reservation struct {
	// Key is the request's Idempotency-Key header.
	Key      string `json:"key"`
	SKU      string `json:"sku"`
	Location string `json:"location"`
	Quantity int64  `json:"quantity"`
	// Order is the order number the allocation is kept under; empty
	// means the key.
	Order string `json:"order,omitempty"`
	// Channel is the partner id of the sales channel asking, if any.
	Channel string `json:"channel,omitempty"`
	// Note is free text for the audit trail.
	Note string `json:"note,omitempty"`
	// Requester is the name of the token that asked.
	Requester string `json:"requester,omitempty"`
	// ShipTo, when set, makes the reservation an order to ship: at a
	// location a warehouse partner fulfils, it is sent to that partner as
	// a 940 (reservations under one order number are its lines), and its
	// release cancels it.
	ShipTo *ShipTo `json:"ship_to,omitempty"`
}

// ShipTo is where a reservation's goods are shipped (the 940's N1*ST
// loop); lengths are the X12 ones.
type ShipTo struct {
	Name       string   `json:"name"`                  // N102, 1 to 60
	Street     []string `json:"street,omitempty"`      // N301 lines, at most 2 of 55
	City       string   `json:"city,omitempty"`        // N401, 2 to 30
	State      string   `json:"state,omitempty"`       // N402, 2
	PostalCode string   `json:"postal_code,omitempty"` // N403, 3 to 15
	Country    string   `json:"country,omitempty"`     // N404, 2 to 3
}

// ReservationResult is what a reservation allocated.
type ReservationResult struct {
	Key      string `json:"key"`
	SKU      string `json:"sku"`
	Location string `json:"location"`
	Quantity int64  `json:"quantity"`
	Order    string `json:"order"`
	// Available is what the location has available to promise after the
	// allocation.
	Available int64 `json:"available"`
	// Seq is the ledger change sequence number of the allocation.
	Seq     uint64    `json:"seq"`
	Created time.Time `json:"created"`
	// Replayed means an earlier request with the same key made this
	// reservation; nothing was allocated now.
	Replayed bool `json:"replayed"`
}
