// Package divergencetest is the contract suite of divergence.Store:
// every implementation passes Run.
package divergencetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/divergence"
)

// Run runs the contract suite; open returns a new, empty store, which
// the suite closes.
func Run(t *testing.T, open func(t *testing.T) divergence.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s divergence.Store)
	}{
		{"a later figure replaces the earlier one", replaces},
		{"reported in partner, SKU, location order", order},
		{"since is kept while a divergence lasts", since},
		{"a large report", large},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func reported(t *testing.T, s divergence.Store) string {
	t.Helper()
	rs, err := s.Reported()
	if err != nil {
		t.Fatal(err)
	}
	out := ""
	for _, r := range rs {
		out += fmt.Sprintf("%s/%s/%s=%d@%s ", r.Partner, r.SKU, r.Location, r.Quantity, r.At.Format("15:04"))
	}
	return out
}

func replaces(t *testing.T, s divergence.Store) {
	if err := s.Report(nil); err != nil {
		t.Fatalf("an empty report: %v", err)
	}
	err := s.Report([]divergence.Reported{
		{Partner: "acme", SKU: "A", Location: "dallas", Quantity: 5, At: t0},
		{Partner: "acme", SKU: "B", Location: "dallas", Quantity: 6, At: t0},
		{Partner: "acme", SKU: "A", Location: "reno", Quantity: 7, At: t0},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The same SKU twice in one report: the last figure holds.
	err = s.Report([]divergence.Reported{
		{Partner: "acme", SKU: "A", Location: "dallas", Quantity: 8, At: t0.Add(time.Hour)},
		{Partner: "acme", SKU: "A", Location: "dallas", Quantity: 9, At: t0.Add(time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reported(t, s), "acme/A/dallas=9@13:00 acme/A/reno=7@12:00 acme/B/dallas=6@12:00 "; got != want {
		t.Errorf("reported %s, want %s", got, want)
	}
}

func order(t *testing.T, s divergence.Store) {
	err := s.Report([]divergence.Reported{
		{Partner: "zeta", SKU: "A", Location: "l1", Quantity: 1, At: t0},
		{Partner: "acme", SKU: "B", Location: "l1", Quantity: 2, At: t0},
		{Partner: "acme", SKU: "A", Location: "l2", Quantity: 3, At: t0},
		{Partner: "acme", SKU: "A", Location: "l1", Quantity: 4, At: t0},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reported(t, s), "acme/A/l1=4@12:00 acme/A/l2=3@12:00 acme/B/l1=2@12:00 zeta/A/l1=1@12:00 "; got != want {
		t.Errorf("reported %s, want %s", got, want)
	}
}

func since(t *testing.T, s divergence.Store) {
	row := func(sku string) divergence.Row {
		return divergence.Row{Partner: "shop", Kind: divergence.KindChannel, SKU: sku, Ours: 1, Theirs: 2}
	}
	rows := []divergence.Row{row("A"), row("B")}
	if err := s.Track(rows, t0); err != nil {
		t.Fatal(err)
	}
	if !rows[0].Since.Equal(t0) || !rows[1].Since.Equal(t0) {
		t.Fatalf("first seen: %v %v", rows[0].Since, rows[1].Since)
	}
	// An hour later A still diverges, B ended, C is new.
	rows = []divergence.Row{row("A"), row("C")}
	if err := s.Track(rows, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !rows[0].Since.Equal(t0) || !rows[1].Since.Equal(t0.Add(time.Hour)) {
		t.Fatalf("an hour later: %v %v", rows[0].Since, rows[1].Since)
	}
	// B diverges again: a new incident.
	rows = []divergence.Row{row("B")}
	if err := s.Track(rows, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !rows[0].Since.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("a divergence seen again: since %v", rows[0].Since)
	}
	// Nothing diverges: everything is forgotten.
	if err := s.Track(nil, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	rows = []divergence.Row{row("A")}
	s.Track(rows, t0.Add(4*time.Hour))
	if !rows[0].Since.Equal(t0.Add(4 * time.Hour)) {
		t.Errorf("after a report without divergences: since %v", rows[0].Since)
	}
}

// large: a 3PL's report of a whole warehouse, then a second one.
func large(t *testing.T, s divergence.Store) {
	const n = 20_000
	for round := range 2 {
		figs := make([]divergence.Reported, n)
		for i := range figs {
			figs[i] = divergence.Reported{Partner: "3pl", SKU: fmt.Sprintf("SKU%06d", i), Location: "dallas", Quantity: int64(i + round), At: t0}
		}
		if err := s.Report(figs); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := s.Reported()
	if err != nil || len(rs) != n || rs[n-1].Quantity != n {
		t.Fatalf("%d figures, %v", len(rs), err)
	}
}
