package postgres

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/dockside-edi/dockside/ledger"
)

// The extra column of ledger_positions holds what the rules of Post keep
// of a position besides its figures:
//
//	mask (1 byte): bit b set when bucket b has an applied snapshot
//	per set bit, in bucket order: the snapshot's effective time (varint UnixNano)
//	count (uvarint) of in-transit slots, then per slot:
//	dated (1 byte), due (varint UnixNano; 0 when undated), quantity (varint)

// encodeExtra encodes a position's snapshot times and in-transit schedule.
func encodeExtra(buf []byte, p *ledger.PositionState) []byte {
	var mask byte
	for b := ledger.BucketOnHand; b <= ledger.BucketQuarantined; b++ {
		if !p.Snapshots[b].IsZero() {
			mask |= 1 << b
		}
	}
	buf = append(buf, mask)
	for b := ledger.BucketOnHand; b <= ledger.BucketQuarantined; b++ {
		if mask&(1<<b) != 0 {
			buf = binary.AppendVarint(buf, p.Snapshots[b].UnixNano())
		}
	}
	buf = binary.AppendUvarint(buf, uint64(len(p.Incoming)))
	for _, in := range p.Incoming {
		if in.Due.IsZero() {
			buf = append(buf, 0)
			buf = binary.AppendVarint(buf, 0)
		} else {
			buf = append(buf, 1)
			buf = binary.AppendVarint(buf, in.Due.UnixNano())
		}
		buf = binary.AppendVarint(buf, in.Quantity)
	}
	return buf
}

// decodeExtra fills a position's snapshot times and in-transit schedule.
func decodeExtra(v []byte, p *ledger.PositionState) error {
	if len(v) == 0 {
		return nil // a position created by the lock, never posted to
	}
	bad := func(what string) error { return fmt.Errorf("%w: position record: %s", ledger.ErrCorrupt, what) }
	mask := v[0]
	v = v[1:]
	for b := ledger.BucketOnHand; b <= ledger.BucketQuarantined; b++ {
		if mask&(1<<b) == 0 {
			continue
		}
		t, n := binary.Varint(v)
		if n <= 0 {
			return bad("snapshot time")
		}
		p.Snapshots[b] = time.Unix(0, t).UTC()
		v = v[n:]
	}
	count, n := binary.Uvarint(v)
	if n <= 0 || count > uint64(len(v)) {
		return bad("in-transit count")
	}
	v = v[n:]
	p.Incoming = nil
	if count > 0 {
		p.Incoming = make([]ledger.Incoming, count)
	}
	for i := range p.Incoming {
		if len(v) == 0 {
			return bad("in-transit slot")
		}
		dated := v[0] == 1
		v = v[1:]
		due, n := binary.Varint(v)
		if n <= 0 {
			return bad("in-transit due date")
		}
		v = v[n:]
		q, n := binary.Varint(v)
		if n <= 0 {
			return bad("in-transit quantity")
		}
		v = v[n:]
		if dated {
			p.Incoming[i].Due = time.Unix(0, due).UTC()
		}
		p.Incoming[i].Quantity = q
	}
	if len(v) != 0 {
		return bad("trailing bytes")
	}
	return nil
}

// nanos returns t as UnixNano, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos returns the UTC time of UnixNano ns.
func fromNanos(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// The ref column of ledger_movements holds a movement's reference and
// reason: partner, document type, interchange, group, transaction, order
// and reason, each as uvarint length + bytes, then the line (varint).
// Empty when all are empty or zero.

// encodeRef encodes m's reference and reason.
func encodeRef(buf []byte, m *ledger.Movement) []byte {
	r := &m.Reference
	if r.Partner == "" && r.DocumentType == "" && r.Interchange == "" && r.Group == "" && r.Transaction == "" &&
		r.Order == "" && m.Reason == "" && r.Line == 0 {
		return buf
	}
	for _, s := range [...]string{r.Partner, r.DocumentType, r.Interchange, r.Group, r.Transaction, r.Order, m.Reason} {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	return binary.AppendVarint(buf, int64(r.Line))
}

// decodeRef fills m's reference and reason.
func decodeRef(v []byte, m *ledger.Movement) error {
	if len(v) == 0 {
		return nil
	}
	r := &m.Reference
	for _, p := range [...]*string{&r.Partner, &r.DocumentType, &r.Interchange, &r.Group, &r.Transaction, &r.Order, &m.Reason} {
		n, size := binary.Uvarint(v)
		if size <= 0 || n > uint64(len(v)-size) {
			return fmt.Errorf("%w: movement reference", ledger.ErrCorrupt)
		}
		*p = string(v[size : size+int(n)])
		v = v[size+int(n):]
	}
	line, size := binary.Varint(v)
	if size <= 0 || size != len(v) {
		return fmt.Errorf("%w: movement reference line", ledger.ErrCorrupt)
	}
	r.Line = int(line)
	return nil
}

// Movement flags.
const (
	flagTakeInTransit = 1
	flagStale         = 2
	flagAbsorbed      = 4
)

// movementFlags returns m's flags column.
func movementFlags(m *ledger.Movement) int16 {
	var f int16
	if m.TakeInTransit {
		f |= flagTakeInTransit
	}
	if m.Stale {
		f |= flagStale
	}
	if m.Absorbed {
		f |= flagAbsorbed
	}
	return f
}
