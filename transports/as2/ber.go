package as2

// BER to DER. Streaming CMS encoders (OpenSSL with -stream, Bouncy Castle
// in OpenAS2 and Mendelson) write indefinite lengths and constructed
// OCTET STRINGs; cryptobyte reads DER only. berToDER rewrites a BER
// element with definite, minimal lengths and flattens constructed
// universal OCTET STRINGs. DER input comes back byte for byte.

const maxBERDepth = 64

// berNode is one parsed element; value and children point into the input.
type berNode struct {
	ident       []byte // identifier octets as read
	constructed bool
	flatten     bool // a constructed OCTET STRING written as primitive
	value       []byte
	children    []*berNode
	size        int // length of the DER content
}

// berToDER converts the first BER element of in to DER. Bytes after it
// (some senders append a line break) are ignored.
func berToDER(in []byte, structure string) ([]byte, error) {
	if end, ok := derElement(in, 0, 0); ok {
		return in[:end], nil // already DER: no copy
	}
	p := berParser{in: in, structure: structure}
	n, _, err := p.element(0, 0)
	if err != nil {
		return nil, err
	}
	n.measure()
	out := make([]byte, 0, n.total())
	return n.appendDER(out), nil
}

type berParser struct {
	in        []byte
	structure string
	nodes     int
}

func (p *berParser) fail(off int, msg string) error {
	return &ASN1Error{Structure: p.structure, Offset: off, Msg: msg}
}

// element parses the element at off and returns it and the offset after
// it.
func (p *berParser) element(off, depth int) (*berNode, int, error) {
	if depth > maxBERDepth {
		return nil, 0, p.fail(off, "nested too deep")
	}
	if p.nodes++; p.nodes > 1<<22 {
		return nil, 0, p.fail(off, "too many elements")
	}
	in := p.in
	start := off
	if off >= len(in) {
		return nil, 0, p.fail(off, "truncated: identifier expected")
	}
	b := in[off]
	off++
	if b&0x1f == 0x1f { // high tag number
		for i := 0; ; i++ {
			if off >= len(in) || i > 4 {
				return nil, 0, p.fail(start, "bad tag number")
			}
			c := in[off]
			off++
			if c&0x80 == 0 {
				break
			}
		}
	}
	n := &berNode{ident: in[start:off], constructed: b&0x20 != 0}
	n.flatten = n.constructed && b == 0x24
	if off >= len(in) {
		return nil, 0, p.fail(off, "truncated: length expected")
	}
	l := int(in[off])
	off++
	if l == 0x80 { // indefinite
		if !n.constructed {
			return nil, 0, p.fail(off-1, "indefinite length on a primitive element")
		}
		for {
			if off+1 < len(in) && in[off] == 0 && in[off+1] == 0 {
				return n, off + 2, nil
			}
			c, next, err := p.element(off, depth+1)
			if err != nil {
				return nil, 0, err
			}
			if err := p.checkSegment(n, c, off); err != nil {
				return nil, 0, err
			}
			n.children = append(n.children, c)
			off = next
		}
	}
	if l > 0x80 {
		k := l & 0x7f
		if k > 4 || off+k > len(in) {
			return nil, 0, p.fail(off-1, "bad length")
		}
		l = 0
		for _, c := range in[off : off+k] {
			l = l<<8 | int(c)
		}
		off += k
	}
	end := off + l
	if l < 0 || end > len(in) {
		return nil, 0, p.fail(off, "length runs past the end")
	}
	if !n.constructed {
		n.value = in[off:end]
		return n, end, nil
	}
	for off < end {
		p.in = in[:end] // children may not run past their parent
		c, next, err := p.element(off, depth+1)
		p.in = in
		if err != nil {
			return nil, 0, err
		}
		if err := p.checkSegment(n, c, off); err != nil {
			return nil, 0, err
		}
		n.children = append(n.children, c)
		off = next
	}
	return n, end, nil
}

// checkSegment refuses anything but OCTET STRINGs inside a constructed
// OCTET STRING (X.690 §8.7.3).
func (p *berParser) checkSegment(parent, child *berNode, off int) error {
	if parent.flatten && child.ident[0] != 0x04 && child.ident[0] != 0x24 {
		return p.fail(off, "constructed OCTET STRING holds something else")
	}
	return nil
}

// measure computes the DER content size of n and its descendants.
func (n *berNode) measure() {
	if !n.constructed {
		n.size = len(n.value)
		return
	}
	n.size = 0
	for _, c := range n.children {
		c.measure()
		if n.flatten {
			n.size += c.size // contents only
		} else {
			n.size += c.total()
		}
	}
}

// total is the size of the DER encoding of n.
func (n *berNode) total() int {
	return len(n.ident) + lengthSize(n.size) + n.size
}

func lengthSize(l int) int {
	if l < 0x80 {
		return 1
	}
	s := 1
	for ; l > 0; l >>= 8 {
		s++
	}
	return s
}

func appendLength(out []byte, l int) []byte {
	if l < 0x80 {
		return append(out, byte(l))
	}
	k := lengthSize(l) - 1
	out = append(out, 0x80|byte(k))
	for i := k - 1; i >= 0; i-- {
		out = append(out, byte(l>>(8*i)))
	}
	return out
}

func (n *berNode) appendDER(out []byte) []byte {
	if n.flatten {
		out = append(out, n.ident[0]&^0x20)
		out = appendLength(out, n.size)
		return n.appendContents(out)
	}
	out = append(out, n.ident...)
	out = appendLength(out, n.size)
	if !n.constructed {
		return append(out, n.value...)
	}
	for _, c := range n.children {
		out = c.appendDER(out)
	}
	return out
}

// appendContents writes the octets of a (possibly constructed) OCTET
// STRING without its headers.
func (n *berNode) appendContents(out []byte) []byte {
	if !n.constructed {
		return append(out, n.value...)
	}
	for _, c := range n.children {
		out = c.appendContents(out)
	}
	return out
}

// derElement reports whether the element at off is DER as far as
// berToDER is concerned (definite minimal lengths, no constructed
// universal OCTET STRING, all the way down) and returns its end. It
// allocates nothing: most senders write DER, and then no conversion is
// needed.
func derElement(in []byte, off, depth int) (int, bool) {
	if depth > maxBERDepth || off+2 > len(in) {
		return 0, false
	}
	b := in[off]
	if b&0x1f == 0x1f || b == 0x24 {
		return 0, false // high tag numbers are rare here: let the converter check them
	}
	l := int(in[off+1])
	off += 2
	switch {
	case l == 0x80:
		return 0, false
	case l > 0x80:
		k := l & 0x7f
		if k > 4 || off+k > len(in) || in[off] == 0 {
			return 0, false
		}
		l = 0
		for _, c := range in[off : off+k] {
			l = l<<8 | int(c)
		}
		if l < 0x80 || lengthSize(l) != k+1 {
			return 0, false
		}
		off += k
	}
	end := off + l
	if end > len(in) {
		return 0, false
	}
	if b&0x20 == 0 {
		return end, true
	}
	for off < end {
		next, ok := derElement(in[:end], off, depth+1)
		if !ok {
			return 0, false
		}
		off = next
	}
	return end, true
}
