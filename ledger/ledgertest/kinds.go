package ledgertest

import (
	"github.com/dockside-edi/dockside/ledger"

	"slices"
	"testing"
	"time"
)

func order(o string) func(*ledger.Movement) {
	return func(m *ledger.Movement) { m.Reference.Order = o }
}

func reason(r string) func(*ledger.Movement) {
	return func(m *ledger.Movement) { m.Reason = r }
}

func expected(h float64) func(*ledger.Movement) {
	return func(m *ledger.Movement) { m.Expected = at(h) }
}

func takeInTransit(h float64) func(*ledger.Movement) {
	return func(m *ledger.Movement) {
		m.TakeInTransit = true
		if h != 0 {
			m.Expected = at(h)
		}
	}
}

func testKinds(t *testing.T, open Open) {
	tests := []struct {
		name     string
		before   []ledger.Movement // posted first, one document
		m        ledger.Movement   // the movement under test
		delta    ledger.Quantities // its recorded delta
		want     ledger.Quantities // the balance after
		incoming []ledger.Incoming // the in-transit schedule after
	}{
		{
			name:  "receipt",
			m:     mv(ledger.KindReceipt, 10, 1),
			delta: ledger.Quantities{OnHand: 10},
			want:  ledger.Quantities{OnHand: 10},
		},
		{
			name:  "receipt of zero",
			m:     mv(ledger.KindReceipt, 0, 1),
			delta: ledger.Quantities{},
			want:  ledger.Quantities{},
		},
		{
			name:     "expected receipt takes in_transit",
			before:   []ledger.Movement{with(mv(ledger.KindInTransit, 30, 1), expected(48))},
			m:        with(mv(ledger.KindReceipt, 12, 2), takeInTransit(0)),
			delta:    ledger.Quantities{OnHand: 12, InTransit: -12},
			want:     ledger.Quantities{OnHand: 12, InTransit: 18},
			incoming: []ledger.Incoming{{Due: at(48), Quantity: 18}},
		},
		{
			name:   "expected receipt takes in_transit only down to zero",
			before: []ledger.Movement{with(mv(ledger.KindInTransit, 5, 1), expected(48))},
			m:      with(mv(ledger.KindReceipt, 12, 2), takeInTransit(0)),
			delta:  ledger.Quantities{OnHand: 12, InTransit: -5},
			want:   ledger.Quantities{OnHand: 12},
		},
		{
			name: "expected receipt takes its due date first, then earliest",
			before: []ledger.Movement{
				with(mv(ledger.KindInTransit, 5, 1), expected(24)),
				with(mv(ledger.KindInTransit, 5, 1), expected(48)),
				with(mv(ledger.KindInTransit, 5, 1), expected(72)),
			},
			m:        with(mv(ledger.KindReceipt, 8, 2), takeInTransit(72)),
			delta:    ledger.Quantities{OnHand: 8, InTransit: -8},
			want:     ledger.Quantities{OnHand: 8, InTransit: 7},
			incoming: []ledger.Incoming{{Due: at(24), Quantity: 2}, {Due: at(48), Quantity: 5}},
		},
		{
			name:     "receipt without take_in_transit leaves in_transit",
			before:   []ledger.Movement{with(mv(ledger.KindInTransit, 5, 1), expected(24))},
			m:        mv(ledger.KindReceipt, 3, 2),
			delta:    ledger.Quantities{OnHand: 3},
			want:     ledger.Quantities{OnHand: 3, InTransit: 5},
			incoming: []ledger.Incoming{{Due: at(24), Quantity: 5}},
		},
		{
			name:   "shipment",
			before: []ledger.Movement{mv(ledger.KindReceipt, 10, 1)},
			m:      mv(ledger.KindShipment, 4, 2),
			delta:  ledger.Quantities{OnHand: -4},
			want:   ledger.Quantities{OnHand: 6},
		},
		{
			name:   "shipment beyond stock goes negative (oversell shown)",
			before: []ledger.Movement{mv(ledger.KindReceipt, 3, 1)},
			m:      mv(ledger.KindShipment, 5, 2),
			delta:  ledger.Quantities{OnHand: -5},
			want:   ledger.Quantities{OnHand: -2},
		},
		{
			name:   "shipment takes its order's allocation",
			before: []ledger.Movement{mv(ledger.KindReceipt, 10, 1), with(mv(ledger.KindAllocate, 4, 1), order("SO1")), with(mv(ledger.KindAllocate, 3, 1), order("SO2"))},
			m:      with(mv(ledger.KindShipment, 4, 2), order("SO1")),
			delta:  ledger.Quantities{OnHand: -4, Allocated: -4},
			want:   ledger.Quantities{OnHand: 6, Allocated: 3},
		},
		{
			name:   "shipment larger than its allocation takes only the allocation",
			before: []ledger.Movement{mv(ledger.KindReceipt, 10, 1), with(mv(ledger.KindAllocate, 2, 1), order("SO1")), with(mv(ledger.KindAllocate, 3, 1), order("SO2"))},
			m:      with(mv(ledger.KindShipment, 5, 2), order("SO1")),
			delta:  ledger.Quantities{OnHand: -5, Allocated: -2},
			want:   ledger.Quantities{OnHand: 5, Allocated: 3},
		},
		{
			name:   "shipment of an unallocated order",
			before: []ledger.Movement{mv(ledger.KindReceipt, 10, 1), with(mv(ledger.KindAllocate, 3, 1), order("SO2"))},
			m:      with(mv(ledger.KindShipment, 5, 2), order("SO9")),
			delta:  ledger.Quantities{OnHand: -5},
			want:   ledger.Quantities{OnHand: 5, Allocated: 3},
		},
		{
			name:   "allocate",
			before: []ledger.Movement{mv(ledger.KindReceipt, 10, 1)},
			m:      with(mv(ledger.KindAllocate, 4, 2), order("SO1")),
			delta:  ledger.Quantities{Allocated: 4},
			want:   ledger.Quantities{OnHand: 10, Allocated: 4},
		},
		{
			name:   "allocate beyond stock: available goes negative",
			before: []ledger.Movement{mv(ledger.KindReceipt, 1, 1)},
			m:      with(mv(ledger.KindAllocate, 4, 2), order("SO1")),
			delta:  ledger.Quantities{Allocated: 4},
			want:   ledger.Quantities{OnHand: 1, Allocated: 4},
		},
		{
			name:   "release",
			before: []ledger.Movement{with(mv(ledger.KindAllocate, 4, 1), order("SO1"))},
			m:      with(mv(ledger.KindRelease, 3, 2), order("SO1")),
			delta:  ledger.Quantities{Allocated: -3},
			want:   ledger.Quantities{Allocated: 1},
		},
		{
			name:   "release more than the order holds",
			before: []ledger.Movement{with(mv(ledger.KindAllocate, 4, 1), order("SO1")), with(mv(ledger.KindAllocate, 5, 1), order("SO2"))},
			m:      with(mv(ledger.KindRelease, 9, 2), order("SO1")),
			delta:  ledger.Quantities{Allocated: -4},
			want:   ledger.Quantities{Allocated: 5},
		},
		{
			name:     "in_transit",
			m:        with(mv(ledger.KindInTransit, 7, 1), expected(30)),
			delta:    ledger.Quantities{InTransit: 7},
			want:     ledger.Quantities{InTransit: 7},
			incoming: []ledger.Incoming{{Due: at(30), Quantity: 7}},
		},
		{
			name:     "in_transit undated",
			m:        mv(ledger.KindInTransit, 7, 1),
			delta:    ledger.Quantities{InTransit: 7},
			want:     ledger.Quantities{InTransit: 7},
			incoming: []ledger.Incoming{{Quantity: 7}},
		},
		{
			name:     "in_transit cancelled",
			before:   []ledger.Movement{with(mv(ledger.KindInTransit, 7, 1), expected(30)), with(mv(ledger.KindInTransit, 2, 1), expected(10))},
			m:        with(mv(ledger.KindInTransit, -7, 2), expected(30)),
			delta:    ledger.Quantities{InTransit: -7},
			want:     ledger.Quantities{InTransit: 2},
			incoming: []ledger.Incoming{{Due: at(10), Quantity: 2}},
		},
		{
			name:  "adjust up",
			m:     with(mv(ledger.KindAdjust, 5, 1), reason("found")),
			delta: ledger.Quantities{OnHand: 5},
			want:  ledger.Quantities{OnHand: 5},
		},
		{
			name:   "adjust down",
			before: []ledger.Movement{mv(ledger.KindReceipt, 10, 1)},
			m:      with(mv(ledger.KindAdjust, -3, 2), reason("cycle count")),
			delta:  ledger.Quantities{OnHand: -3},
			want:   ledger.Quantities{OnHand: 7},
		},
		{
			name:   "damage",
			before: []ledger.Movement{mv(ledger.KindReceipt, 10, 1)},
			m:      mv(ledger.KindDamage, 2, 2),
			delta:  ledger.Quantities{Damaged: 2},
			want:   ledger.Quantities{OnHand: 10, Damaged: 2},
		},
		{
			name:   "damage repaired",
			before: []ledger.Movement{mv(ledger.KindReceipt, 10, 1), mv(ledger.KindDamage, 2, 1)},
			m:      mv(ledger.KindDamage, -2, 2),
			delta:  ledger.Quantities{Damaged: -2},
			want:   ledger.Quantities{OnHand: 10},
		},
		{
			name:   "quarantine",
			before: []ledger.Movement{mv(ledger.KindReceipt, 10, 1)},
			m:      mv(ledger.KindQuarantine, 3, 2),
			delta:  ledger.Quantities{Quarantined: 3},
			want:   ledger.Quantities{OnHand: 10, Quarantined: 3},
		},
		{
			name:   "quarantine released",
			before: []ledger.Movement{mv(ledger.KindReceipt, 10, 1), mv(ledger.KindQuarantine, 3, 1)},
			m:      mv(ledger.KindQuarantine, -1, 2),
			delta:  ledger.Quantities{Quarantined: -1},
			want:   ledger.Quantities{OnHand: 10, Quarantined: 2},
		},
		{
			name:   "snapshot of on_hand",
			before: []ledger.Movement{mv(ledger.KindReceipt, 10, 1)},
			m:      mv(ledger.KindSnapshot, 8, 2),
			delta:  ledger.Quantities{OnHand: -2},
			want:   ledger.Quantities{OnHand: 8},
		},
		{
			name:   "snapshot of damaged",
			before: []ledger.Movement{mv(ledger.KindReceipt, 10, 1), mv(ledger.KindDamage, 1, 1)},
			m:      with(mv(ledger.KindSnapshot, 4, 2), func(m *ledger.Movement) { m.Bucket = ledger.BucketDamaged }),
			delta:  ledger.Quantities{Damaged: 3},
			want:   ledger.Quantities{OnHand: 10, Damaged: 4},
		},
		{
			name:   "snapshot of quarantined",
			before: []ledger.Movement{mv(ledger.KindReceipt, 10, 1), mv(ledger.KindQuarantine, 5, 1)},
			m:      with(mv(ledger.KindSnapshot, 0, 2), func(m *ledger.Movement) { m.Bucket = ledger.BucketQuarantined }),
			delta:  ledger.Quantities{Quarantined: -5},
			want:   ledger.Quantities{OnHand: 10},
		},
		{
			name:   "snapshot of allocated adjusts no particular order",
			before: []ledger.Movement{with(mv(ledger.KindAllocate, 4, 1), order("SO1"))},
			m:      with(mv(ledger.KindSnapshot, 1, 2), bucket(ledger.BucketAllocated)),
			delta:  ledger.Quantities{Allocated: -3},
			want:   ledger.Quantities{Allocated: 1},
		},
		{
			name:     "snapshot of in_transit books the difference on its due date",
			before:   []ledger.Movement{with(mv(ledger.KindInTransit, 5, 1), expected(24))},
			m:        with(mv(ledger.KindSnapshot, 9, 2), func(m *ledger.Movement) { m.Bucket = ledger.BucketInTransit; m.Expected = at(48) }),
			delta:    ledger.Quantities{InTransit: 4},
			want:     ledger.Quantities{InTransit: 9},
			incoming: []ledger.Incoming{{Due: at(24), Quantity: 5}, {Due: at(48), Quantity: 4}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openTest(t, open)
			if len(tt.before) > 0 {
				mustPost(t, l, "before", tt.before...)
			}
			res := mustPost(t, l, "doc", tt.m)
			if res.Posted != 1 || len(res.Duplicates) != 0 || len(res.Stale) != 0 || res.Seq == 0 {
				t.Fatalf("result %+v", res)
			}
			hist, err := l.History(t.Context(), "A1", "WH1", ledger.HistoryOptions{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != 1 || hist[0].SourceKey != tt.m.SourceKey {
				t.Fatalf("newest history entry %+v, want %s", hist, tt.m.SourceKey)
			}
			if hist[0].Delta != tt.delta {
				t.Errorf("delta %+v, want %+v", hist[0].Delta, tt.delta)
			}
			b := mustBalance(t, l, "A1", "WH1")
			if b.Quantities != tt.want {
				t.Errorf("balance %+v, want %+v", b.Quantities, tt.want)
			}
			if !slices.EqualFunc(b.Incoming, tt.incoming, func(a, b ledger.Incoming) bool { return a.Due.Equal(b.Due) && a.Quantity == b.Quantity }) {
				t.Errorf("incoming %+v, want %+v", b.Incoming, tt.incoming)
			}
			if got, want := b.Available(), tt.want.OnHand-tt.want.Allocated-tt.want.Damaged-tt.want.Quarantined; got != want {
				t.Errorf("available %d, want %d", got, want)
			}
		})
	}
}

func testAvailableNegativeIsReported(t *testing.T, open Open) {
	l := openTest(t, open)
	mustPost(t, l, "d1", mv(ledger.KindReceipt, 2, 1), with(mv(ledger.KindAllocate, 5, 2), order("SO1")), mv(ledger.KindDamage, 1, 2))
	b := mustBalance(t, l, "A1", "WH1")
	if got := b.Available(); got != -4 {
		t.Fatalf("available %d, want -4", got)
	}
	list, err := l.Balances(t.Context(), ledger.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Available() != -4 {
		t.Fatalf("listing %+v hides the oversell", list)
	}
}

func testRecordedFields(t *testing.T, open Open) {
	l := openTest(t, open)
	ref := ledger.Reference{Partner: "ACME", DocumentType: "944", Interchange: "000000123", Group: "45", Transaction: "0001", Line: 3, Order: "PO-9"}
	m := with(mv(ledger.KindReceipt, 10, 1), func(m *ledger.Movement) { m.Reference = ref; m.Reason = "asn 77" })
	res := mustPost(t, l, "944/ACME/123", m)
	hist, err := l.History(t.Context(), "A1", "WH1", ledger.HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 {
		t.Fatalf("history %+v", hist)
	}
	h := hist[0]
	if h.Reference != ref || h.Reason != "asn 77" || h.Document != "944/ACME/123" || h.Seq != res.Seq ||
		h.ID != res.FirstID || !h.Effective.Equal(at(1)) || !h.Recorded.Equal(res.Recorded) || h.Kind != ledger.KindReceipt || h.Quantity != 10 {
		t.Errorf("recorded %+v", h)
	}
	// Effective defaults to the time of the Post call.
	res2 := mustPost(t, l, "d2", with(mv(ledger.KindAdjust, 1, 0), func(m *ledger.Movement) { m.Effective = time.Time{}; m.Reason = "x" }))
	hist, _ = l.History(t.Context(), "A1", "WH1", ledger.HistoryOptions{Limit: 1})
	if e := hist[0].Effective; !e.After(res.Recorded) || e.After(res2.Recorded) {
		t.Errorf("effective %v, want the Post call's time (between %v and %v)", e, res.Recorded, res2.Recorded)
	}
}
