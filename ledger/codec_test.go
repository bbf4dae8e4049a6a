package ledger

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

func sampleMovement() Movement {
	return Movement{
		ID: 7, Seq: 3, SourceKey: "ACME/000000101/1/0001/3", SKU: "A-1", Location: "WH1",
		Kind: KindReceipt, Quantity: 12, TakeInTransit: true,
		Effective: t0, Recorded: t0.Add(time.Hour), Expected: t0.Add(48 * time.Hour),
		Reference: Reference{Partner: "ACME", DocumentType: "944", Interchange: "000000101", Group: "1", Transaction: "0001", Line: 3, Order: "PO-1"},
		Reason:    "asn", Delta: Quantities{OnHand: 12, InTransit: -12},
	}
}

func TestMovementRoundTrip(t *testing.T) {
	for _, m := range []Movement{sampleMovement(), {ID: 1, SourceKey: "s", SKU: "x", Location: "y", Kind: KindSnapshot, Bucket: BucketDamaged, Stale: true, Effective: t0, Recorded: t0},
		{ID: 2, SourceKey: "late", SKU: "x", Location: "y", Kind: KindReceipt, Quantity: 3, Absorbed: true, Effective: t0, Recorded: t0}} {
		got, err := decodeMovement(m.ID, encodeMovement(nil, &m))
		if err != nil {
			t.Fatal(err)
		}
		if got.SourceKey != m.SourceKey || got.Reference != m.Reference || got.Delta != m.Delta || !got.Effective.Equal(m.Effective) ||
			!got.Recorded.Equal(m.Recorded) || !got.Expected.Equal(m.Expected) || got.Stale != m.Stale || got.Absorbed != m.Absorbed || got.TakeInTransit != m.TakeInTransit ||
			got.Kind != m.Kind || got.Bucket != m.Bucket || got.Quantity != m.Quantity || got.Seq != m.Seq || got.Reason != m.Reason {
			t.Errorf("round trip:\n%+v\n%+v", got, m)
		}
	}
}

// FuzzDecodeRecords feeds arbitrary bytes to every decoder of stored
// records and keys: they must fail cleanly (ErrCorrupt), never panic, and
// what they accept must encode back to an equal record.
func FuzzDecodeRecords(f *testing.F) {
	m := sampleMovement()
	f.Add(encodeMovement(nil, &m))
	s := posState{q: Quantities{OnHand: 5, InTransit: 3}, seq: 9, snapMask: 1 << BucketOnHand, incoming: []incomingSlot{{qty: 1}, {dated: true, due: 5, qty: 2}}}
	s.snapAt[BucketOnHand] = 77
	f.Add(encodePosState(nil, &s))
	f.Add(encodePosting(&posting{document: "d", recorded: 5, firstID: 1, count: 2}))
	f.Add(encodeDeltas(nil, Quantities{Damaged: -4}))
	var c chunkBuilder
	c.add(&m)
	f.Add(append([]byte{1}, c.records...))
	f.Add(balanceKey("A", "B"))
	s.tl.set([]tlEntry{{eff: -5, id: 3, delta: Quantities{OnHand: 2}}, {eff: 9, id: 4}})
	s.spilled, s.horizonEff, s.horizonID = true, -9, 2
	f.Add(encodePosState(nil, &s))
	f.Add(encodeBlock(nil, []tlEntry{{eff: 1, id: 1}, {eff: 1, id: 2, delta: Quantities{Allocated: -1}}}))
	f.Add(encodeSourceBlock(nil, []sourceEntry{{[]byte("acme|1|5"), 7}, {[]byte("acme|1|50"), 8}}))
	blockKey := timelineKey([]byte("A\x00B\x00"), 1, 1)
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := decodeMovement(1, b); err == nil {
			again, err := decodeMovement(1, encodeMovement(nil, &m))
			if err != nil || again.SourceKey != m.SourceKey || again.Delta != m.Delta || again.Quantity != m.Quantity {
				t.Fatalf("movement does not round-trip: %v", err)
			}
		}
		if s, err := decodePosState(b); err == nil {
			entries, lerr := s.tl.list()
			again, err := decodePosState(encodePosState(nil, &s))
			if err != nil || again.q != s.q || again.seq != s.seq || len(again.incoming) != len(s.incoming) ||
				again.spilled != s.spilled || again.horizonEff != s.horizonEff || again.horizonID != s.horizonID || again.tl.count() != s.tl.count() {
				t.Fatalf("balance does not round-trip: %v", err)
			}
			if lerr == nil {
				if got, err := again.tl.list(); err != nil || !slices.Equal(got, entries) {
					t.Fatalf("inline timeline does not round-trip: %v", err)
				}
			}
		}
		if entries, err := decodeBlock(blockKey, b, nil); err == nil {
			again, err := decodeBlock(blockKey, encodeBlock(nil, entries), nil)
			if err != nil || !slices.Equal(again, entries) {
				t.Fatalf("timeline block does not round-trip: %v", err)
			}
		}
		if entries, err := decodeSources([]byte("acme|1|5"), b); err == nil && len(entries) > 0 {
			again, err := decodeSources(entries[0].key, encodeSourceBlock(nil, entries))
			if err != nil || !slices.EqualFunc(again, entries, func(x, y sourceEntry) bool { return bytes.Equal(x.key, y.key) && x.id == y.id }) {
				t.Fatalf("source block does not round-trip: %v", err)
			}
		}
		if p, err := decodePosting(1, b); err == nil {
			if again, err := decodePosting(1, encodePosting(&p)); err != nil || again != p {
				t.Fatalf("posting does not round-trip: %v", err)
			}
		}
		if q, err := decodeDeltas(b); err == nil {
			if again, err := decodeDeltas(encodeDeltas(nil, q)); err != nil || again != q {
				t.Fatalf("deltas do not round-trip: %v", err)
			}
		}
		eachInChunk(1, b, 1, func(Movement) bool { return true })
		parsePositionKey(b)
	})
}
