package ledger

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
)

// parallelSortMin is the document size from which the source keys are
// sorted on their own goroutine while the movements are checked.
const parallelSortMin = 4096

// docOrder holds a document's source keys and their order, worked out
// before the document reaches the committer (so that, with concurrent
// posters, the work runs beside other commits): each movement's source
// key, the movement indexes sorted by it, and the indexes of movements
// that repeat an earlier movement's key.
type docOrder struct {
	srcKeys  [][]byte
	bySource []int32
	repeats  []int32
}

// orderOf builds and sorts a prepared document's source keys.
func orderOf(doc *Document) docOrder {
	ms := doc.Movements
	size := 0
	for i := range ms {
		size += len(ms[i].SourceKey)
	}
	buf := make([]byte, 0, size)
	o := docOrder{srcKeys: make([][]byte, len(ms))}
	for i := range ms {
		start := len(buf)
		buf = append(buf, ms[i].SourceKey...)
		o.srcKeys[i] = buf[start:len(buf):len(buf)]
	}
	o.bySource = sortedIndexes(o.srcKeys)
	// Equal keys sort by index: the first one is the original.
	for j := 1; j < len(o.bySource); j++ {
		if bytes.Equal(o.srcKeys[o.bySource[j]], o.srcKeys[o.bySource[j-1]]) {
			o.repeats = append(o.repeats, o.bySource[j])
		}
	}
	return o
}

// sortedIndexes returns the indexes of keys in the byte order of the keys
// (equal keys by index). It is a most-significant-digit radix sort with
// 8-byte digits: each pass sorts compact (digit, index) pairs, and only
// groups that tie on a digit go on to the next, so long shared prefixes
// (SKU-000..., ACME/0000...) cost little.
func sortedIndexes(keys [][]byte) []int32 {
	idx := make([]int32, len(keys))
	for i := range idx {
		idx[i] = int32(i)
	}
	radixSort(keys, idx, make([]digit, len(keys)), 0)
	return idx
}

// digit is 8 bytes of a key from some depth, big-endian, zero-padded.
type digit struct {
	d    uint64
	rest uint8 // bytes of the key from the depth on, capped at 9 (more than a digit)
	i    int32 // the key's index
}

func radixSort(keys [][]byte, idx []int32, tmp []digit, depth int) {
	if len(idx) < 2 {
		return
	}
	items := tmp[:len(idx)]
	for j, i := range idx {
		k := keys[i]
		var it digit
		it.i = i
		if depth < len(k) {
			rest := k[depth:]
			it.rest = uint8(min(len(rest), 9))
			var b [8]byte
			copy(b[:], rest)
			it.d = binary.BigEndian.Uint64(b[:])
		}
		items[j] = it
	}
	slices.SortFunc(items, func(a, b digit) int {
		return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.rest, b.rest), cmp.Compare(a.i, b.i))
	})
	// Groups that tie on a full digit and go on: sort them on the next one.
	type group struct{ start, end int }
	var ties []group
	for start := 0; start < len(items); {
		end := start + 1
		for end < len(items) && items[end].d == items[start].d && items[end].rest == items[start].rest {
			end++
		}
		if items[start].rest == 9 && end-start > 1 {
			ties = append(ties, group{start, end})
		}
		start = end
	}
	for j := range items {
		idx[j] = items[j].i
	}
	for _, g := range ties {
		radixSort(keys, idx[g.start:g.end], tmp[g.start:g.end], depth+8)
	}
}

// kv is a key and value waiting to be put.
type kv struct {
	key, val []byte
}

// arena hands out byte slices from blocks: bbolt keeps every key and value
// put until the transaction ends, and one block per many slices is far
// cheaper for the allocator and the garbage collector. Blocks start small
// (most commits are small) and double up to arenaMaxBlock.
type arena struct {
	block []byte
	size  int // size of the next block
}

const (
	arenaMinBlock = 4 << 10
	arenaMaxBlock = 256 << 10
)

// alloc returns a slice of length 0 and capacity n.
func (a *arena) alloc(n int) []byte {
	if n > arenaMaxBlock/8 {
		return make([]byte, 0, n)
	}
	if cap(a.block)-len(a.block) < n {
		a.size = min(max(a.size*2, arenaMinBlock), arenaMaxBlock)
		for a.size < n {
			a.size *= 2
		}
		a.block = make([]byte, 0, a.size)
	}
	start := len(a.block)
	a.block = a.block[:start+n]
	return a.block[start : start : start+n]
}

// copyOf returns a copy of b in the arena.
func (a *arena) copyOf(b []byte) []byte { return append(a.alloc(len(b)), b...) }
