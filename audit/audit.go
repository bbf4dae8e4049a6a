package audit

import (
	"context"
	"time"
)

// Actions the gateway records.
const (
	ActionReplay    = "replay"     // a failed message processed again
	ActionRetry     = "retry"      // an outbound message made due now
	ActionReserve   = "reserve"    // stock allocated for a portal or field sales
	ActionRelease   = "release"    // a reservation released
	ActionReload    = "reload"     // partner profiles loaded again
	ActionAdviceNow = "advice-now" // inventory advice sent to a channel now
)

// Entry is one operator action.
type Entry struct {
	ID   uint64    `json:"id"`
	Time time.Time `json:"time"`
	// Who is the token's name ("ops"), or how the action came ("signal").
	Who string `json:"who"`
	// Remote is the client address, for actions over HTTP.
	Remote string `json:"remote,omitempty"`
	Action string `json:"action"`
	// Target is what the action was on: "message 12", "outbox 7",
	// "reservation KEY", "partner shopmart".
	Target string `json:"target,omitempty"`
	// Detail says more: the figures of a reservation, the outcome of a
	// replay.
	Detail string `json:"detail,omitempty"`
	// Error is why the action failed; empty when it succeeded.
	Error string `json:"error,omitempty"`
}

// Filter selects entries in List.
type Filter struct {
	Action string // exact
	Who    string // exact
	Target string // exact
	Before uint64 // page: entries older than this id (0: the newest)
	Limit  int    // default 100
}

// Store is the audit log.
type Store interface {
	// Record appends e (its ID and, when zero, its Time are set) and
	// returns it as stored.
	Record(ctx context.Context, e Entry) (Entry, error)
	// List returns the entries that match f, newest first, and the id
	// to pass as Before for the next page (0: no more).
	List(ctx context.Context, f Filter) ([]Entry, uint64, error)
	// Close closes the store.
	Close() error
}
