package gateway

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/dockside-edi/dockside/mapping"
	"github.com/dockside-edi/dockside/orders"
)

// OpenOrderBookReadOnly opens the order book of the data folder data for
// reading (a dry run settles order documents against it): get returns an
// order's state, nil when the order is unknown. It fails when another
// process (serve) holds the book for longer than a few seconds. A
// record written before a posting a crash interrupted is read as written
// (the book cannot settle it: serve does, at its next read).
func OpenOrderBookReadOnly(data string) (get func(partner, number string) (*mapping.OrderState, error), close func() error, err error) {
	st, err := orders.OpenBoltReadOnly(filepath.Join(data, "orders.db"))
	if err != nil {
		return nil, nil, err
	}
	return func(partner, number string) (*mapping.OrderState, error) {
		r, err := st.Get(context.Background(), mapping.KindOrder, partner, number)
		if errors.Is(err, orders.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return &r.OrderState, nil
	}, st.Close, nil
}

// OpenTryOptions opens the order book of data folder data for reading,
// as OpenOrderBookReadOnly does, and returns what a dry run reads of it:
// order documents settled against their orders, 945s against the orders
// their 940s carried.
func OpenTryOptions(data string) (TryOptions, func() error, error) {
	st, err := orders.OpenBoltReadOnly(filepath.Join(data, "orders.db"))
	if err != nil {
		return TryOptions{}, nil, err
	}
	ctx := context.Background()
	return TryOptions{
		Orders: func(partner, number string) (*mapping.OrderState, error) {
			r, err := st.Get(ctx, mapping.KindOrder, partner, number)
			if errors.Is(err, orders.ErrNotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			return &r.OrderState, nil
		},
		Shipments: func(warehouse, order string) (*orders.Record, error) {
			r, err := st.ByWarehouse(ctx, warehouse, order)
			if errors.Is(err, orders.ErrNotFound) {
				return nil, nil
			}
			return r, err
		},
	}, st.Close, nil
}

// Order returns an order's state as it stands, nil when it is unknown.
func (g *Gateway) Order(partner, number string) (*mapping.OrderState, error) {
	r, err := g.orders.get(context.Background(), mapping.KindOrder, partner, number)
	if r == nil || err != nil {
		return nil, err
	}
	return &r.OrderState, nil
}
