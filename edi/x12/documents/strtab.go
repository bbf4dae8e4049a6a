package documents

import "strings"

// strtab makes the strings a decoded document owns. Codes (qualifiers,
// units, levels) that appear in every segment come from a fixed table and
// cost nothing; other values are copied into large shared chunks, so that a
// document of 10,000 items does not make 50,000 small allocations.
//
// A chunk is a strings.Builder: bytes once written are never changed, so a
// string cut from Builder.String stays valid while the builder appends
// after it; when a chunk is full a new one starts and the old one lives on
// as long as a string of the document points into it.
type strtab struct {
	chunk strings.Builder
	next  int // size of the next chunk
}

const (
	firstChunk = 1 << 10
	maxChunk   = 64 << 10
)

// str returns b as a string owned by the table.
func (t *strtab) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if t.chunk.Cap()-t.chunk.Len() < len(b) {
		t.grow(len(b))
	}
	n := t.chunk.Len()
	t.chunk.Write(b)
	return t.chunk.String()[n:]
}

// code returns b as a string, from the table of common codes when it is
// one of them.
func (t *strtab) code(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := commonCodes[string(b)]; ok {
		return s
	}
	return t.str(b)
}

func (t *strtab) grow(need int) {
	switch {
	case t.next == 0:
		t.next = firstChunk
	case t.next < maxChunk:
		t.next *= 2
	}
	t.chunk = strings.Builder{}
	t.chunk.Grow(max(t.next, need))
}

// commonCodes are codes seen in most 846, 856 and 940 sets. The map is
// built once and never written after.
var commonCodes = func() map[string]string {
	m := make(map[string]string)
	for _, s := range strings.Fields(`
		00 01 02 03 04 05 06 07 08 09 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20
		21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 90 91 92 93 94 ZZ
		A B C D E F G H I K L M N O P Q R S T U V W X Y
		AA AC DD LC MB MM PI SI SU BY ST SF SH WH DE VN VP UP UK UC UN UA SK BP EN EA CA
		CS CT PK PL PC PD PE BX BG LB KG CF CR FT IN OZ GA DZ RL ROL CTN PLT BOX GM BM CN
		IA IV IO PO PRO SN SE SCA BR LT DT OB WHI ZZ 011 017 002 010 036 067 068 097 118 405
		CC PP TP MP 0001 0002 0003 0004 FOB AB CB TL LTL M H ID SA RD WS DU UPC UPN`) {
		m[s] = s
	}
	return m
}()
