package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/dockside-edi/dockside/mapping"
	bolt "go.etcd.io/bbolt"
)

// OpenOrderBookReadOnly opens the order book of the data folder data for
// reading (a dry run settles order documents against it): get returns an
// order's state, nil when the order is unknown. It fails when another
// process (serve) holds the book for longer than a few seconds.
func OpenOrderBookReadOnly(data string) (get func(partner, number string) (*mapping.OrderState, error), close func() error, err error) {
	db, err := bolt.Open(filepath.Join(data, "orders.db"), 0o640, &bolt.Options{Timeout: 3 * time.Second, ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("orders: %w", err)
	}
	b := &orderBook{db: db}
	return func(partner, number string) (*mapping.OrderState, error) {
		var st *mapping.OrderState
		err := b.db.View(func(tx *bolt.Tx) error {
			bk := tx.Bucket(bucketOrders)
			if bk == nil {
				return nil
			}
			v := bk.Get(orderKey(mapping.KindOrder, partner, number))
			if v == nil {
				return nil
			}
			st = &mapping.OrderState{}
			return json.Unmarshal(v, st)
		})
		return st, err
	}, b.close, nil
}

// Order returns an order's state as it stands, nil when it is unknown.
func (g *Gateway) Order(partner, number string) (*mapping.OrderState, error) {
	return g.orders.get(context.Background(), mapping.KindOrder, partner, number)
}
