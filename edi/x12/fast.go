package x12

import (
	"encoding/binary"
	"math/bits"
)

// setClasses prepares the byte classes scanFast uses for delimiters d.
func (r *Reader) setClasses(d *Delimiters) {
	r.fast = len(d.Segment) == 1 && !r.unwrap && !r.slowOnly
	r.class = [256]byteClass{}
	r.class['\n'] = classNewline
	r.class[d.Element] = classElement
	r.class[d.Segment[0]] = classTerm
	r.words = [2]uint64{repeatByte(d.Element), repeatByte(d.Segment[0])}
}

const (
	lowBits     = 0x0101010101010101
	low7Bits    = 0x7f7f7f7f7f7f7f7f
	newlineWord = lowBits * '\n'
)

// repeatByte returns a word whose eight bytes are c.
func repeatByte(c byte) uint64 { return lowBits * uint64(c) }

// zeroBytes returns x with the high bit set in exactly the bytes of x that
// are zero, and all other bits clear.
func zeroBytes(x uint64) uint64 {
	y := (x & low7Bits) + low7Bits
	return ^(y | x | low7Bits)
}

// scanFast reads the next segment when it lies wholly in the buffer and
// needs nothing special: it skips the CR and LF after the previous
// terminator, then splits the segment into elements in one pass over its
// bytes, counting line feeds on the way. It returns nil when the slow path
// must decide (more input needed, an ISA, white space or an empty segment,
// the end of the input); what it consumed until then is accounted for.
func (r *Reader) scanFast() *Segment {
	buf := r.buf[:r.w]
	i := r.r
	for ; i < len(buf); i++ {
		c := buf[i]
		if c == '\n' {
			r.line++
			r.lineStart = r.offset + int64(i-r.r) + 1
		} else if c != '\r' {
			break
		}
	}
	r.offset += int64(i - r.r)
	r.r = i
	if i+3 >= len(buf) {
		return nil
	}
	switch c := buf[i]; {
	case c == ' ' || c == '\t' || c == 0 || r.class[c] != classData:
		return nil
	case c == 'I' && buf[i+1] == 'S' && buf[i+2] == 'A' && !isAlnum(buf[i+3]):
		return nil
	}

	elems := r.elems[:0]
	start, newlines, lastNewline := i, 0, 0
	// Eight bytes at a time: a mask of the bytes that are the element
	// separator, the terminator or a line feed, then one step per such
	// byte. Most bytes are data, so most of them cost a fraction of a step.
	sepW, termW := r.words[0], r.words[1]
	j := i
	for j+8 <= len(buf) {
		x := binary.LittleEndian.Uint64(buf[j:])
		m := zeroBytes(x^sepW) | zeroBytes(x^termW) | zeroBytes(x^newlineWord)
		for m != 0 {
			k := j + bits.TrailingZeros64(m)>>3
			m &= m - 1
			switch r.class[buf[k]] {
			case classElement:
				elems = append(elems, buf[start:k:k])
				start = k + 1
			case classNewline:
				newlines++
				lastNewline = k
			case classTerm:
				j = k
				goto found
			}
		}
		j += 8
	}
	for ; j < len(buf); j++ {
		switch r.class[buf[j]] {
		case classElement:
			elems = append(elems, buf[start:j:j])
			start = j + 1
		case classNewline:
			newlines++
			lastNewline = j
		case classTerm:
			goto found
		}
	}
	r.elems = elems
	return nil
found:
	elems = append(elems, buf[start:j:j])
	r.elems = elems

	r.index++
	pos := Position{Offset: r.offset, Line: r.line, Column: int(r.offset-r.lineStart) + 1, Index: r.index}
	if buf[j] == '\n' { // the terminator is a line feed
		newlines++
		lastNewline = j
	}
	if newlines > 0 {
		r.line += newlines
		r.lineStart = r.offset + int64(lastNewline-i) + 1
	}
	// Field by field: a composite literal would be built aside and copied.
	seg := &r.seg
	seg.ID = r.intern(elems[0])
	seg.Pos = pos
	seg.elems = elems
	seg.raw = buf[i:j:j]
	seg.delims = r.delims
	r.trackSet(seg)
	r.offset += int64(j + 1 - i)
	r.r = j + 1
	if seg.ID == "IEA" {
		r.inInterchange = false
	}
	return seg
}
