package ledgertest

import (
	"github.com/dockside-edi/dockside/ledger"

	"errors"
	"slices"
	"testing"
)

func testReconcile(t *testing.T, open Open) {
	l := openTest(t, open)
	stock(t, l, "d1",
		"A", "WH1", 10,
		"B", "WH1", 5,
		"C", "WH1", 7, // the count leaves C out: partner has 0
		"A", "WH2", 99, // another location: ignored
	)
	mustPost(t, l, "later", with(mv(ledger.KindShipment, 2, 50), func(m *ledger.Movement) { m.SKU = "A" }))
	counts := []ledger.Count{{SKU: "A", Quantity: 8}, {SKU: "B", Quantity: 5}, {SKU: "D", Quantity: 3}} // D: the ledger has none
	rep, err := l.Reconcile(t.Context(), "WH1", counts, ledger.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []ledger.Divergence{
		{SKU: "C", Ledger: 7, Partner: 0, Difference: -7},
		{SKU: "D", Ledger: 0, Partner: 3, Difference: 3},
	}
	if !slices.Equal(rep.Divergences, want) || rep.Compared != 4 || rep.Posted != nil || rep.Bucket != ledger.BucketOnHand {
		t.Fatalf("report %+v, want %+v", rep, want)
	}
	// As of a time before the shipment of A.
	rep, err = l.Reconcile(t.Context(), "WH1", counts, ledger.ReconcileOptions{AsOf: at(10)})
	if err != nil {
		t.Fatal(err)
	}
	want = append([]ledger.Divergence{{SKU: "A", Ledger: 10, Partner: 8, Difference: -2}}, want...)
	if !slices.Equal(rep.Divergences, want) {
		t.Fatalf("as of: %+v, want %+v", rep.Divergences, want)
	}
	if b := mustBalance(t, l, "C", "WH1"); b.OnHand != 7 {
		t.Fatalf("report-only reconcile posted: %+v", b)
	}
	// Post the count as snapshots taken at hour 10.
	opts := ledger.ReconcileOptions{AsOf: at(10), Post: true, DocumentKey: "846/3PL/1", Reference: ledger.Reference{Partner: "3PL", DocumentType: "846"}}
	rep, err = l.Reconcile(t.Context(), "WH1", counts, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Posted == nil || rep.Posted.Posted != 4 || rep.Posted.Seq == 0 {
		t.Fatalf("posted %+v", rep.Posted)
	}
	for sku, wantQty := range map[string]int64{"A": 6, "B": 5, "C": 0, "D": 3} {
		if b := mustBalance(t, l, sku, "WH1"); b.OnHand != wantQty {
			t.Errorf("%s on hand %d, want %d (the later shipment stays applied)", sku, b.OnHand, wantQty)
		}
	}
	if b := mustBalance(t, l, "A", "WH2"); b.OnHand != 99 {
		t.Errorf("other location changed: %+v", b)
	}
	// The same count again is all duplicates (C, now zero, is not even
	// posted again).
	rep, err = l.Reconcile(t.Context(), "WH1", counts, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Posted.Posted != 0 || len(rep.Posted.Duplicates) != 3 || rep.Posted.Seq != 0 {
		t.Errorf("repost %+v", rep.Posted)
	}
	// Now the figures agree.
	rep, err = l.Reconcile(t.Context(), "WH1", counts, ledger.ReconcileOptions{AsOf: at(10)})
	if err != nil || len(rep.Divergences) != 0 {
		t.Errorf("after posting: %+v %v", rep.Divergences, err)
	}
}

func testReconcileBadInput(t *testing.T, open Open) {
	l := openTest(t, open)
	for _, tt := range []struct {
		name   string
		loc    string
		counts []ledger.Count
		opts   ledger.ReconcileOptions
		err    error
	}{
		{"empty location", "", nil, ledger.ReconcileOptions{}, ledger.ErrEmptyLocation},
		{"empty SKU", "WH1", []ledger.Count{{SKU: "", Quantity: 1}}, ledger.ReconcileOptions{}, ledger.ErrEmptySKU},
		{"negative", "WH1", []ledger.Count{{SKU: "A", Quantity: -1}}, ledger.ReconcileOptions{}, ledger.ErrNegativeQuantity},
		{"too large", "WH1", []ledger.Count{{SKU: "A", Quantity: ledger.MaxQuantity + 1}}, ledger.ReconcileOptions{}, ledger.ErrOverflow},
		{"twice", "WH1", []ledger.Count{{SKU: "A", Quantity: 1}, {SKU: "A", Quantity: 2}}, ledger.ReconcileOptions{}, ledger.ErrDuplicateCount},
		{"unknown bucket", "WH1", nil, ledger.ReconcileOptions{Bucket: 17}, ledger.ErrUnknownBucket},
		{"post without key", "WH1", []ledger.Count{{SKU: "A", Quantity: 1}}, ledger.ReconcileOptions{Post: true}, ledger.ErrEmptyDocumentKey},
	} {
		if _, err := l.Reconcile(t.Context(), tt.loc, tt.counts, tt.opts); !errors.Is(err, tt.err) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
		}
	}
	assertEmpty(t, l)
}
