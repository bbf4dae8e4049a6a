package documents

import (
	"math/rand/v2"
	"testing"
)

// TestStrtabCodeIsExact interns every string of one to seven bytes over a
// small alphabet (so that many share bytes, prefixes and suffixes), in
// random orders: each call must give back exactly its bytes, and decimal
// must agree with validDecimal.
func TestStrtabCodeIsExact(t *testing.T) {
	var all []string
	var gen func(prefix string)
	gen = func(prefix string) {
		if len(prefix) > 0 {
			all = append(all, prefix)
		}
		if len(prefix) == 7 {
			return
		}
		for _, c := range "1.\x00" {
			gen(prefix + string(c))
		}
	}
	gen("")
	rng := rand.New(rand.NewPCG(1, 2))
	var tab strtab
	for round := range 4 {
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		for _, s := range all {
			if got := tab.code([]byte(s)); got != s {
				t.Fatalf("round %d: code(%q) = %q", round, s, got)
			}
			got, ok := tab.decimal([]byte(s))
			if want := validDecimal(s); ok != want || ok && got != s {
				t.Fatalf("round %d: decimal(%q) = %q, %v; valid %v", round, s, got, ok, want)
			}
		}
	}
}
