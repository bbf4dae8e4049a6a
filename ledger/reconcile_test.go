package ledger

import (
	"errors"
	"slices"
	"testing"
)

func TestReconcile(t *testing.T) {
	l := openTest(t)
	stock(t, l, "d1",
		"A", "WH1", 10,
		"B", "WH1", 5,
		"C", "WH1", 7, // the count leaves C out: partner has 0
		"A", "WH2", 99, // another location: ignored
	)
	mustPost(t, l, "later", with(mv(KindShipment, 2, 50), func(m *Movement) { m.SKU = "A" }))
	counts := []Count{{"A", 8}, {"B", 5}, {"D", 3}} // D: the ledger has none
	rep, err := l.Reconcile(t.Context(), "WH1", counts, ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Divergence{
		{SKU: "C", Ledger: 7, Partner: 0, Difference: -7},
		{SKU: "D", Ledger: 0, Partner: 3, Difference: 3},
	}
	if !slices.Equal(rep.Divergences, want) || rep.Compared != 4 || rep.Posted != nil || rep.Bucket != BucketOnHand {
		t.Fatalf("report %+v, want %+v", rep, want)
	}
	// As of a time before the shipment of A.
	rep, err = l.Reconcile(t.Context(), "WH1", counts, ReconcileOptions{AsOf: at(10)})
	if err != nil {
		t.Fatal(err)
	}
	want = append([]Divergence{{SKU: "A", Ledger: 10, Partner: 8, Difference: -2}}, want...)
	if !slices.Equal(rep.Divergences, want) {
		t.Fatalf("as of: %+v, want %+v", rep.Divergences, want)
	}
	if b := mustBalance(t, l, "C", "WH1"); b.OnHand != 7 {
		t.Fatalf("report-only reconcile posted: %+v", b)
	}
	// Post the count as snapshots taken at hour 10.
	opts := ReconcileOptions{AsOf: at(10), Post: true, DocumentKey: "846/3PL/1", Reference: Reference{Partner: "3PL", DocumentType: "846"}}
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
	rep, err = l.Reconcile(t.Context(), "WH1", counts, ReconcileOptions{AsOf: at(10)})
	if err != nil || len(rep.Divergences) != 0 {
		t.Errorf("after posting: %+v %v", rep.Divergences, err)
	}
}

func TestReconcileBadInput(t *testing.T) {
	l := openTest(t)
	for _, tt := range []struct {
		name   string
		loc    string
		counts []Count
		opts   ReconcileOptions
		err    error
	}{
		{"empty location", "", nil, ReconcileOptions{}, ErrEmptyLocation},
		{"empty SKU", "WH1", []Count{{"", 1}}, ReconcileOptions{}, ErrEmptySKU},
		{"negative", "WH1", []Count{{"A", -1}}, ReconcileOptions{}, ErrNegativeQuantity},
		{"too large", "WH1", []Count{{"A", MaxQuantity + 1}}, ReconcileOptions{}, ErrOverflow},
		{"twice", "WH1", []Count{{"A", 1}, {"A", 2}}, ReconcileOptions{}, ErrDuplicateCount},
		{"unknown bucket", "WH1", nil, ReconcileOptions{Bucket: 17}, ErrUnknownBucket},
		{"post without key", "WH1", []Count{{"A", 1}}, ReconcileOptions{Post: true}, ErrEmptyDocumentKey},
	} {
		if _, err := l.Reconcile(t.Context(), tt.loc, tt.counts, tt.opts); !errors.Is(err, tt.err) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
		}
	}
	assertEmpty(t, l)
}
