package x12

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"unsafe"
)

// EventKind says what a decoder Event carries.
type EventKind int

// The events of a decoded stream, in the order they occur.
const (
	InterchangeStart EventKind = iota + 1 // an ISA was read
	GroupStart                            // a GS was read
	SetRead                               // a whole transaction set (ST..SE) was read
	GroupEnd                              // a group ended (GE read, or its end inferred)
	InterchangeEnd                        // an interchange ended (IEA read, or its end inferred)
)

// Event is one step of a decoded stream. Interchange is always set; Group
// for group and set events; Transaction for SetRead.
type Event struct {
	Kind        EventKind
	Interchange *Interchange
	Group       *Group
	Transaction *Transaction
}

// DecoderOptions tune a Decoder. The zero value is ready to use.
type DecoderOptions struct {
	Reader ReaderOptions
	// MaxTransactionSize bounds the bytes of one transaction set held in
	// memory (default 64 MiB).
	MaxTransactionSize int
	// Buffers, when not nil, is where the decoder takes the buffers it
	// reads sets into, and where it puts them back at the end of its
	// input: decoders that share one BufferPool (file after file) allocate
	// a large set's buffers once rather than once per file.
	Buffers *BufferPool
}

// Decoder reads interchanges, groups and transaction sets from a stream and
// checks their envelopes (counts, control numbers, structure). It holds one
// transaction set in memory at a time.
type Decoder struct {
	r      *Reader
	maxSet int
	bufs   *BufferPool

	ic  *Interchange
	grp *Group
	tx  *Transaction

	txBytes int
	// arena, ends and segs hold the current set's bytes, element slices
	// and segments (the set's Segments once it is complete); they are
	// reused from set to set.
	arena []byte
	ends  []int32
	segs  []Segment
	// owner is the set whose segments are in arena, ends and segs, once
	// its SetRead is queued; lent and spare are the buffers of sets lent
	// out (see Lend) and of sets given back.
	owner *Transaction
	lent  map[*Transaction]setBuffers
	spare []setBuffers
	// released is set at the end of the input, once the buffers went back
	// to the BufferPool.
	released bool

	queue []Event
	done  bool
}

// NewDecoder returns a Decoder reading from src.
func NewDecoder(src io.Reader, opts *DecoderOptions) *Decoder {
	var o DecoderOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxTransactionSize <= 0 {
		o.MaxTransactionSize = 64 << 20
	}
	return &Decoder{r: NewReader(src, &o.Reader), maxSet: o.MaxTransactionSize, bufs: o.Buffers}
}

// Next returns the next event, or io.EOF after the last one. A SetRead
// event's Transaction is valid until the following call (Clone keeps it):
// its segments live in buffers the decoder reuses for the next set.
// A *SyntaxError stops the stream: the input cannot be read further.
func (d *Decoder) Next() (Event, error) {
	for len(d.queue) == 0 {
		if d.done {
			// Nothing the caller holds uses the buffers any more.
			d.release()
			return Event{}, io.EOF
		}
		if err := d.step(); err != nil {
			return Event{}, err
		}
	}
	ev := d.queue[0]
	d.queue = d.queue[1:]
	return ev, nil
}

// Open returns the interchange being read, or nil; after a SyntaxError it
// names the interchange the error interrupted.
func (d *Decoder) Open() *Interchange { return d.ic }

func (d *Decoder) emit(k EventKind) {
	ev := Event{Kind: k, Interchange: d.ic, Group: d.grp}
	if k == SetRead {
		d.tx.Segments = d.segs
		ev.Transaction = d.tx
		d.owner = d.tx
	}
	d.queue = append(d.queue, ev)
}

// step reads one segment and queues the events it causes.
func (d *Decoder) step() error {
	seg, err := d.r.Next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			d.endOfInput()
			return nil
		}
		return err
	}
	if len(d.r.warnings) > 0 && d.ic != nil && seg.ID != "ISA" {
		// Warnings raised while reading an ISA belong to its own
		// interchange (onISA takes them), not to one left without IEA.
		d.ic.Warnings = append(d.ic.Warnings, d.r.TakeWarnings()...)
	}
	switch seg.ID {
	case "ISA":
		d.onISA(seg)
	case "IEA":
		d.onIEA(seg)
	case "GS":
		d.onGS(seg)
	case "GE":
		d.onGE(seg)
	case "ST":
		return d.onST(seg)
	case "SE":
		return d.onSE(seg)
	default:
		return d.onOther(seg)
	}
	return nil
}

func (d *Decoder) onISA(seg *Segment) {
	if d.ic != nil {
		d.closeInterchange(seg.Pos, "no IEA before the next ISA")
	}
	d.ic = newInterchange(seg, d.r.Delimiters())
	d.ic.Warnings = append(d.ic.Warnings, d.r.TakeWarnings()...)
	d.emit(InterchangeStart)
}

func (d *Decoder) onIEA(seg *Segment) {
	if d.ic == nil {
		return // the reader only yields IEA inside an interchange
	}
	d.closeGroup(seg.Pos, "no GE before the IEA")
	d.ic.Trailer = &Trailer{Count: seg.Text(1), Control: seg.Text(2), Pos: seg.Pos}
	checkInterchangeTrailer(d.ic, d.r.opts.Strict)
	d.emit(InterchangeEnd)
	d.ic, d.grp = nil, nil
}

func (d *Decoder) onGS(seg *Segment) {
	d.closeGroup(seg.Pos, "no GE before the next GS")
	d.ic.Groups++
	d.grp = newGroup(seg, d.ic)
	d.emit(GroupStart)
}

func (d *Decoder) onGE(seg *Segment) {
	d.closeSet(seg.Pos)
	if d.grp == nil {
		d.ic.Errors = append(d.ic.Errors, EnvelopeError{Code: NoteBadStructure, Segment: "GE", Pos: seg.Pos, Msg: "GE without a GS"})
		return
	}
	d.grp.Trailer = &Trailer{Count: seg.Text(1), Control: seg.Text(2), Pos: seg.Pos}
	checkGroupTrailer(d.grp, d.r.opts.Strict)
	d.emit(GroupEnd)
	d.grp = nil
}

func (d *Decoder) onST(seg *Segment) error {
	if d.tx != nil {
		// The open set has no SE: closeSet queues its SetRead event, which
		// the caller receives only after this step. Its segments live in
		// the reusable buffers, so the new set must not write there.
		d.closeSet(seg.Pos)
		d.arena, d.ends, d.segs, d.owner = nil, nil, nil, nil
	}
	if d.grp == nil {
		d.ic.Errors = appendOnce(d.ic.Errors, EnvelopeError{Code: NoteBadContent, Segment: "ST", Pos: seg.Pos, Msg: "transaction set outside a functional group (no valid GS)"})
		return nil
	}
	d.grp.Sets++
	if d.segs == nil {
		d.takeBuffers()
	}
	d.segs = d.segs[:0]
	d.tx = &Transaction{SetID: seg.Text(1), Control: seg.Text(2), ImplRef: seg.Text(3), Group: d.grp, Pos: seg.Pos}
	d.txBytes = 0
	d.arena, d.ends, d.owner = d.arena[:0], d.ends[:0], nil
	checkST(d.tx, seg)
	return d.keep(seg)
}

func (d *Decoder) onSE(seg *Segment) error {
	if d.tx == nil {
		if d.ic != nil && d.grp != nil {
			d.grp.Errors = append(d.grp.Errors, EnvelopeError{Segment: "SE", Pos: seg.Pos, Msg: "SE without an ST"})
		}
		return nil
	}
	if err := d.keep(seg); err != nil {
		return err
	}
	d.tx.HasTrailer = true
	d.tx.Segments = d.segs
	checkSE(d.tx, seg)
	d.emit(SetRead)
	d.tx = nil
	return nil
}

func (d *Decoder) onOther(seg *Segment) error {
	if d.tx != nil {
		return d.keep(seg)
	}
	switch {
	case d.grp == nil && (seg.ID == "ISB" || seg.ID == "ISE") && d.ic.Groups == 0 && d.r.opts.Strict:
		d.ic.Errors = append(d.ic.Errors, EnvelopeError{Code: NoteBadContent, Segment: seg.ID, Pos: seg.Pos,
			Msg: fmt.Sprintf("interchange service segment %s not accepted in strict mode", seg.ID)})
	case d.grp == nil && (seg.ID == "ISB" || seg.ID == "ISE" || seg.ID == "TA1") && d.ic.Groups == 0:
		// Grade-of-service and deferred-delivery segments, or a TA1, may
		// stand between ISA and the first GS.
		d.ic.Warnings = append(d.ic.Warnings, Warning{Pos: seg.Pos, Msg: fmt.Sprintf("interchange service segment %s skipped", seg.ID)})
	case d.grp == nil:
		d.ic.Errors = appendOnce(d.ic.Errors, EnvelopeError{Code: NoteBadContent, Segment: seg.ID, Pos: seg.Pos, Msg: fmt.Sprintf("segment %s where a GS or IEA is expected", seg.ID)})
	default:
		d.grp.Errors = append(d.grp.Errors, EnvelopeError{Segment: seg.ID, Pos: seg.Pos, Msg: fmt.Sprintf("segment %s outside a transaction set", seg.ID)})
	}
	return nil
}

// keep copies a segment of the current transaction set into the decoder's
// arena.
func (d *Decoder) keep(seg *Segment) error {
	d.txBytes += len(seg.data) + 4*len(seg.ends) + int(unsafe.Sizeof(*seg))
	if d.txBytes > d.maxSet {
		return &SyntaxError{Pos: seg.Pos, Err: ErrTransactionTooLarge, Msg: fmt.Sprintf("set %s %s over %d bytes", d.tx.SetID, d.tx.Control, d.maxSet)}
	}
	// The buffers double when full (append grows large slices by only a
	// quarter): fewer copies and less garbage for sets of many segments.
	start := len(d.arena)
	d.arena = append(grow(d.arena, len(seg.data)), seg.data...)
	data := d.arena[start:len(d.arena):len(d.arena)]
	first := len(d.ends)
	d.ends = append(grow(d.ends, len(seg.ends)), seg.ends...)
	// Grow by one and fill the new segment in place: cheaper than
	// appending a composite literal (built aside, then copied).
	// d.segs holds the set's segments; d.tx.Segments is set when the set
	// is complete (onSE, emit).
	segs := grow(d.segs, 1)
	segs = segs[:len(segs)+1]
	s := &segs[len(segs)-1]
	s.ID, s.Pos, s.data, s.delims = seg.ID, seg.Pos, data, seg.delims
	s.ends = d.ends[first:len(d.ends):len(d.ends)]
	d.segs = segs
	return nil
}

// setBuffers are the buffers one transaction set is read into.
type setBuffers struct {
	arena []byte
	ends  []int32
	segs  []Segment
}

// maxSpare is how many given-back buffers a decoder keeps.
const maxSpare = 2

// Lend lets the caller keep t, the set of the SetRead event Next just
// returned, beyond the next call to Next: the decoder reads the following
// sets into other buffers (those of sets given back with Return, or new
// ones). It reports whether t was lent; false means t does not use the
// decoder's buffers (a set without SE that an ST closed), so it stays
// valid anyway and need not be given back. Lend and Return are for a
// caller that handles sets on another goroutine while the decoder reads
// ahead; the decoder itself is still used from one goroutine at a time.
func (d *Decoder) Lend(t *Transaction) bool {
	if t == nil || t != d.owner {
		return false
	}
	if d.lent == nil {
		d.lent = map[*Transaction]setBuffers{}
	}
	d.lent[t] = setBuffers{arena: d.arena, ends: d.ends, segs: d.segs}
	d.arena, d.ends, d.segs, d.owner = nil, nil, nil, nil
	if n := len(d.spare); n > 0 {
		b := d.spare[n-1]
		d.spare = d.spare[:n-1]
		d.arena, d.ends, d.segs = b.arena, b.ends, b.segs
		return true
	}
	if d.takeBuffers() {
		return true
	}
	// New buffers the size of t's: the next set is likely about as
	// large, and growing by doubling would copy it several times.
	lent := d.lent[t]
	d.arena = make([]byte, 0, len(lent.arena))
	d.ends = make([]int32, 0, len(lent.ends))
	d.segs = make([]Segment, 0, len(t.Segments))
	return true
}

// Return gives back the buffers of a set lent with Lend, for the decoder
// to read a later set into; t must not be used afterwards. It reports
// whether t was lent (a set that was not is ignored).
func (d *Decoder) Return(t *Transaction) bool {
	b, ok := d.lent[t]
	if !ok {
		return false
	}
	delete(d.lent, t)
	switch {
	case d.released:
		d.bufs.put(b)
	case len(d.spare) < maxSpare:
		d.spare = append(d.spare, setBuffers{arena: b.arena[:0], ends: b.ends[:0], segs: b.segs[:0]})
	}
	return true
}

// BufferPool keeps the buffers of transaction sets that decoders have
// finished with (see DecoderOptions.Buffers). The zero value is ready to
// use; it is safe for concurrent use. It holds no data beyond the next
// garbage collections (it is a sync.Pool).
type BufferPool struct {
	p sync.Pool // of *setBuffers
}

// takeBuffers starts the decoder on pooled buffers, if there are some.
func (d *Decoder) takeBuffers() bool {
	if d.bufs == nil {
		return false
	}
	b, ok := d.bufs.p.Get().(*setBuffers)
	if !ok {
		return false
	}
	d.arena, d.ends, d.segs = b.arena[:0], b.ends[:0], b.segs[:0]
	return true
}

// put keeps b for a later decoder; p may be nil (then b is dropped).
func (p *BufferPool) put(b setBuffers) {
	if p == nil || cap(b.segs) == 0 {
		return
	}
	p.p.Put(&setBuffers{arena: b.arena[:0], ends: b.ends[:0], segs: b.segs[:0]})
}

// release pools the decoder's buffers at the end of the input (Next has
// returned io.EOF, so the last set is no longer valid), and those of sets
// lent and returned from then on.
func (d *Decoder) release() {
	if d.released {
		return
	}
	d.released = true
	// The decoder's own buffers are never lent ones: Lend swaps them out.
	d.bufs.put(setBuffers{arena: d.arena, ends: d.ends, segs: d.segs})
	for _, b := range d.spare {
		d.bufs.put(b)
	}
	d.arena, d.ends, d.segs, d.spare, d.owner = nil, nil, nil, nil, nil
}

// grow returns s with room for n more elements, doubling its capacity
// when it must grow.
func grow[T any](s []T, n int) []T {
	if len(s)+n <= cap(s) {
		return s
	}
	g := make([]T, len(s), max(2*cap(s), len(s)+n, 64))
	copy(g, s)
	return g
}

// closeSet ends an open transaction set whose SE is missing.
func (d *Decoder) closeSet(at Position) {
	if d.tx == nil {
		return
	}
	d.tx.Errors = append(d.tx.Errors, EnvelopeError{Code: SetTrailerMissing, Segment: "SE", Pos: at, Msg: fmt.Sprintf("transaction set %s %s has no SE", d.tx.SetID, d.tx.Control)})
	d.emit(SetRead)
	d.tx = nil
}

// closeGroup ends an open group whose GE is missing.
func (d *Decoder) closeGroup(at Position, why string) {
	d.closeSet(at)
	if d.grp == nil {
		return
	}
	d.grp.Errors = append(d.grp.Errors, EnvelopeError{Code: GroupTrailerMissing, Segment: "GE", Pos: at, Msg: why})
	d.emit(GroupEnd)
	d.grp = nil
}

// closeInterchange ends an open interchange whose IEA is missing.
func (d *Decoder) closeInterchange(at Position, why string) {
	d.closeGroup(at, "no GE before the end of the interchange")
	d.ic.Errors = append(d.ic.Errors, EnvelopeError{Code: NoteEarlyEOF, Segment: "IEA", Pos: at, Msg: why})
	d.emit(InterchangeEnd)
	d.ic, d.grp = nil, nil
}

func (d *Decoder) endOfInput() {
	d.done = true
	if d.ic != nil {
		d.ic.Warnings = append(d.ic.Warnings, d.r.TakeWarnings()...)
		d.closeInterchange(d.r.here(), "input ends before the IEA")
	}
}

// appendOnce appends e unless an error with the same code and segment is
// already listed (one stray segment often drags many after it).
func appendOnce(errs []EnvelopeError, e EnvelopeError) []EnvelopeError {
	for _, x := range errs {
		if x.Code == e.Code && x.Segment == e.Segment {
			return errs
		}
	}
	return append(errs, e)
}
