package documents

import (
	"sync"

	"github.com/dockside-edi/dockside/edi/x12"
)

// Pool decodes transaction sets like Decode, but reuses the memory of the
// documents given back with Release: an 846's items, product ids,
// quantities and descriptions live in a few large arrays, and a released
// document lends them to the next 846 decoded. A stream of large 846s then
// allocates almost nothing per item, so the garbage collector has little
// to do. Strings are not reused: they stay valid after Release.
//
// The zero Pool is ready to use; it is safe for concurrent use (Decode on
// one goroutine and Release on another, for instance). A document must
// not be used after it is released: its slices are overwritten by the next
// decode. Releasing is optional: a document never released is simply left
// to the garbage collector, as with Decode.
type Pool struct {
	// MaxHLDepth is the deepest 856 HL nesting accepted (0:
	// DefaultMaxHLDepth); see Decode856Depth. Set it before the first
	// Decode.
	MaxHLDepth int

	mu   sync.Mutex
	free []*memory846
	lent map[*Inventory846]*memory846
}

// poolKeep is how many released 846 memories a Pool keeps for reuse; more
// are dropped (two sets in flight and one being decoded is the usual
// pipeline).
const poolKeep = 4

// memory846 is the reusable memory of one 846 document: the document and
// the arrays its slices come from.
type memory846 struct {
	doc   *Inventory846
	items []Item846
	ids   []ProductID
	qtys  []Quantity846
	descs []Description
	// fits is set when the last set decoded into these arrays did not
	// make any of them grow: the next one skips counting ahead.
	fits bool
}

// Decode decodes a transaction set as Decode does; an 846 is decoded into
// reused memory when a released document left some.
func (p *Pool) Decode(t *x12.Transaction) (Document, error) {
	if t != nil && t.SetID == "846" {
		return p.Decode846(t)
	}
	if t != nil && t.SetID == "856" {
		return Decode856Depth(t, p.MaxHLDepth)
	}
	return Decode(t)
}

// Decode846 decodes an 846 as the function Decode846 does, into reused
// memory when there is some.
func (p *Pool) Decode846(t *x12.Transaction) (*Inventory846, error) {
	mem := p.get()
	doc, err := decode846(t, mem)
	if err != nil {
		mem.clear()
		p.put(mem)
		return nil, err
	}
	p.mu.Lock()
	if p.lent == nil {
		p.lent = map[*Inventory846]*memory846{}
	}
	p.lent[doc] = mem
	p.mu.Unlock()
	return doc, nil
}

// Release gives back a document that p decoded, for its memory to be
// reused; the document must not be used afterwards. Other documents
// (856, 940, Generic, or an 846 from another decoder) and nil are ignored.
func (p *Pool) Release(doc Document) {
	inv, ok := doc.(*Inventory846)
	if !ok || inv == nil {
		return
	}
	p.mu.Lock()
	mem := p.lent[inv]
	delete(p.lent, inv)
	p.mu.Unlock()
	if mem == nil {
		return
	}
	mem.clear()
	p.put(mem)
}

func (p *Pool) get() *memory846 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		mem := p.free[n-1]
		p.free = p.free[:n-1]
		return mem
	}
	return &memory846{doc: &Inventory846{}}
}

func (p *Pool) put(mem *memory846) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < poolKeep {
		p.free = append(p.free, mem)
	}
}

// clear zeroes the document. The arrays are not cleared here: the next
// decode zeroes each slot as it hands it out (while the slot is in the
// cache anyway), so until then they keep the old document's strings and
// small slices alive (a bounded amount: poolKeep documents at most).
func (m *memory846) clear() {
	*m.doc = Inventory846{}
}

// reuse takes the arrays of d.mem for a set of lins items, ids product
// ids, qtys quantities and pids descriptions (counted ahead), and makes
// new ones where they are too small.
func (d *decoder846) reuse(lins, ids, qtys, pids int) {
	m := d.mem
	if m.items == nil || cap(m.items) < lins {
		m.items = make([]Item846, 0, lins)
	}
	d.doc.Items = m.items[:0]
	reuseSlab(&d.ids, m.ids, ids)
	reuseSlab(&d.qtys, m.qtys, qtys)
	reuseSlab(&d.descs, m.descs, pids)
}

// reuseAsIs takes the arrays of d.mem without knowing the sizes needed
// (see decode): they grow if they must.
func (d *decoder846) reuseAsIs() {
	m := d.mem
	d.doc.Items = m.items[:0]
	reuseSlab(&d.ids, m.ids, 0)
	reuseSlab(&d.qtys, m.qtys, 0)
	reuseSlab(&d.descs, m.descs, 0)
}

// reuseSlab starts s on buf when it can hold n.
func reuseSlab[T any](s *slab[T], buf []T, n int) {
	if cap(buf) >= n && cap(buf) > 0 {
		s.buf, s.start, s.reused = buf[:0], 0, true
		return
	}
	s.reserve(n)
}

// keepArrays records in d.mem the arrays the document ended with (a slab
// that outgrew its array moved on to a new one), for the next decode.
func (d *decoder846) keepArrays() {
	m := d.mem
	if m == nil || d.doc == nil {
		return
	}
	items := d.doc.Items
	m.items = items
	// The document's Items has no spare capacity: an append by the caller
	// reallocates rather than writing into slots the pool does not clear.
	d.doc.Items = items[:len(items):len(items)]
	m.ids, m.qtys, m.descs = d.ids.buf, d.qtys.buf, d.descs.buf
	m.fits = !d.itemsGrew && !d.ids.grew && !d.qtys.grew && !d.descs.grew
}
