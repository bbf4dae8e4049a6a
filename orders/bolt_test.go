package orders_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/dockside-edi/dockside/mapping"
	bolt "go.etcd.io/bbolt"

	"github.com/dockside-edi/dockside/orders"
	"github.com/dockside-edi/dockside/orders/orderstest"
)

func openBolt(t *testing.T) orders.Store {
	s, err := orders.OpenBolt(filepath.Join(t.TempDir(), "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBoltContract runs the store contract suite on bbolt.
func TestBoltContract(t *testing.T) { orderstest.Run(t, openBolt) }

// TestBoltReadsOrderBook: orders.db as the order book before this
// package wrote it (mapping.OrderState values, shipments, pending
// marks) reads as records and marks.
func TestBoltReadsOrderBook(t *testing.T) {
	file := filepath.Join(t.TempDir(), "orders.db")
	db, err := bolt.Open(file, 0o640, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := mapping.OrderState{Partner: "shopmart", Number: "SO-1", Open: true, Lines: []mapping.OrderLine{{SKU: "RED", Location: "dallas", Quantity: 5}},
		By: mapping.Origin{Document: "doc-1", Message: 3}}
	v, _ := json.Marshal(&st)
	ship := mapping.OrderState{Kind: mapping.KindShipment, Partner: "acme", Number: "SHP-1", Open: true, By: mapping.Origin{Document: "doc-s"}}
	shipV, _ := json.Marshal(&ship)
	st2 := st
	st2.Number, st2.By = "SO-2", mapping.Origin{Document: "doc-2"}
	v2, _ := json.Marshal(&st2)
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("orders"))
		if err != nil {
			return err
		}
		if err := b.Put(orders.Key("shopmart", "SO-1"), v); err != nil {
			return err
		}
		// A shipment (856 partner + BSN02) and an order written before
		// its posting, as the book of main before this package kept them.
		if err := b.Put([]byte("acme\x00shipment\x00SHP-1"), shipV); err != nil {
			return err
		}
		if err := b.Put(orders.Key("shopmart", "SO-2"), v2); err != nil {
			return err
		}
		p, err := tx.CreateBucket([]byte("pending"))
		if err != nil {
			return err
		}
		if err := p.Put(orders.Key("shopmart", "SO-2"), []byte(`{"prev":null,"keys":["doc-2","legacy-2"]}`)); err != nil {
			return err
		}
		m, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return m.Put([]byte("seeded"), []byte("2026-11-25T00:00:00Z"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := orders.OpenBolt(file)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Get(context.Background(), mapping.KindOrder, "shopmart", "SO-1")
	if err != nil || !r.Open || r.By != st.By || len(r.Lines) != 1 || r.Status() != orders.Allocated {
		t.Errorf("old order state read as %+v %v", r, err)
	}
	if r, err := s.Get(context.Background(), mapping.KindShipment, "acme", "SHP-1"); err != nil || r.By != ship.By {
		t.Errorf("old shipment read as %+v %v", r, err)
	}
	if m, err := s.Mark(context.Background(), mapping.KindOrder, "shopmart", "SO-2"); err != nil || m == nil || m.Prev != nil ||
		len(m.Keys) != 2 || m.Next == nil || m.Next.By != st2.By {
		t.Errorf("old pending mark read as %+v %v", m, err)
	}
	if ok, _ := s.Seeded(context.Background()); !ok {
		t.Error("the old book's seeded mark is lost")
	}
}
