package mapping

import "strings"

// Sizes of the blocks source keys are cut from: a small document takes a
// small block, a large one blocks of up to maxKeyBlock bytes.
const (
	minKeyBlock = 512
	maxKeyBlock = 64 << 10
)

// keyArena hands out a document's source keys cut from shared blocks: one
// allocation per block instead of one per key. A block is only ever
// appended to (a strings.Builder), never rewritten, and a full one is left
// to the keys that point into it, so the keys are ordinary immutable
// strings that outlive the document and its result.
type keyArena struct {
	b    strings.Builder
	next int // size of the next block
}

// begin makes room for a key of n bytes and returns where it starts.
func (a *keyArena) begin(n int) int {
	if a.b.Cap()-a.b.Len() < n {
		a.next = min(max(2*a.next, minKeyBlock), maxKeyBlock)
		a.b = strings.Builder{}
		a.b.Grow(max(n, a.next))
	}
	return a.b.Len()
}

// end returns the key written since start.
func (a *keyArena) end(start int) string {
	return a.b.String()[start:]
}
