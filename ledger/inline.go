package ledger

import (
	"fmt"
	"slices"
)

// inline is a position's newest timeline entries as its balance record
// holds them. Most postings only add an entry newer than all of them and
// rewrite the record, so the entries stay encoded (raw) and a new one is
// appended to the bytes; they are decoded only when something reads them
// (an as-of sum that reaches into them, History, a spill, an entry out of
// time order).
//
// Stored: count (uvarint); when not zero, the newest entry's effective time
// (varint) and ID (uvarint); then the entries, oldest first, each as
// differences from the one before (encodeEntries without the count).
type inline struct {
	n       int
	last    tlEntry   // the newest entry (n > 0); its delta is not kept
	raw     []byte    // encoded entries, when rawOK
	rawOK   bool      //
	entries []tlEntry // decoded entries, when decoded
	decoded bool      //
}

// count returns how many entries there are.
func (in *inline) count() int { return in.n }

// newest returns the newest entry's effective time; ok is false when
// there are none.
func (in *inline) newest() (eff int64, ok bool) { return in.last.eff, in.n > 0 }

// list returns the entries, decoding them if need be.
func (in *inline) list() ([]tlEntry, error) {
	if in.decoded {
		return in.entries, nil
	}
	d := decoder{b: in.raw}
	out := make([]tlEntry, 0, in.n+1)
	var eff int64
	var id uint64
	for range in.n {
		eff += d.varint()
		id += uint64(d.varint())
		out = append(out, tlEntry{eff: eff, id: id, delta: d.quantities()})
		if d.err != nil {
			break
		}
	}
	if err := d.done("inline timeline"); err != nil {
		return nil, err
	}
	if len(out) > 0 && (out[len(out)-1].eff != in.last.eff || out[len(out)-1].id != in.last.id || !slices.IsSortedFunc(out, compareEntries)) {
		return nil, fmt.Errorf("%w: inline timeline out of order or not ending with its newest entry", ErrCorrupt)
	}
	in.entries, in.decoded = out, true
	return out, nil
}

// set replaces the entries (sorted).
func (in *inline) set(entries []tlEntry) {
	in.entries, in.decoded, in.rawOK, in.raw = entries, true, false, nil
	in.n = len(entries)
	if in.n > 0 {
		in.last = entries[in.n-1]
	}
}

// add records a new entry.
func (in *inline) add(e tlEntry) error {
	if in.n > 0 && compareEntries(e, in.last) < 0 {
		entries, err := in.list()
		if err != nil {
			return err
		}
		in.set(insertEntry(entries, e))
		return nil
	}
	if in.n == 0 {
		in.raw, in.rawOK = appendEntry(in.raw[:0], tlEntry{}, true, e), true
		in.entries, in.decoded = nil, false
	} else {
		if in.rawOK {
			in.raw = appendEntry(in.raw, in.last, false, e)
		}
		if in.decoded {
			in.entries = append(in.entries, e)
		}
	}
	in.n++
	in.last = e
	return nil
}

// appendEntry appends e to encoded entries whose newest is prev (first:
// there is none).
func appendEntry(b []byte, prev tlEntry, first bool, e tlEntry) []byte {
	if first {
		prev = tlEntry{}
	}
	enc := encoder{b: b}
	enc.varint(e.eff - prev.eff)
	enc.varint(int64(e.id - prev.id))
	enc.quantities(e.delta)
	return enc.b
}

// encode appends the stored form.
func (in *inline) encode(e *encoder) {
	e.uvarint(uint64(in.n))
	if in.n == 0 {
		return
	}
	e.varint(in.last.eff)
	e.uvarint(in.last.id)
	if !in.rawOK {
		var b []byte
		var prev tlEntry
		for i, t := range in.entries {
			b = appendEntry(b, prev, i == 0, t)
			prev = t
		}
		in.raw, in.rawOK = b, true
	}
	e.b = append(e.b, in.raw...)
}

// decodeInline reads the stored form, which runs to the end of d. The raw
// bytes are copied (they may live in bbolt's memory map), with room for a
// few more entries.
func decodeInline(d *decoder) inline {
	var in inline
	n := d.uvarint()
	if d.err != nil {
		return in
	}
	if n > uint64(len(d.b)) {
		d.fail("inline timeline count")
		return in
	}
	in.n = int(n)
	if n > 0 {
		in.last.eff = d.varint()
		in.last.id = d.uvarint()
	}
	if d.err != nil {
		return in
	}
	// Each entry takes at least a byte of what follows the newest one's
	// fields. (Checked against the bytes before them only, a record with
	// those fields in a longer varint form than the encoder's passed, and
	// did not decode once written again.)
	if n > uint64(len(d.b)) {
		d.fail("inline timeline count")
		return in
	}
	in.raw = append(make([]byte, 0, len(d.b)+32), d.b...)
	in.rawOK = true
	d.b = d.b[len(d.b):]
	return in
}
