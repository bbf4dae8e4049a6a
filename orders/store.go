package orders

import (
	"context"

	"github.com/dockside-edi/dockside/mapping"
)

// Store keeps order records, keyed by kind + partner + number (an order,
// or a ship notice's shipment: two key spaces), and finds an order's
// record by the order number a warehouse knows it by (a dispatch's
// warehouse + order). Implementations are safe for concurrent use; a Put
// is atomic (the record and its warehouse index change together).
//
// A record can be written before the ledger posting that makes it true,
// marked pending with the record it replaces and the posting's ledger
// document keys (Begin); once the posting is made or refused, End removes
// the mark, putting the previous record back when it was not made. A
// mark a crash left stays until a reader settles it against the ledger
// (Book does, at its next read of the record).
type Store interface {
	// Get returns a record; the error wraps ErrNotFound when there is
	// none.
	Get(ctx context.Context, kind mapping.OrderKind, partner, number string) (*Record, error)
	// Put stores a record (replacing the one under its key: its kind,
	// partner and number) and indexes its dispatches by warehouse +
	// warehouse order. A warehouse order another record holds fails with
	// ErrOrderTaken, and nothing changes.
	Put(ctx context.Context, r *Record) error
	// Delete removes a record, its index entries and its pending mark;
	// removing an unknown record is no error.
	Delete(ctx context.Context, kind mapping.OrderKind, partner, number string) error
	// ByWarehouse returns the order a warehouse knows by order (our
	// 940's W05-02); the error wraps ErrNotFound when there is none.
	ByWarehouse(ctx context.Context, warehouse, order string) (*Record, error)
	// List returns orders (kind mapping.KindOrder; not shipments) in key
	// order (partner, then number) that match f.
	List(ctx context.Context, f Filter) ([]*Record, error)
	// Seed stores records and marks the store seeded, in one atomic
	// step (the gateway fills a new store from the ledger once).
	Seed(ctx context.Context, rs []*Record) error
	// Seeded reports whether Seed ran.
	Seeded(ctx context.Context) (bool, error)
	// Begin stores each change's next record marked pending (the record
	// it replaces and the posting's document keys), all in one atomic
	// step; a warehouse order another record holds fails with
	// ErrOrderTaken, and nothing changes.
	Begin(ctx context.Context, cs []Change) error
	// Marked returns the records marked pending, as written, in key
	// order.
	Marked(ctx context.Context) ([]*Record, error)
	// Mark returns a record's pending mark (Next is the record stored),
	// nil when it has none.
	Mark(ctx context.Context, kind mapping.OrderKind, partner, number string) (*Change, error)
	// End settles pending marks, all in one atomic step: a posting made
	// keeps the record (or stores the outcome's Record in its place), one
	// not made puts back the record the mark holds (none: the record is
	// removed); either way the mark goes. An outcome without a mark
	// stores its Record when posted, else changes nothing.
	End(ctx context.Context, os []Outcome) error
	// Close releases the store.
	Close() error
}

// Change is a record written before the ledger posting it waits for.
type Change struct {
	// Next is the record written.
	Next *Record `json:"-"`
	// Prev is the record it replaces; nil: there was none.
	Prev *Record `json:"prev"`
	// Keys are the posting's ledger document keys (its own and its
	// legacy one): the posting was made when the ledger holds any.
	Keys []string `json:"keys"`
}

// Outcome ends a pending mark.
type Outcome struct {
	Kind            mapping.OrderKind
	Partner, Number string
	// Posted: the posting was made.
	Posted bool
	// Record, when posted and set, is stored in place of the pending
	// record (what was added to it once posted: the 940s sent).
	Record *Record
}

// Filter selects records in List.
type Filter struct {
	// Partner, when set, keeps that partner's orders only.
	Partner string
	// After, when set, starts after this key (Key(partner, number)): the
	// next page.
	After []byte
	// Limit caps the records returned (default 100).
	Limit int
	// Match, when set, keeps the records it accepts (after decoding).
	Match func(*Record) bool
}
