package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/reservations"
	"github.com/dockside-edi/dockside/web"
)

// Reservations allocates stock for portals and field sales through the
// ledger: the check of available-to-promise and the allocation are one
// ledger transaction (ledger.Movement.RequireAvailable), and the
// idempotency key is the movement's source key, so a retried request
// never allocates twice, even across a crash. Its records live in a
// reservations.Store.
type Reservations struct {
	ledger ledger.Store
	store  reservations.Store
	now    func() time.Time
	g      *Gateway // set by BuildWeb: reservations with a ship-to are orders it routes
}

var _ web.Reservations = (*Reservations)(nil)

// OpenReservations opens the reservation records in the data folder
// (reservations.Bolt).
func OpenReservations(data string, l ledger.Store, now func() time.Time) (*Reservations, error) {
	s, err := reservations.OpenBolt(data)
	if err != nil {
		return nil, err
	}
	return NewReservations(s, l, now), nil
}

// NewReservations serves reservations kept in store (closed by Close).
func NewReservations(store reservations.Store, l ledger.Store, now func() time.Time) *Reservations {
	return &Reservations{ledger: l, store: store, now: now}
}

// Close closes the records.
func (r *Reservations) Close() error { return r.store.Close() }

// get returns the record of key, nil when there is none.
func (r *Reservations) get(ctx context.Context, key string) (*reservations.Record, error) {
	rec, err := r.store.Get(ctx, key)
	if errors.Is(err, reservations.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// result is what the API answers for rec.
func result(rec *reservations.Record) web.ReservationResult {
	return web.ReservationResult{Key: rec.Key, SKU: rec.SKU, Location: rec.Location, Quantity: rec.Quantity, Order: rec.Order,
		Available: rec.Available, Seq: rec.Seq, Created: rec.Created, Replayed: rec.Replayed}
}

// Reserve allocates res.Quantity when that much is available to promise.
func (r *Reservations) Reserve(ctx context.Context, res web.Reservation) (web.ReservationResult, error) {
	order := res.Order
	if order == "" {
		order = res.Key
	}
	if rec, err := r.get(ctx, res.Key); err != nil {
		return web.ReservationResult{}, err
	} else if rec != nil {
		if rec.SKU != res.SKU || rec.Location != res.Location || rec.Quantity != res.Quantity || rec.Order != order {
			return web.ReservationResult{}, fmt.Errorf("%w: %q", web.ErrKeyReused, res.Key)
		}
		if rec.Released.IsZero() {
			// A crash between the release's posting and its record: the
			// ledger knows.
			if err := r.releasedInLedger(ctx, rec); err != nil {
				return web.ReservationResult{}, err
			}
		}
		if !rec.Released.IsZero() {
			// Answering "replayed" would tell the client it holds stock
			// it does not.
			return web.ReservationResult{}, fmt.Errorf("%w: %q was released at %s", web.ErrKeyReleased, res.Key, rec.Released.Format(time.RFC3339))
		}
		if rec.ShipTo && r.g != nil {
			// Made before; its order may not have been (a crash in between).
			res.Order = order
			if err := r.g.reserveOrder(ctx, res); err != nil {
				return web.ReservationResult{}, err
			}
		}
		out := result(rec)
		out.Replayed = true
		return out, nil
	}
	res.Order = order
	shipTo := res.ShipTo != nil && r.g != nil
	if shipTo {
		if err := r.g.reservationOrderConflict(ctx, res); err != nil {
			return web.ReservationResult{}, err
		}
	}
	reason := "reservation"
	if res.Note != "" {
		reason += ": " + res.Note
	}
	pr, err := r.ledger.Post(ctx, ledger.Document{Key: "api|reservation|" + res.Key, Movements: []ledger.Movement{{
		SourceKey: "api|reserve|" + res.Key, SKU: res.SKU, Location: res.Location, Kind: ledger.KindAllocate,
		Quantity: res.Quantity, RequireAvailable: true, Reason: reason,
		Reference: ledger.Reference{Partner: res.Channel, DocumentType: "reservation", Order: order},
	}}})
	bal, berr := r.ledger.Balance(ctx, res.SKU, res.Location)
	if errors.Is(err, ledger.ErrInsufficient) {
		return web.ReservationResult{}, &web.InsufficientError{SKU: res.SKU, Location: res.Location, Requested: res.Quantity, Available: bal.Available()}
	}
	if err != nil {
		return web.ReservationResult{}, err
	}
	if berr != nil {
		return web.ReservationResult{}, berr
	}
	if len(pr.Duplicates) > 0 {
		// Posted before without a record (a crash in between, or the same
		// key asked twice at once): the ledger holds what was allocated,
		// which must be what is asked now.
		seq, err := r.sameAllocation(ctx, res, order)
		if err != nil {
			return web.ReservationResult{}, err
		}
		pr.Seq = max(pr.Seq, seq)
	}
	if shipTo {
		if err := r.g.reserveOrder(ctx, res); err != nil {
			return web.ReservationResult{}, err
		}
	}
	rec := &reservations.Record{Key: res.Key, SKU: res.SKU, Location: res.Location,
		Quantity: res.Quantity, Order: order, Available: bal.Available(), Seq: pr.Seq, Created: r.now().UTC(),
		Replayed: len(pr.Duplicates) > 0, Channel: res.Channel, ShipTo: shipTo}
	if err := r.store.Create(ctx, *rec); errors.Is(err, reservations.ErrExists) {
		// The same key asked at once elsewhere (another node) recorded it
		// first: answer as for a retry.
		return r.Reserve(ctx, res)
	} else if err != nil {
		return web.ReservationResult{}, err
	}
	return result(rec), nil
}

// releasedInLedger marks rec released (and records it) when the ledger
// holds its release: Release posted it and stopped before its record.
func (r *Reservations) releasedInLedger(ctx context.Context, rec *reservations.Record) error {
	ms, err := r.ledger.SourceMovements(ctx, []string{"api|release|" + rec.Key})
	if err != nil || ms[0].ID == 0 {
		return err
	}
	*rec, err = r.store.Release(ctx, rec.Key, ms[0].Recorded.UTC())
	return err
}

// sameAllocation checks that the allocation the ledger holds under res's
// key is the one res asks for, and returns its sequence number.
func (r *Reservations) sameAllocation(ctx context.Context, res web.Reservation, order string) (uint64, error) {
	ms, err := r.ledger.SourceMovements(ctx, []string{"api|reserve|" + res.Key})
	if err != nil {
		return 0, err
	}
	if m := ms[0]; m.ID != 0 && (m.SKU != res.SKU || m.Location != res.Location || m.Quantity != res.Quantity || m.Reference.Order != order) {
		return 0, fmt.Errorf("%w: %q (it allocated %d of %s at %s)", web.ErrKeyReused, res.Key, m.Quantity, m.SKU, m.Location)
	}
	return ms[0].Seq, nil
}

// Release frees what a reservation allocated.
func (r *Reservations) Release(ctx context.Context, key string) error {
	rec, err := r.get(ctx, key)
	if err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("%w: %q", web.ErrNoReservation, key)
	}
	if !rec.Released.IsZero() {
		return nil
	}
	_, err = r.ledger.Post(ctx, ledger.Document{Key: "api|release|" + key, Movements: []ledger.Movement{{
		SourceKey: "api|release|" + key, SKU: rec.SKU, Location: rec.Location, Kind: ledger.KindRelease,
		Quantity: rec.Quantity, Reason: "reservation released",
		Reference: ledger.Reference{Partner: rec.Channel, DocumentType: "reservation", Order: rec.Order},
	}}})
	if err != nil {
		return err
	}
	if rec.ShipTo && r.g != nil {
		if err := r.g.releaseOrder(ctx, rec.Channel, rec.Order, key); err != nil {
			return err
		}
	}
	_, err = r.store.Release(ctx, key, r.now().UTC())
	return err
}
