package ledger

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSortedIndexes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{0, 1, 'a', 'b', 0xff}
	for round := range 200 {
		n := rng.IntN(300)
		keys := make([][]byte, n)
		for i := range keys {
			switch {
			case i > 0 && rng.IntN(5) == 0: // duplicates
				keys[i] = keys[rng.IntN(i)]
			case i > 0 && rng.IntN(4) == 0: // a prefix of, or an extension of, another key
				k := keys[rng.IntN(i)]
				if rng.IntN(2) == 0 {
					keys[i] = k[:rng.IntN(len(k)+1)]
				} else {
					keys[i] = append(slices.Clone(k), alphabet[rng.IntN(len(alphabet))])
				}
			default:
				k := make([]byte, rng.IntN(30))
				for j := range k {
					k[j] = alphabet[rng.IntN(len(alphabet))]
				}
				keys[i] = k
			}
		}
		got := sortedIndexes(keys)
		want := make([]int32, n)
		for i := range want {
			want[i] = int32(i)
		}
		slices.SortStableFunc(want, func(a, b int32) int { return bytes.Compare(keys[a], keys[b]) })
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: %v, want %v", round, got, want)
		}
	}
}
