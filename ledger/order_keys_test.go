package ledger

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
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

// TestPositionHashCollisions posts the same random documents into a
// ledger whose writer indexes positions by a hash that collides all the
// time and into a normal one: balances must come out the same.
func TestPositionHashCollisions(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var docs []Document
	for i := range 60 {
		docs = append(docs, randomDocument(rng, fmt.Sprintf("h%d", i), docs))
	}
	normal, colliding := openTest(t), openTest(t)
	colliding.keyHash = func(_ maphash.Seed, b []byte) uint64 { return uint64(len(b) % 2) }
	for _, d := range docs {
		for _, l := range []*Ledger{normal, colliding} {
			if _, err := l.Post(context.Background(), d); err != nil {
				t.Fatal(err)
			}
		}
	}
	a, b := allBalances(t, normal), allBalances(t, colliding)
	if len(a) < 3 || !slices.EqualFunc(a, b, sameBalance) {
		t.Fatalf("balances differ:\n%+v\n%+v", a, b)
	}
}
