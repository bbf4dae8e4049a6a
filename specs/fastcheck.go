package specs

import "encoding/binary"

// The fast path of element checking (segmentElements). Each element
// position of a segment is compiled into a fastUse that can only accept a
// value: plain ASCII text within its length, a code of its list, a number
// within its digits, a composite's lone first component of those kinds. A
// value it does not accept (or a type it does not know, dates and times)
// goes to the full check (checkValue, use), which finds and words the
// problem, or accepts it after all. So the fast path decides nothing the
// full check would decide otherwise; it only skips the full check's
// dispatch for the values that are fine.

// fastKind is how the fast path checks one value.
type fastKind uint8

const (
	fastNone      fastKind = iota // always the full check (DT, TM)
	fastText                      // AN, or ID without a code list
	fastCode                      // ID with a code list
	fastDecimal                   // R
	fastInteger                   // Nn
	fastComposite                 // a composite: a lone first component, checked by sub
)

// fastUse is one element position compiled for the fast path.
type fastUse struct {
	kind      fastKind
	sub       fastKind // for a composite: the kind of its first component
	mandatory bool
	// loneOK is true for a composite whose syntax rules hold when only
	// its first component is present (the rules are a function of the
	// presence mask alone).
	loneOK   bool
	min, max int // of the simple element, or of the composite's first component
	codes    *codeSet
}

// compileFast compiles a segment's element positions.
func compileFast(uses []Use) []fastUse {
	out := make([]fastUse, len(uses))
	for i := range uses {
		u := &uses[i]
		f := &out[i]
		f.mandatory = u.Req == 'M'
		if c := u.Composite; c != nil {
			f.kind = fastComposite
			first := &c.Elements[0]
			if first.Composite != nil {
				continue // not in the data (uses forbids it); full check
			}
			f.sub, f.min, f.max, f.codes = fastKindOf(first.Element), first.Element.Min, first.Element.Max, first.Element.codes
			f.loneOK = true
			for k := range c.Rules {
				f.loneOK = f.loneOK && c.Rules[k].holds(1<<1)
			}
			continue
		}
		f.kind, f.min, f.max, f.codes = fastKindOf(u.Element), u.Element.Min, u.Element.Max, u.Element.codes
	}
	return out
}

func fastKindOf(el *Element) fastKind {
	switch el.Type {
	case TypeAN:
		return fastText
	case TypeID:
		if el.codes != nil {
			return fastCode
		}
		return fastText
	case TypeR:
		return fastDecimal
	case TypeN:
		return fastInteger
	}
	return fastNone
}

// seps are the separators of a segment's interchange as the fast path
// uses them.
type seps struct {
	comp, rep byte
	// compW and repW repeat comp and rep in every byte of a word.
	compW, repW uint64
	// numSafe says that neither separator can be part of a number (a
	// digit, '.' or '-').
	numSafe bool
}

func newSeps(comp, rep byte) seps {
	const ones = 0x0101010101010101
	return seps{comp: comp, rep: rep, compW: ones * uint64(comp), repW: ones * uint64(rep),
		numSafe: !numberByte(comp) && !numberByte(rep)}
}

func numberByte(c byte) bool { return c >= '0' && c <= '9' || c == '.' || c == '-' }

// hasKey reports whether the code packed as k (see packBytes) is in s.
func (s *codeSet) hasKey(k uint32) bool {
	mask := uint32(len(s.table) - 1)
	for i := s.slot(k); ; i = (i + 1) & mask {
		switch s.table[i] {
		case k:
			return true
		case 0:
			return false
		}
	}
}

// shortWord returns the bytes of a value of one to eight bytes in a
// word: up to three, the bytes themselves with 'A' above; four to eight,
// two overlapping four-byte loads. The low n bytes are the value in order
// when n is at most four.
func shortWord(b []byte) uint64 {
	switch n := len(b); {
	case n >= 4:
		return uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<32
	case n == 3:
		return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | 0x4141414141000000
	case n == 2:
		return uint64(b[0]) | uint64(b[1])<<8 | 0x4141414141410000
	}
	return uint64(b[0]) | 0x4141414141414100
}

// zeroBytes marks (high bit) the zero bytes of x; it may also mark a byte
// above a zero one, never miss the lowest zero byte.
func zeroBytes(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	return (x - ones) &^ x & highs
}

// plainWord reports whether the eight bytes of w are printable ASCII and
// none is the byte repeated in aw or cw. A false answer may be wrong (the
// borrows of the subtractions can mark a byte above a marked one), never
// a true one: the lowest offending byte is always marked.
func plainWord(w, aw, cw uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	below := (w - 0x20*ones) &^ w // bytes < 0x20 (when w has no high bits)
	del := w ^ 0x7F*ones
	x, y := w^aw, w^cw
	zero := ((del - ones) &^ del) | ((x - ones) &^ x) | ((y - ones) &^ y)
	return (w|below|zero)&highs == 0
}
