package orders

import "context"

// Store keeps order records, keyed by partner + order number, and finds
// a record by the order number a warehouse knows it by (a dispatch's
// warehouse + order). Implementations are safe for concurrent use; a Put
// is atomic (the record and its warehouse index change together).
type Store interface {
	// Get returns an order's record; the error wraps ErrNotFound when
	// there is none.
	Get(ctx context.Context, partner, number string) (*Record, error)
	// Put stores a record (replacing the one under its key) and indexes
	// its dispatches by warehouse + warehouse order. A warehouse order
	// another record holds fails with ErrOrderTaken, and nothing changes.
	Put(ctx context.Context, r *Record) error
	// Delete removes a record and its index entries; removing an unknown
	// record is no error.
	Delete(ctx context.Context, partner, number string) error
	// ByWarehouse returns the record a warehouse knows by order (our
	// 940's W05-02); the error wraps ErrNotFound when there is none.
	ByWarehouse(ctx context.Context, warehouse, order string) (*Record, error)
	// List returns records in key order (partner, then number) that
	// match f.
	List(ctx context.Context, f Filter) ([]*Record, error)
	// Seed stores records and marks the store seeded, in one atomic
	// step (the gateway fills a new store from the ledger once).
	Seed(ctx context.Context, rs []*Record) error
	// Seeded reports whether Seed ran.
	Seeded(ctx context.Context) (bool, error)
	// Close releases the store.
	Close() error
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
