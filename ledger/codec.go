package ledger

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Stored layout (all in one bbolt file):
//
//	meta        "schema" → schemaVersion
//	movements   first id (8 bytes BE) → chunk of movement records (chunk.go)
//	sources     first source key of a block → block of source keys and
//	            their IDs (sources.go)
//	positions   sku 0 loc 0 effective (8) id (8) → block of timeline
//	            entries (timeline.go), sku 0 loc 0 0xFE order → an order's
//	            allocation, and sku 0 loc 0 0xFF → balance record with the
//	            newest timeline entries (positions.go)
//	postings    seq (8 bytes BE) → posting record
//
// SKUs and locations never hold NUL (validText), so "sku 0 loc 0" frames
// keys unambiguously and a position's keys sort together. Effective times
// are stored as UnixNano with the sign bit flipped, so byte order is time
// order. The movements and postings buckets' sequences hold the last ID and
// the last change sequence number.

// recordVersion is the first byte of every record; decoders refuse others.
const recordVersion = 1

// putU64 appends v as 8 bytes big-endian.
func putU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// timeKey maps a time to 8 bytes whose byte order is time order.
func timeKey(ns int64) uint64 { return uint64(ns) ^ (1 << 63) }

// getU64 reads 8 bytes big-endian.
func getU64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// idKey is an ID or sequence number as 8 bytes big-endian.
func idKey(id uint64) []byte { return putU64(make([]byte, 0, 8), id) }

// nanos returns t as UnixNano; zero for the zero time (callers that must
// tell "zero" from the epoch keep a flag).
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos, in UTC.
func fromNanos(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// encoder appends varint-framed fields.
type encoder struct{ b []byte }

func (e *encoder) byte(c byte)      { e.b = append(e.b, c) }
func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) string(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// quantities writes a mask of the non-zero buckets, then those figures.
func (e *encoder) quantities(q Quantities) {
	var mask byte
	for b := BucketOnHand; b < bucketEnd; b++ {
		if q.Get(b) != 0 {
			mask |= 1 << b
		}
	}
	e.byte(mask)
	for b := BucketOnHand; b < bucketEnd; b++ {
		if v := q.Get(b); v != 0 {
			e.varint(v)
		}
	}
}

// decoder reads what encoder wrote; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated or malformed %s", ErrCorrupt, what)
	}
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.fail("byte")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.fail("string")
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) quantities() Quantities {
	mask := d.byte()
	var q Quantities
	if mask&^byte(1<<bucketEnd-2) != 0 {
		d.fail("bucket mask")
		return q
	}
	for b := BucketOnHand; b < bucketEnd; b++ {
		if mask&(1<<b) != 0 {
			*q.ptr(b) = d.varint()
		}
	}
	return q
}

// version checks the record version byte.
func (d *decoder) version(what string) {
	if v := d.byte(); d.err == nil && v != recordVersion {
		d.err = fmt.Errorf("%w: %s record version %d", ErrCorrupt, what, v)
	}
}

// done reports an error if bytes are left over.
func (d *decoder) done(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes in %s record", ErrCorrupt, len(d.b), what)
	}
	return d.err
}

// Movement record flags.
const (
	flagTakeInTransit = 1 << iota
	flagStale
	flagExpected
	flagAbsorbed
)

// encodeMovement encodes a recorded movement. ID and Document are not
// stored in it (the key holds the ID; the posting holds the document key).
func encodeMovement(buf []byte, m *Movement) []byte {
	e := encoder{b: buf[:0]}
	e.byte(recordVersion)
	e.byte(byte(m.Kind))
	e.byte(byte(m.Bucket))
	var flags byte
	if m.TakeInTransit {
		flags |= flagTakeInTransit
	}
	if m.Stale {
		flags |= flagStale
	}
	if !m.Expected.IsZero() {
		flags |= flagExpected
	}
	if m.Absorbed {
		flags |= flagAbsorbed
	}
	e.byte(flags)
	e.uvarint(m.Seq)
	e.string(m.SourceKey)
	e.string(m.SKU)
	e.string(m.Location)
	e.varint(m.Quantity)
	e.varint(m.Effective.UnixNano())
	e.varint(m.Recorded.UnixNano())
	if !m.Expected.IsZero() {
		e.varint(m.Expected.UnixNano())
	}
	e.string(m.Reason)
	r := &m.Reference
	e.string(r.Partner)
	e.string(r.DocumentType)
	e.string(r.Interchange)
	e.string(r.Group)
	e.string(r.Transaction)
	e.varint(int64(r.Line))
	e.string(r.Order)
	e.quantities(m.Delta)
	return e.b
}

// decodeMovement decodes a movement record stored under id.
func decodeMovement(id uint64, b []byte) (Movement, error) {
	d := decoder{b: b}
	d.version("movement")
	m := Movement{ID: id}
	m.Kind = Kind(d.byte())
	m.Bucket = Bucket(d.byte())
	flags := d.byte()
	m.TakeInTransit = flags&flagTakeInTransit != 0
	m.Stale = flags&flagStale != 0
	m.Absorbed = flags&flagAbsorbed != 0
	m.Seq = d.uvarint()
	m.SourceKey = d.string()
	m.SKU = d.string()
	m.Location = d.string()
	m.Quantity = d.varint()
	m.Effective = fromNanos(d.varint())
	m.Recorded = fromNanos(d.varint())
	if flags&flagExpected != 0 {
		m.Expected = fromNanos(d.varint())
	}
	m.Reason = d.string()
	r := &m.Reference
	r.Partner = d.string()
	r.DocumentType = d.string()
	r.Interchange = d.string()
	r.Group = d.string()
	r.Transaction = d.string()
	r.Line = int(d.varint())
	r.Order = d.string()
	m.Delta = d.quantities()
	if err := d.done("movement"); err != nil {
		return Movement{}, fmt.Errorf("movement %d: %w", id, err)
	}
	if !m.Kind.Valid() || (m.Bucket != 0 && !m.Bucket.Valid()) || flags>>4 != 0 {
		return Movement{}, fmt.Errorf("movement %d: %w: kind %d bucket %d flags %#x", id, ErrCorrupt, m.Kind, m.Bucket, flags)
	}
	return m, nil
}

// encodeDeltas encodes a timeline value.
func encodeDeltas(buf []byte, q Quantities) []byte {
	e := encoder{b: buf[:0]}
	e.quantities(q)
	return e.b
}

// decodeDeltas decodes a timeline value.
func decodeDeltas(b []byte) (Quantities, error) {
	d := decoder{b: b}
	q := d.quantities()
	return q, d.done("timeline")
}

// posState is a balance as stored, with what the ledger needs to apply
// movements to it.
type posState struct {
	q        Quantities
	seq      uint64
	snapMask byte             // buckets (1<<b) with an applied snapshot
	snapAt   [bucketEnd]int64 // UnixNano of the newest applied snapshot per bucket
	incoming []incomingSlot   // in-transit by due date, sorted

	// The timeline (timeline.go): the newest entries, sorted, and the
	// newest entry spilled to blocks, if any.
	tl         inline
	spilled    bool
	horizonEff int64
	horizonID  uint64

	// In a write transaction only:
	dirty bool // changed
}

// incomingSlot is in-transit stock due at one date (due 0 with dated=false
// is undated).
type incomingSlot struct {
	dated bool
	due   int64
	qty   int64
}

// less orders slots: undated first, then by due date.
func (s incomingSlot) less(o incomingSlot) bool {
	if s.dated != o.dated {
		return !s.dated
	}
	return s.due < o.due
}

// balanceVersion is the first byte of balance records, which end with
// their position's inline timeline (schema 3). Records of version 1
// (schema 2, timeline stored apart) are read only to migrate them.
const balanceVersion = 2

// encodePosState encodes a balance record.
func encodePosState(buf []byte, s *posState) []byte {
	e := encoder{b: buf[:0]}
	e.byte(balanceVersion)
	e.quantities(s.q)
	e.uvarint(s.seq)
	e.byte(s.snapMask)
	for b := BucketOnHand; b < bucketEnd; b++ {
		if s.snapMask&(1<<b) != 0 {
			e.varint(s.snapAt[b])
		}
	}
	e.uvarint(uint64(len(s.incoming)))
	for _, in := range s.incoming {
		if in.dated {
			e.byte(1)
			e.varint(in.due)
		} else {
			e.byte(0)
		}
		e.varint(in.qty)
	}
	if s.spilled {
		e.byte(1)
		e.varint(s.horizonEff)
		e.uvarint(s.horizonID)
	} else {
		e.byte(0)
	}
	s.tl.encode(&e)
	return e.b
}

// decodePosState decodes a whole balance record, timeline included (its
// entries are decoded when first listed).
func decodePosState(b []byte) (posState, error) { return decodeBalance(b, true) }

// decodeBalanceOnly decodes a balance record without its timeline, for
// reads that only need the figures.
func decodeBalanceOnly(b []byte) (posState, error) { return decodeBalance(b, false) }

// decodeBalance decodes a balance record, with its timeline when asked.
func decodeBalance(b []byte, timeline bool) (posState, error) {
	d := decoder{b: b}
	version := d.byte()
	if d.err == nil && version != balanceVersion && version != 1 {
		return posState{}, fmt.Errorf("%w: balance record version %d", ErrCorrupt, version)
	}
	var s posState
	s.q = d.quantities()
	s.seq = d.uvarint()
	s.snapMask = d.byte()
	if s.snapMask&^byte(1<<bucketEnd-2) != 0 {
		d.fail("snapshot mask")
	}
	for b := BucketOnHand; b < bucketEnd && d.err == nil; b++ {
		if s.snapMask&(1<<b) != 0 {
			s.snapAt[b] = d.varint()
		}
	}
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("incoming count")
	}
	if d.err == nil && n > 0 {
		s.incoming = make([]incomingSlot, 0, n)
		for i := uint64(0); i < n && d.err == nil; i++ {
			var in incomingSlot
			switch d.byte() {
			case 0:
			case 1:
				in.dated = true
				in.due = d.varint()
			default:
				d.fail("incoming slot")
			}
			in.qty = d.varint()
			s.incoming = append(s.incoming, in)
		}
	}
	if version == 1 || !timeline {
		if version == 1 {
			return s, d.done("balance")
		}
		return s, d.err
	}
	switch d.byte() {
	case 0:
	case 1:
		s.spilled = true
		s.horizonEff = d.varint()
		s.horizonID = d.uvarint()
	default:
		d.fail("timeline horizon")
	}
	s.tl = decodeInline(&d)
	return s, d.done("balance")
}

// balance returns the public form of a stored balance.
func (s *posState) balance(sku, loc string) Balance {
	b := Balance{SKU: sku, Location: loc, Quantities: s.q, Seq: s.seq}
	if len(s.incoming) > 0 {
		b.Incoming = make([]Incoming, len(s.incoming))
		for i, in := range s.incoming {
			b.Incoming[i].Quantity = in.qty
			if in.dated {
				b.Incoming[i].Due = fromNanos(in.due)
			}
		}
	}
	return b
}

// posting is a stored posting record: one document's change.
type posting struct {
	document string
	recorded int64  // UnixNano
	firstID  uint64 // first movement recorded
	count    uint64 // movements recorded (IDs firstID .. firstID+count-1)
}

func encodePosting(p *posting) []byte {
	e := encoder{}
	e.byte(recordVersion)
	e.string(p.document)
	e.varint(p.recorded)
	e.uvarint(p.firstID)
	e.uvarint(p.count)
	return e.b
}

func decodePosting(seq uint64, b []byte) (posting, error) {
	d := decoder{b: b}
	d.version("posting")
	var p posting
	p.document = d.string()
	p.recorded = d.varint()
	p.firstID = d.uvarint()
	p.count = d.uvarint()
	if err := d.done("posting"); err != nil {
		return posting{}, fmt.Errorf("posting %d: %w", seq, err)
	}
	return p, nil
}
