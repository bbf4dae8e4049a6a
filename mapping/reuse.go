package mapping

import (
	"math/bits"
	"sync"

	"github.com/dockside-edi/dockside/ledger"
)

// minPooled is the length of the smallest slice worth keeping for reuse:
// a small document allocates its few movements as before.
const minPooled = 256

// reusable holds what released results hand back to their mapper for
// later documents, so that a large 846 does not allocate (and the garbage
// collector does not scan) a 330-byte movement per item again and again.
type reusable struct {
	movements slicePool[ledger.Movement]
	compare   slicePool[Comparison]
}

// slicePool keeps slices by capacity class, each class in a sync.Pool:
// an idle gateway hands them back to the garbage collector.
type slicePool[T any] struct {
	mu    sync.Mutex
	pools map[int]*sync.Pool // by capacity; values hold *[]T
}

// classCap rounds n up to a capacity class: steps of an eighth of a power
// of two, so that documents of about the same size share slices and a slice
// is at most a quarter larger than asked.
func classCap(n int) int {
	if n <= minPooled {
		return minPooled
	}
	shift := bits.Len(uint(n-1)) - 3
	return ((n-1)>>shift + 1) << shift
}

// pool returns the pool of capacity c (created when create is set).
func (s *slicePool[T]) pool(c int, create bool) *sync.Pool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pools[c]
	if p == nil && create {
		if s.pools == nil {
			s.pools = make(map[int]*sync.Pool)
		}
		p = new(sync.Pool)
		s.pools[c] = p
	}
	return p
}

// get returns an empty slice with room for n elements. Its spare part
// [len:cap) may hold what a released result held: appending overwrites
// whole elements, and newMovement zeroes the movement it hands out.
func (s *slicePool[T]) get(n int) []T {
	if n < minPooled {
		return make([]T, 0, n)
	}
	c := classCap(n)
	if p := s.pool(c, false); p != nil {
		if v, ok := p.Get().(*[]T); ok {
			return (*v)[:0]
		}
	}
	return make([]T, 0, c)
}

// put keeps xs for a later get. It is not cleared (that would be one more
// pass over its memory; its elements are overwritten as they are handed
// out again): until then, or until the garbage collector empties the
// pool, it keeps the strings it points to alive. Slices not of a class
// capacity are left to the garbage collector.
func (s *slicePool[T]) put(xs []T) {
	c := cap(xs)
	if c < minPooled || classCap(c) != c {
		return
	}
	xs = xs[:0]
	s.pool(c, true).Put(&xs)
}

// Release hands the result's movements and comparisons back to its
// mapper, to be reused by later documents, and sets r.Movements and
// r.Compare to nil. Call it once, when the movements have been posted
// (ledger.Ledger.Post copies what it keeps) and nothing holds them, the
// comparisons, or a pointer into either any more; the result's other
// fields stay valid, and so do copies of single movements and their
// strings. Release is optional: a result not released is garbage
// collected as usual.
func (r *Result) Release() {
	if r == nil {
		return
	}
	if r.free != nil {
		r.free.movements.put(r.Movements)
		r.free.compare.put(r.Compare)
	}
	r.Movements, r.Compare = nil, nil
}
