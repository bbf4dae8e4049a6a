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
	highBits    = 0x8080808080808080
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

// maybeZeroBytes returns a word with the high bit set in every byte of x
// that is zero, and possibly in some bytes above a zero byte (a 0x01 that
// the borrow reaches); all other bits are clear. So the lowest mark is
// always a true zero byte.
func maybeZeroBytes(x uint64) uint64 {
	return (x - lowBits) &^ x & highBits
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

	ends := r.ends[:0]
	newlines, lastNewline := 0, 0
	// Eight bytes at a time: masks of the bytes that are the terminator,
	// the element separator or a line feed; only marked bytes cost a step.
	sepW, termW := r.words[0], r.words[1]
	j := i
	for j+8 <= len(buf) {
		x := binary.LittleEndian.Uint64(buf[j:])
		ms := zeroBytes(x ^ sepW)
		mn := zeroBytes(x ^ newlineWord)
		if mt := maybeZeroBytes(x ^ termW); mt != 0 {
			// The lowest mark of maybeZeroBytes is always a true one.
			below := mt&-mt - 1
			ms &= below
			mn &= below
			for ; ms != 0; ms &= ms - 1 {
				ends = append(ends, int32(j+bits.TrailingZeros64(ms)>>3-i))
			}
			if mn != 0 {
				newlines += bits.OnesCount64(mn)
				lastNewline = j + (63-bits.LeadingZeros64(mn))>>3
			}
			j += bits.TrailingZeros64(mt) >> 3
			goto found
		}
		for ; ms != 0; ms &= ms - 1 {
			ends = append(ends, int32(j+bits.TrailingZeros64(ms)>>3-i))
		}
		if mn != 0 {
			newlines += bits.OnesCount64(mn)
			lastNewline = j + (63-bits.LeadingZeros64(mn))>>3
		}
		j += 8
	}
	for ; j < len(buf); j++ {
		switch r.class[buf[j]] {
		case classElement:
			ends = append(ends, int32(j-i))
		case classNewline:
			newlines++
			lastNewline = j
		case classTerm:
			goto found
		}
	}
	r.ends = ends
	return nil
found:
	ends = append(ends, int32(j-i))
	r.ends = ends

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
	raw := buf[i:j:j]
	// r.intern, by hand: the compiler does not inline it.
	var kind segKind
	id, hit := raw[:ends[0]], false
	if n := len(id); n >= 2 && n <= 3 {
		key := uint32(n)<<24 | uint32(id[0])<<16 | uint32(id[1])<<8
		if n == 3 {
			key |= uint32(id[2])
		}
		if e := &r.idCache[(key*2654435761)>>24]; e.key == key {
			seg.ID, kind, hit = e.id, e.kind, true
		}
	}
	if !hit {
		seg.ID, kind = r.internMiss(id)
	}
	seg.Pos = pos
	seg.data = raw
	seg.ends = ends
	seg.delims = r.delims
	r.trackSet(seg, kind)
	r.offset += int64(j + 1 - i)
	r.r = j + 1
	if j+1 < len(buf) && buf[j+1] == '\n' {
		// The usual line feed after the terminator: skip it now, while
		// the byte is at hand, rather than in the next call's loop.
		r.r++
		r.offset++
		r.line++
		r.lineStart = r.offset
	}
	if kind == kindIEA {
		r.inInterchange = false
	}
	return seg
}
