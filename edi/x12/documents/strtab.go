package documents

import (
	"encoding/binary"
	"unsafe"
)

// strtab makes the strings a decoded document owns, with few allocations:
//
//   - values are copied into large shared chunks, so that a set of 10,000
//     items does not make 50,000 small allocations. A chunk is a byte
//     slice only ever appended to within its capacity: bytes once written
//     are never changed, so a string made from them (unsafe.String) stays
//     valid while the chunk grows after it; when a chunk is full a new one
//     starts, and the old one lives on as long as a string of the document
//     points into it.
//   - short values that repeat (qualifiers, units, small quantities) are
//     interned in a small direct-mapped cache keyed by their bytes, so each
//     is copied once per set rather than once per segment.
type strtab struct {
	chunk []byte
	next  int // size of the next chunk
	cache [cacheSize]cached
}

type cached struct {
	key    uint64 // the bytes of s, see shortKey (an empty slot has s "")
	s      string
	number bool // s is known to be a valid decimal
}

const (
	firstChunk = 1 << 10
	maxChunk   = 64 << 10
	cacheBits  = 9
	cacheSize  = 1 << cacheBits
)

// str returns b as a string owned by the table.
func (t *strtab) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(t.chunk)-len(t.chunk) < len(b) {
		t.grow(len(b))
	}
	n := len(t.chunk)
	t.chunk = append(t.chunk, b...)
	return unsafe.String(&t.chunk[n], len(b))
}

// code returns b as a string owned by the table, interning it when it is
// short (a code, a unit, a small number).
func (t *strtab) code(b []byte) string {
	n := len(b)
	if n == 0 {
		return ""
	}
	if n > 7 {
		return t.str(b)
	}
	k := shortKey(b)
	c := &t.cache[(k*0x9E3779B97F4A7C15)>>(64-cacheBits)]
	if c.key != k || len(c.s) != n {
		c.key, c.s, c.number = k, t.str(b), false
	}
	return c.s
}

// decimal returns b, which must be a decimal number, as a string owned by
// the table, and whether it is valid. Short numbers are checked once per
// set: the cache remembers which entries were checked.
func (t *strtab) decimal(b []byte) (string, bool) {
	n := len(b)
	if n > 7 || n == 0 {
		if !validDecimal(b) {
			return "", false
		}
		return t.str(b), true
	}
	k := shortKey(b)
	c := &t.cache[(k*0x9E3779B97F4A7C15)>>(64-cacheBits)]
	hit := c.key == k && len(c.s) == n
	if hit && c.number {
		return c.s, true
	}
	if !validDecimal(b) {
		return "", false
	}
	if !hit {
		c.key, c.s = k, t.str(b)
	}
	c.number = true
	return c.s, true
}

// shortKey returns the bytes of b (one to seven) in a word that, with
// len(b), identifies them: the bytes themselves up to three, else two
// overlapping four-byte loads.
func shortKey(b []byte) uint64 {
	switch n := len(b); {
	case n >= 4:
		return uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<32
	case n == 3:
		return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16
	case n == 2:
		return uint64(b[0]) | uint64(b[1])<<8
	}
	return uint64(b[0])
}

func (t *strtab) grow(need int) {
	switch {
	case t.next == 0:
		t.next = firstChunk
	case t.next < maxChunk:
		t.next *= 2
	}
	t.chunk = make([]byte, 0, max(t.next, need))
}

// slab hands out the elements of many small slices from one large array:
// the elements added since the last take form the open run, which take
// returns as a slice of its own with its capacity capped (an append to it
// reallocates rather than overwriting its neighbour). Slots come zeroed
// from make and are never reused.
type slab[T any] struct {
	buf   []T
	start int // where the open run begins
	// reused says buf comes from a released document (see Pool): its
	// slots are zeroed as they are handed out, not all at once.
	reused bool
	// grew is set once the slab has moved to a new array.
	grew bool
}

// reserve makes room for n more elements in one array, when the slab has
// none: a decoder that counted its segments ahead allocates once.
func (s *slab[T]) reserve(n int) {
	if s.buf == nil && n > 0 {
		s.buf = make([]T, 0, n)
	}
}

// add returns a pointer to a new zero element at the end of the open run.
// It stays valid until the next add.
func (s *slab[T]) add() *T {
	if len(s.buf) == cap(s.buf) {
		s.grow()
	}
	s.buf = s.buf[:len(s.buf)+1]
	p := &s.buf[len(s.buf)-1]
	if s.reused {
		var zero T
		*p = zero
	}
	return p
}

// grow starts a new array, moving the open run into it.
func (s *slab[T]) grow() {
	run := s.buf[s.start:]
	n := min(max(2*cap(s.buf), 16), 4096)
	buf := make([]T, len(run), max(n, 2*len(run)+1))
	copy(buf, run)
	clear(run) // the old array keeps no reference into the document
	s.buf, s.start, s.grew = buf, 0, true
}

// drop removes the last n elements of the open run (they must be zero).
func (s *slab[T]) drop(n int) { s.buf = s.buf[:len(s.buf)-n] }

// take closes the open run and returns it, nil when it is empty.
func (s *slab[T]) take() []T {
	if len(s.buf) == s.start {
		return nil
	}
	r := s.buf[s.start:len(s.buf):len(s.buf)]
	s.start = len(s.buf)
	return r
}

// len returns the length of the open run.
func (s *slab[T]) len() int { return len(s.buf) - s.start }
