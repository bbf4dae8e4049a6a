package x12

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// isaSeparators are the byte offsets of the 16 element separators of a
// fixed-width ISA.
var isaSeparators = [16]int{3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103}

// maxLooseISA bounds how far a lenient reader looks for the end of an ISA
// that is not fixed-width.
const maxLooseISA = 512

// readISA reads an ISA segment and sets the interchange's delimiters.
func (r *Reader) readISA() (*Segment, error) {
	if err := r.fill(isaLength + utf8.UTFMax); err != nil {
		return nil, err
	}
	b := r.buf[r.r:r.w]
	sep := b[3]
	if sep == '\r' || sep == '\n' || b[1] == '\r' || b[1] == '\n' || b[2] == '\r' || b[2] == '\n' {
		// "ISA" cut by a line break (wrapped input): only loosely.
		if err := r.fill(maxLooseISA); err != nil {
			return nil, err
		}
		return r.readLooseISA()
	}
	if len(b) >= isaLength && isFixedISA(b[:isaLength], sep) {
		r.unwrap = false
		return r.startInterchange(sep, b[104], 105)
	}
	if err := r.fill(maxLooseISA); err != nil {
		return nil, err
	}
	return r.readLooseISA()
}

// isFixedISA reports whether b (106 bytes) has its separators exactly where
// the fixed-width ISA puts them and nowhere else.
func isFixedISA(b []byte, sep byte) bool {
	next := 0
	for i := 3; i < 104; i++ {
		if next < len(isaSeparators) && i == isaSeparators[next] {
			if b[i] != sep {
				return false
			}
			next++
			continue
		}
		if b[i] == sep || b[i] == '\r' || b[i] == '\n' {
			return false
		}
	}
	return true
}

// readLooseISA reads an ISA that is not 106 contiguous bytes: elements not
// padded, or the whole input wrapped at a fixed column. The separators still
// decide: 16 element separators, then ISA16, then the terminator.
func (r *Reader) readLooseISA() (*Segment, error) {
	b := r.buf[r.r:r.w]
	if len(b) > maxLooseISA {
		b = b[:maxLooseISA]
	}
	// The element separator follows "ISA", which wrapped input may cut.
	k := skipBreaks(b, tagEnd(b))
	wrapped := k != 3
	if k >= len(b) {
		return nil, r.syntaxErr(ErrBadISA, "ISA ends after its tag")
	}
	sep := b[k]
	if isAlnum(sep) || sep == ' ' || sep == '\r' || sep == '\n' {
		return nil, r.syntaxErr(ErrBadISA, "element separator %q is a letter, digit or space", sep)
	}
	seps, size := 1, 0
	i := k + 1
	for ; i < len(b) && seps < 16; i++ {
		switch b[i] {
		case '\r', '\n':
			wrapped = true
		case sep:
			// Elements may be unpadded. ISA11 to ISA15 are never longer
			// than their width: a longer one means the separators are not
			// where an ISA has them (e.g. the scan ran into the next
			// segment). A long id or password (ISA01-ISA10) is read, and
			// the decoder reports it with its TA1 note.
			if f := isaFields[seps]; seps >= 11 && size > f.length {
				return nil, r.syntaxErr(ErrBadISA, "ISA%02d (%s) has %d characters, at most %d", seps, f.name, size, f.length)
			}
			seps++
			size = 0
		default:
			size++
		}
	}
	if seps < 16 {
		return nil, r.syntaxErr(ErrBadISA, "found %d of 16 elements", seps)
	}
	if wrapped {
		i = skipBreaks(b, i)
	}
	if i >= len(b) {
		return nil, r.syntaxErr(ErrBadISA, "ISA ends before ISA16")
	}
	comp := b[i]
	i++
	if wrapped {
		i = skipBreaks(b, i)
		if err := r.lenient("line breaks inside segments removed (input wrapped at a fixed width)"); err != nil {
			return nil, err
		}
	}
	r.unwrap = wrapped
	if !wrapped || len(stripLineBreaks(append([]byte(nil), b[:i]...))) != isaLength-1 {
		if err := r.lenient("ISA is not the fixed 106 characters; read by its separators"); err != nil {
			return nil, err
		}
	}
	return r.startInterchange(sep, comp, i)
}

// tagEnd returns the index just past the three letters of the ISA tag at
// the start of b, line breaks between them skipped.
func tagEnd(b []byte) int {
	i, letters := 0, 0
	for ; i < len(b) && letters < 3; i++ {
		if b[i] != '\r' && b[i] != '\n' {
			letters++
		}
	}
	return i
}

// isWrappedISATag reports whether b starts with "ISA" and a separator with
// line breaks among them, as wrapped input may cut a later ISA.
func isWrappedISATag(b []byte) bool {
	var tag [4]byte
	n := 0
	for _, c := range b {
		if c == '\r' || c == '\n' {
			continue
		}
		tag[n] = c
		if n++; n == 4 {
			break
		}
	}
	return n == 4 && string(tag[:3]) == "ISA" && !isAlnum(tag[3]) && tag[3] != ' '
}

func skipBreaks(b []byte, i int) int {
	for i < len(b) && (b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// startInterchange sets the delimiters from an ISA whose terminator starts
// at termAt (relative to the unread bytes) and emits the ISA segment.
func (r *Reader) startInterchange(sep, comp byte, termAt int) (*Segment, error) {
	term, err := r.terminatorAt(termAt)
	if err != nil {
		return nil, err
	}
	d := &Delimiters{Element: sep, Component: comp, Segment: term}
	if err := d.Validate(); err != nil {
		if isAlnum(term[0]) || term[0] == ' ' {
			return nil, r.syntaxErr(ErrBadTerminator, "%q (ISA byte %d)", term, termAt)
		}
		return nil, r.syntaxErr(ErrBadISA, "%v", err)
	}
	r.delims = d
	r.setClasses(d)
	r.inInterchange = true
	start := r.r
	seg, err := r.emit(start, start+termAt, start+termAt+len(term))
	if err != nil {
		return nil, err
	}
	if seg.Len() != 16 {
		return nil, &SyntaxError{Pos: seg.Pos, Err: ErrBadISA, Msg: fmt.Sprintf("has %d elements, want 16", seg.Len())}
	}
	r.setRepetition(seg)
	return seg, nil
}

// terminatorAt returns the segment terminator at offset i of the unread
// bytes: one byte, or one multi-byte UTF-8 character (a leniency).
func (r *Reader) terminatorAt(i int) (string, error) {
	b := r.buf[r.r:r.w]
	if i >= len(b) {
		return "", r.syntaxErr(ErrTruncated, "input ends inside the ISA")
	}
	c := b[i]
	if c < utf8.RuneSelf {
		return string(b[i : i+1]), nil
	}
	ch, size := utf8.DecodeRune(b[i:])
	if ch == utf8.RuneError || size < 2 {
		return string(b[i : i+1]), nil
	}
	if err := r.lenient(fmt.Sprintf("non-ASCII segment terminator %q (U+%04X)", ch, ch)); err != nil {
		return "", err
	}
	return string(b[i : i+size]), nil
}

// setRepetition reads ISA11: from version 00402 on it is the repetition
// separator, unless it is a letter or a space (then there is none).
func (r *Reader) setRepetition(isa *Segment) {
	version := bytes.TrimSpace(isa.Element(12))
	isa11 := isa.Element(11)
	if len(isa11) != 1 || string(version) < "00402" {
		return
	}
	c := isa11[0]
	if isAlnum(c) || c == ' ' || c == r.delims.Element || c == r.delims.Component || c == r.delims.Segment[0] {
		return
	}
	r.delims.Repetition = c
}
