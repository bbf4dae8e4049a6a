package reservations_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/dockside-edi/dockside/reservations"
	"github.com/dockside-edi/dockside/reservations/reservationstest"
	bolt "go.etcd.io/bbolt"
)

// TestBoltContract runs the reservations.Store contract suite on bbolt.
func TestBoltContract(t *testing.T) {
	reservationstest.Run(t, func(t *testing.T) reservations.Store {
		s, err := reservations.OpenBolt(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestBoltFileFormat: a record the gateway wrote before this package
// existed (reservations.db, bucket reservations, key → JSON) reads back.
func TestBoltFileFormat(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "reservations.db"), 0o640, nil)
	if err != nil {
		t.Fatal(err)
	}
	const old = `{"key":"k1","sku":"A","location":"dallas","quantity":6,"order":"SO-1","available":4,"seq":7,` +
		`"created":"2026-03-01T08:00:00.123456789Z","replayed":false,"released":"2026-03-01T09:00:00Z","channel":"shop","ship_to":true}`
	if err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("reservations"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k1"), []byte(old))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := reservations.OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get(t.Context(), "k1")
	if err != nil {
		t.Fatal(err)
	}
	if got.SKU != "A" || got.Quantity != 6 || got.Order != "SO-1" || got.Seq != 7 || got.Channel != "shop" || !got.ShipTo ||
		got.Created.Nanosecond() != 123456789 || got.Released.Hour() != 9 {
		t.Errorf("read %+v", got)
	}
	b, _ := json.Marshal(got)
	if string(b) != old {
		t.Errorf("written back as\n%s\nwant\n%s", b, old)
	}
}
