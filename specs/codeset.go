package specs

// codeSet is a code list packed for fast membership tests: codes of one to
// four bytes go into an open-addressing table of uint32 keys (no hashing
// of strings, no map overhead); longer codes into a string map.
type codeSet struct {
	table []uint32 // 0 = empty slot; keys never contain a zero byte
	shift uint
	long  map[string]struct{}
}

func newCodeSet(codes []string) *codeSet {
	s := &codeSet{}
	size := 16
	for size < 2*len(codes) {
		size *= 2
	}
	s.table = make([]uint32, size)
	s.shift = 32
	for n := size; n > 1; n >>= 1 {
		s.shift--
	}
	for _, c := range codes {
		k, ok := packString(c)
		if !ok {
			if s.long == nil {
				s.long = map[string]struct{}{}
			}
			s.long[c] = struct{}{}
			continue
		}
		i := s.slot(k)
		for s.table[i] != 0 && s.table[i] != k {
			i = (i + 1) & uint32(len(s.table)-1)
		}
		s.table[i] = k
	}
	return s
}

func (s *codeSet) slot(k uint32) uint32 { return (k * 0x9E3779B1) >> s.shift }

// has reports whether b is one of the codes.
func (s *codeSet) has(b []byte) bool {
	k, ok := packBytes(b)
	if !ok {
		_, found := s.long[string(b)]
		return found
	}
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

// packBytes packs one to four non-zero bytes into a uint32; ok is false
// otherwise (then the value is looked up as a string).
func packBytes(b []byte) (uint32, bool) {
	if len(b) == 0 || len(b) > 4 {
		return 0, false
	}
	var k uint32
	for _, c := range b {
		if c == 0 {
			return 0, false
		}
		k = k<<8 | uint32(c)
	}
	return k, true
}

func packString(s string) (uint32, bool) {
	if len(s) == 0 || len(s) > 4 {
		return 0, false
	}
	var k uint32
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return 0, false
		}
		k = k<<8 | uint32(s[i])
	}
	return k, true
}
