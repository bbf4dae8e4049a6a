package x12

import "bytes"

// HeadSize is how many bytes of a file LooksLikeX12 needs to see (fewer
// when the file is shorter): the longest run of white space the Reader
// skips before the first ISA, a byte order mark and the ISA, with room to
// spare.
const HeadSize = maxPadding + 512

// LooksLikeX12 reports whether head, the first HeadSize bytes of a file,
// begins as the Reader accepts an X12 file: after UTF-8 byte order marks
// and at most 64 KiB of white space in a row (space, tab, CR, LF; not
// NUL), the tag ISA and a separator. The Reader then checks the ISA
// itself. A caller that decides "X12 or not" with it agrees with the
// Reader on where an interchange can begin.
func LooksLikeX12(head []byte) bool {
	i := 0
loop:
	for i < len(head) {
		switch c := head[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			// As skipSpace counts: a run longer than maxPadding is refused.
			if i++; i > maxPadding {
				return false
			}
		case c == 0xEF && bytes.HasPrefix(head[i:], byteOrderMark):
			i += len(byteOrderMark)
		default:
			break loop
		}
	}
	rest := head[i:]
	return len(rest) >= 4 && rest[0] == 'I' && rest[1] == 'S' && rest[2] == 'A' && !isAlnum(rest[3])
}
