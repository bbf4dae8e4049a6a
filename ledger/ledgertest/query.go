package ledgertest

import (
	"github.com/dockside-edi/dockside/ledger"

	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// stock posts a receipt of qty for each (sku, loc) in one document.
func stock(t *testing.T, l ledger.Store, key string, rows ...any) {
	t.Helper()
	var ms []ledger.Movement
	for i := 0; i < len(rows); i += 3 {
		ms = append(ms, ledger.Movement{SourceKey: src(), SKU: rows[i].(string), Location: rows[i+1].(string), Kind: ledger.KindReceipt, Quantity: int64(rows[i+2].(int)), Effective: at(1)})
	}
	mustPost(t, l, key, ms...)
}

func positions(bs []ledger.Balance) []string {
	var out []string
	for _, b := range bs {
		out = append(out, fmt.Sprintf("%s@%s=%d", b.SKU, b.Location, b.OnHand))
	}
	return out
}

func testBalances(t *testing.T, open Open) {
	l := openTest(t, open)
	stock(t, l, "d1",
		"B2", "WH1", 1,
		"A1", "WH2", 2,
		"A1", "WH1", 3,
		"A10", "WH1", 4,
		"C", "WH3", 5,
		"A1-X", "WH2", 6,
	)
	tests := []struct {
		name string
		f    ledger.Filter
		want []string
	}{
		{"all in SKU order", ledger.Filter{}, []string{"A1@WH1=3", "A1@WH2=2", "A1-X@WH2=6", "A10@WH1=4", "B2@WH1=1", "C@WH3=5"}},
		{"prefix", ledger.Filter{SKUPrefix: "A1"}, []string{"A1@WH1=3", "A1@WH2=2", "A1-X@WH2=6", "A10@WH1=4"}},
		{"prefix matching nothing", ledger.Filter{SKUPrefix: "Z"}, nil},
		{"locations", ledger.Filter{Locations: []string{"WH2", "WH3"}}, []string{"A1@WH2=2", "A1-X@WH2=6", "C@WH3=5"}},
		{"limit", ledger.Filter{Limit: 2}, []string{"A1@WH1=3", "A1@WH2=2"}},
		{"after", ledger.Filter{After: ledger.Position{SKU: "A1", Location: "WH2"}, Limit: 2}, []string{"A1-X@WH2=6", "A10@WH1=4"}},
		{"after within prefix", ledger.Filter{SKUPrefix: "A1", After: ledger.Position{SKU: "A1-X", Location: "WH2"}}, []string{"A10@WH1=4"}},
		{"after before prefix", ledger.Filter{SKUPrefix: "B", After: ledger.Position{SKU: "A1", Location: "WH1"}}, []string{"B2@WH1=1"}},
		{"after past the end", ledger.Filter{After: ledger.Position{SKU: "Z", Location: "Z"}}, nil},
		{"after a position that does not exist", ledger.Filter{After: ledger.Position{SKU: "A1", Location: "WH15"}}, []string{"A1@WH2=2", "A1-X@WH2=6", "A10@WH1=4", "B2@WH1=1", "C@WH3=5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.Balances(t.Context(), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(positions(got), tt.want) {
				t.Errorf("got %v, want %v", positions(got), tt.want)
			}
		})
	}
	// Paging through everything one at a time visits every balance once.
	var paged []ledger.Balance
	f := ledger.Filter{Limit: 1}
	for {
		page, err := l.Balances(t.Context(), f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		f.After = ledger.Position{SKU: page[len(page)-1].SKU, Location: page[len(page)-1].Location}
	}
	if len(paged) != 6 {
		t.Errorf("paging found %d balances", len(paged))
	}
}

func testBalanceAcrossLocations(t *testing.T, open Open) {
	l := openTest(t, open)
	stock(t, l, "d1", "A1", "WH1", 3, "A1", "WH2", 4, "A10", "WH1", 100)
	mustPost(t, l, "d2",
		with(mv(ledger.KindInTransit, 5, 1), expected(24)),
		with(mv(ledger.KindInTransit, 6, 1), func(m *ledger.Movement) { m.Location = "WH2"; m.Expected = at(24) }),
		with(mv(ledger.KindInTransit, 7, 1), func(m *ledger.Movement) { m.Location = "WH2"; m.Expected = at(12) }),
		with(mv(ledger.KindAllocate, 2, 1), func(m *ledger.Movement) { m.Location = "WH2"; m.Reference.Order = "SO" }),
	)
	b := mustBalance(t, l, "A1", "")
	want := ledger.Quantities{OnHand: 7, Allocated: 2, InTransit: 18}
	if b.Quantities != want || b.Location != "" || b.SKU != "A1" || b.Seq != 2 {
		t.Fatalf("balance %+v, want %+v", b, want)
	}
	if len(b.Incoming) != 2 || !b.Incoming[0].Due.Equal(at(12)) || b.Incoming[0].Quantity != 7 || b.Incoming[1].Quantity != 11 {
		t.Fatalf("incoming %+v", b.Incoming)
	}
	asOf, err := l.BalanceAsOf(t.Context(), "A1", "", at(0.5))
	if err != nil {
		t.Fatal(err)
	}
	if !asOf.Quantities.IsZero() {
		t.Errorf("as of before everything: %+v", asOf)
	}
	if none := mustBalance(t, l, "NOPE", ""); !none.Quantities.IsZero() {
		t.Errorf("unknown SKU %+v", none)
	}
}

func testHistory(t *testing.T, open Open) {
	l := openTest(t, open)
	// Posted out of time order: history is by effective time, newest first.
	m3 := mv(ledger.KindReceipt, 3, 3)
	m1 := mv(ledger.KindReceipt, 1, 1)
	m2 := mv(ledger.KindShipment, 1, 2)
	m2b := mv(ledger.KindReceipt, 9, 2) // same time as m2, posted later: newer
	other := with(mv(ledger.KindReceipt, 5, 2.5), func(m *ledger.Movement) { m.Location = "WH2" })
	mustPost(t, l, "d1", m3, m1)
	mustPost(t, l, "d2", m2, other)
	mustPost(t, l, "d3", m2b)
	want := []string{m3.SourceKey, m2b.SourceKey, m2.SourceKey, m1.SourceKey}
	all, err := l.History(t.Context(), "A1", "WH1", ledger.HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := sourceKeys(all); !slices.Equal(got, want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	if all[0].Document != "d1" || all[1].Document != "d3" {
		t.Errorf("documents %q %q", all[0].Document, all[1].Document)
	}
	// Paging.
	var paged []string
	o := ledger.HistoryOptions{Limit: 3}
	for {
		page, err := l.History(t.Context(), "A1", "WH1", o)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, sourceKeys(page)...)
		o.Before = page[len(page)-1].ID
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged %v, want %v", paged, want)
	}
	// Every location.
	everywhere, err := l.History(t.Context(), "A1", "", ledger.HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantAll := []string{m3.SourceKey, other.SourceKey, m2b.SourceKey, m2.SourceKey, m1.SourceKey}
	if got := sourceKeys(everywhere); !slices.Equal(got, wantAll) {
		t.Errorf("every location %v, want %v", got, wantAll)
	}
	page2, err := l.History(t.Context(), "A1", "", ledger.HistoryOptions{Before: everywhere[1].ID, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := sourceKeys(page2); !slices.Equal(got, wantAll[2:4]) {
		t.Errorf("every location, second page %v, want %v", got, wantAll[2:4])
	}
	// A cursor from another position is refused.
	if _, err := l.History(t.Context(), "A1", "WH1", ledger.HistoryOptions{Before: everywhere[1].ID}); !errors.Is(err, ledger.ErrUnknownCursor) {
		t.Errorf("foreign cursor: %v", err)
	}
	if _, err := l.History(t.Context(), "A1", "WH1", ledger.HistoryOptions{Before: 999}); !errors.Is(err, ledger.ErrUnknownCursor) {
		t.Errorf("missing cursor: %v", err)
	}
	if h, err := l.History(t.Context(), "NOPE", "WH1", ledger.HistoryOptions{}); err != nil || len(h) != 0 {
		t.Errorf("unknown SKU: %v %v", h, err)
	}
}

func sourceKeys(ms []ledger.Movement) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.SourceKey)
	}
	return out
}

func testChangesSince(t *testing.T, open Open) {
	l := openTest(t, open)
	a, b, c := mv(ledger.KindReceipt, 1, 1), mv(ledger.KindReceipt, 2, 1), mv(ledger.KindSnapshot, 5, 2)
	stale := mv(ledger.KindSnapshot, 9, 1.5)
	mustPost(t, l, "d1", a, b)
	mustPost(t, l, "dup", a)   // all duplicates: no change
	mustPost(t, l, "d2", c, a) // a duplicate again, not listed
	mustPost(t, l, "d3", stale)
	changes, err := l.ChangesSince(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 3 {
		t.Fatalf("%d changes", len(changes))
	}
	for i, want := range []struct {
		seq  uint64
		doc  string
		keys []string
	}{
		{1, "d1", []string{a.SourceKey, b.SourceKey}},
		{2, "d2", []string{c.SourceKey}},
		{3, "d3", []string{stale.SourceKey}},
	} {
		ch := changes[i]
		if ch.Seq != want.seq || ch.Document != want.doc || !slices.Equal(sourceKeys(ch.Movements), want.keys) {
			t.Errorf("change %d: %d %s %v, want %+v", i, ch.Seq, ch.Document, sourceKeys(ch.Movements), want)
		}
	}
	if !changes[2].Movements[0].Stale {
		t.Error("stale snapshot not marked stale")
	}
	since, err := l.ChangesSince(t.Context(), 1, 1)
	if err != nil || len(since) != 1 || since[0].Seq != 2 {
		t.Fatalf("since 1 limit 1: %+v %v", since, err)
	}
	if none, err := l.ChangesSince(t.Context(), 3, 0); err != nil || len(none) != 0 {
		t.Fatalf("since 3: %+v %v", none, err)
	}
}

// Balances step over timeline entries, and seek past long timelines.
func testBalancesSkipLongTimelines(t *testing.T, open Open) {
	l := openTest(t, open)
	var ms []ledger.Movement
	for i := range 40 {
		ms = append(ms, with(mv(ledger.KindReceipt, 1, float64(i)), func(m *ledger.Movement) { m.SKU = "B" }))
	}
	for i := range 3 {
		ms = append(ms, with(mv(ledger.KindReceipt, 1, float64(i)), func(m *ledger.Movement) { m.SKU = "A" }))
		ms = append(ms, with(mv(ledger.KindReceipt, 1, float64(i)), func(m *ledger.Movement) { m.SKU = "B"; m.Location = "WH2" }))
		ms = append(ms, with(mv(ledger.KindReceipt, 1, float64(i)), func(m *ledger.Movement) { m.SKU = "C" }))
	}
	mustPost(t, l, "d", ms...)
	for _, f := range []ledger.Filter{{}, {Limit: 1}, {SKUPrefix: "B"}, {After: ledger.Position{SKU: "B", Location: "WH1"}}} {
		var got []string
		for {
			page, err := l.Balances(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, positions(page)...)
			if f.Limit == 0 || len(page) < f.Limit {
				break
			}
			f.After = ledger.Position{SKU: page[len(page)-1].SKU, Location: page[len(page)-1].Location}
		}
		want := []string{"A@WH1=3", "B@WH1=40", "B@WH2=3", "C@WH1=3"}
		switch {
		case f.SKUPrefix == "B":
			want = want[1:3]
		case f.After == ledger.Position{SKU: "B", Location: "WH1"}:
			want = want[2:]
		}
		if !slices.Equal(got, want) {
			t.Errorf("filter %+v: %v, want %v", f, got, want)
		}
	}
	if b := mustBalance(t, l, "B", ""); b.OnHand != 43 {
		t.Errorf("B everywhere: %+v", b)
	}
}

// Allocations live beside the timeline: listing, history and as-of step
// over them, whatever the order names' lengths.
func testAllocationsBesideTimeline(t *testing.T, open Open) {
	l := openTest(t, open)
	var ms []ledger.Movement
	for i := range 25 {
		ms = append(ms, with(mv(ledger.KindAllocate, 1, float64(i)), order(fmt.Sprintf("%015d", i)))) // 15 bytes: key as long as a timeline key
	}
	ms = append(ms, with(mv(ledger.KindReceipt, 9, 1), func(m *ledger.Movement) { m.SKU = "B" }))
	mustPost(t, l, "d", ms...)
	mustPost(t, l, "d2", with(mv(ledger.KindSnapshot, 20, 30), bucket(ledger.BucketAllocated)))
	list, err := l.Balances(t.Context(), ledger.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := positions(list); !slices.Equal(got, []string{"A1@WH1=0", "B@WH1=9"}) || list[0].Allocated != 20 {
		t.Fatalf("balances %v %+v", got, list)
	}
	hist, err := l.History(t.Context(), "A1", "WH1", ledger.HistoryOptions{})
	if err != nil || len(hist) != 26 {
		t.Fatalf("history: %d %v", len(hist), err)
	}
	asOf, err := l.BalanceAsOf(t.Context(), "A1", "WH1", at(10.5))
	if err != nil || asOf.Allocated != 11 {
		t.Fatalf("as of: %+v %v", asOf, err)
	}
}

func testBalanceAsOfExtremes(t *testing.T, open Open) {
	l := openTest(t, open)
	mustPost(t, l, "d", mv(ledger.KindReceipt, 4, 1))
	for _, tt := range []struct {
		at   time.Time
		want int64
	}{
		{time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 4},
		{at(1), 4},
		{at(0.99), 0},
	} {
		b, err := l.BalanceAsOf(t.Context(), "A1", "WH1", tt.at)
		if err != nil || b.OnHand != tt.want {
			t.Errorf("as of %v: %+v %v, want %d", tt.at, b, err, tt.want)
		}
	}
	if _, err := l.BalanceAsOf(t.Context(), "A1", "WH1", time.Time{}); !errors.Is(err, ledger.ErrInvalidTime) {
		t.Errorf("zero time: %v", err)
	}
}
