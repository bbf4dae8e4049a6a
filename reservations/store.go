package reservations

import (
	"context"
	"time"
)

// Record is one reservation as kept. Its JSON form is the bbolt file
// format (reservations.db), unchanged since the gateway kept it.
type Record struct {
	Key      string `json:"key"` // the Idempotency-Key / reservation key
	SKU      string `json:"sku"`
	Location string `json:"location"`
	Quantity int64  `json:"quantity"`
	Order    string `json:"order"`
	// Available is what the location had available to promise after the
	// allocation.
	Available int64 `json:"available"`
	// Seq is the ledger change sequence number of the allocation.
	Seq     uint64    `json:"seq"`
	Created time.Time `json:"created"`
	// Replayed means the ledger held the allocation before the record
	// was made (a crash in between, or the key asked twice at once).
	Replayed bool `json:"replayed"`
	// Released is when the reservation was released; zero while held.
	Released time.Time `json:"released,omitempty"`
	// Channel and ShipTo: a reservation with a ship-to is a line of the
	// channel's order.
	Channel string `json:"channel,omitempty"`
	ShipTo  bool   `json:"ship_to,omitempty"`
}

// Store keeps the reservation records, one per key. Bolt is the embedded
// implementation; reservations/postgres keeps them in PostgreSQL. Every
// implementation passes reservations/reservationstest.
type Store interface {
	// Get returns the record of key, or ErrNotFound.
	Get(ctx context.Context, key string) (Record, error)
	// Create keeps a new record. When its key is held already it changes
	// nothing and returns an error wrapping ErrExists; of concurrent
	// creates of one key exactly one succeeds.
	Create(ctx context.Context, r Record) error
	// Release marks the reservation of key released at `at` and returns
	// the record; a reservation released before keeps its first time.
	// An unknown key returns ErrNotFound.
	Release(ctx context.Context, key string, at time.Time) (Record, error)
	// List returns up to limit records with keys after `after`, in key
	// order (byte order), for paging through all of them.
	List(ctx context.Context, after string, limit int) ([]Record, error)
	// Close closes the store.
	Close() error
}

// Equal reports whether r and o are the same record, times compared as
// instants.
func (r Record) Equal(o Record) bool {
	tr, to, rr, ro := r.Created, o.Created, r.Released, o.Released
	r.Created, o.Created, r.Released, o.Released = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return r == o && tr.Equal(to) && rr.Equal(ro)
}
