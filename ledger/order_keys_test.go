package ledger

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestInKeyOrder checks inKeyOrder against a plain sort for keys that are
// sorted, in a few sorted runs, reversed, and random.
func TestInKeyOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	key := func(i int) []byte { return fmt.Appendf(nil, "SKU%06d\x00WH1\x00\xff", i) }
	tests := map[string][][]byte{"empty": nil, "one": {key(1)}}
	var sorted, runs, reversed, random [][]byte
	for i := range 500 {
		sorted = append(sorted, key(i))
		reversed = append(reversed, key(500-i))
		random = append(random, key(rng.IntN(1_000_000)*1000+i))
	}
	for r := range 7 { // 7 documents of sorted keys, interleaved ranges
		for i := range 60 {
			runs = append(runs, key(i*7+r))
		}
	}
	tests["sorted"], tests["runs"], tests["reversed"], tests["random"] = sorted, runs, reversed, random
	for name, keys := range tests {
		t.Run(name, func(t *testing.T) {
			got := inKeyOrder(keys)
			want := make([]int32, len(keys))
			for i := range want {
				want[i] = int32(i)
			}
			slices.SortFunc(want, func(a, b int32) int { return bytes.Compare(keys[a], keys[b]) })
			if !slices.Equal(got, want) {
				t.Fatalf("got %v\nwant %v", got, want)
			}
		})
	}
}
