package ledger

import (
	"context"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestAllocationsKeyedByPartnerAndOrder: two channels with the same order
// number hold separate allocations; a release (or a shipment) of one
// takes nothing of the other's. A movement naming the order's partner in
// OrderPartner (a warehouse's 945 shipping a channel's order) takes the
// channel's allocation.
func TestAllocationsKeyedByPartnerAndOrder(t *testing.T) {
	l := openTest(t)
	mustPost(t, l, "stock", Movement{SourceKey: "stock", SKU: "A", Location: "W", Kind: KindReceipt, Quantity: 20})
	alloc := func(partner string, q int64) Movement {
		return Movement{SourceKey: "alloc|" + partner, SKU: "A", Location: "W", Kind: KindAllocate, Quantity: q,
			Reference: Reference{Partner: partner, DocumentType: "940", Order: "1001"}}
	}
	mustPost(t, l, "shopmart", alloc("shopmart", 5))
	mustPost(t, l, "webshop", alloc("webshop", 3))
	if b := mustBalance(t, l, "A", "W"); b.Allocated != 8 {
		t.Fatalf("allocated %d, want 8", b.Allocated)
	}
	mustPost(t, l, "shopmart-cancel", Movement{SourceKey: "cancel|shopmart", SKU: "A", Location: "W", Kind: KindRelease,
		Quantity: MaxQuantity, Reference: Reference{Partner: "shopmart", DocumentType: "940", Order: "1001"}})
	if b := mustBalance(t, l, "A", "W"); b.Allocated != 3 {
		t.Fatalf("after shopmart's cancel: allocated %d, want webshop's 3", b.Allocated)
	}
	// The warehouse ships 2 of webshop's order: its 945 names the order's
	// partner; an allocation of the warehouse's own by that number is none.
	mustPost(t, l, "945", Movement{SourceKey: "945|ship", SKU: "A", Location: "W", Kind: KindShipment, Quantity: 2,
		OrderPartner: "webshop", Reference: Reference{Partner: "acme-3pl", DocumentType: "945", Order: "1001"}})
	if b := mustBalance(t, l, "A", "W"); b.Allocated != 1 || b.OnHand != 18 {
		t.Fatalf("after the 945: %+v, want allocated 1, on hand 18", b)
	}
}

// TestAllocationsLegacyKeys: an allocation stored by order number only
// (a ledger from before allocations were keyed by partner) is taken over
// by the first movement of that order that names a partner, so a cancel
// after the upgrade releases it, and the file verifies.
func TestAllocationsLegacyKeys(t *testing.T) {
	l := openTest(t)
	mustPost(t, l, "stock", Movement{SourceKey: "stock", SKU: "A", Location: "W", Kind: KindReceipt, Quantity: 20})
	mustPost(t, l, "old", Movement{SourceKey: "old", SKU: "A", Location: "W", Kind: KindAllocate, Quantity: 4,
		Reference: Reference{Partner: "shopmart", DocumentType: "940", Order: "SO-1"}})
	// Rewrite the allocation under its old key, as the previous version wrote it.
	err := l.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktPositions)
		now := allocationKey("A", "W", allocationOrder("shopmart", "SO-1"))
		v := b.Get(now)
		if v == nil {
			t.Fatal("no allocation under the partner's key")
		}
		v = append([]byte(nil), v...)
		if err := b.Delete(now); err != nil {
			return err
		}
		return b.Put(append(append(positionPrefix("A", "W"), allocationMark), "SO-1"...), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Verify(context.Background()); err != nil {
		t.Fatalf("the old form does not verify: %v", err)
	}
	mustPost(t, l, "other", Movement{SourceKey: "other", SKU: "A", Location: "W", Kind: KindAllocate, Quantity: 2,
		Reference: Reference{Partner: "webshop", DocumentType: "940", Order: "SO-9"}})
	mustPost(t, l, "ship", Movement{SourceKey: "ship", SKU: "A", Location: "W", Kind: KindShipment, Quantity: 1,
		Reference: Reference{Partner: "shopmart", DocumentType: "945", Order: "SO-1"}})
	if b := mustBalance(t, l, "A", "W"); b.Allocated != 5 {
		t.Fatalf("after shipping 1 of the old order: allocated %d, want 3 + 2", b.Allocated)
	}
	mustPost(t, l, "cancel", Movement{SourceKey: "cancel", SKU: "A", Location: "W", Kind: KindRelease, Quantity: MaxQuantity,
		Reference: Reference{Partner: "shopmart", DocumentType: "940", Order: "SO-1"}})
	if b := mustBalance(t, l, "A", "W"); b.Allocated != 2 {
		t.Fatalf("after cancelling the old order: allocated %d, want webshop's 2", b.Allocated)
	}
	if err := l.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}
