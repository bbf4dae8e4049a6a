package flat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is a streaming XML tokenizer for the parts of a workbook. It
// knows what SpreadsheetML needs (elements, attributes, text, CDATA, the
// five predefined entities and character references; comments and
// processing instructions are skipped) and bounds every token: text is cut
// short with errTextTooLong past maxText bytes, a tag past maxTag bytes and
// nesting past maxDepth fail, so that memory never depends on the input.
// Unlike encoding/xml it never buffers a token whole before deciding; it
// refuses document type declarations (no entity expansion) and checks
// that end tags match.
//
// Names are local names: a prefix ("x:c") is dropped.
type xmlScanner struct {
	br       *bufio.Reader
	maxText  int
	maxTag   int
	maxDepth int

	off   int64 // bytes consumed, for error offsets
	kind  xmlKind
	name  []byte    // local name of the last start or end tag
	attrs []xmlAttr // attributes of the last start tag; valid until Next
	self  bool      // the last start tag was self-closing (an end follows)
	text  []byte    // text of the last text token (decoded)
	stack [][]byte  // names of the open elements
	tag   []byte    // scratch for a tag's bytes
	abuf  []byte    // attribute names and values of the last start tag
	spans []attrSpan
	ended bool // the root element has ended
}

// xmlKind is the kind of a token.
type xmlKind int

const (
	xmlEOF xmlKind = iota
	xmlStart
	xmlEnd
	xmlText
)

// xmlAttr is one attribute: local name and decoded value.
type xmlAttr struct{ name, value []byte }

// attrSpan is where an attribute's name and value sit in xmlScanner.abuf.
type attrSpan struct{ n0, n1, v0, v1 int }

// Internal scanner errors, wrapped into *xmlError with the offset.
var (
	errTextTooLong = errors.New("text longer than the limit")
	errXMLSyntax   = errors.New("malformed XML")
)

// xmlError is a scanner error at a byte offset of the part.
type xmlError struct {
	Offset int64
	Err    error
}

func (e *xmlError) Error() string { return fmt.Sprintf("byte %d: %v", e.Offset, e.Err) }
func (e *xmlError) Unwrap() error { return e.Err }

// newXMLScanner returns a scanner of r with its bounds. A UTF-8 byte-order
// mark at the start is skipped.
func newXMLScanner(r io.Reader, maxText, maxTag, maxDepth int) *xmlScanner {
	s := &xmlScanner{br: bufio.NewReaderSize(r, 64<<10), maxText: maxText, maxTag: maxTag, maxDepth: maxDepth}
	if bom, _ := s.br.Peek(3); string(bom) == "\xEF\xBB\xBF" {
		_, _ = s.br.Discard(3)
		s.off = 3
	}
	return s
}

// fail returns err at the current offset.
func (s *xmlScanner) fail(format string, args ...any) error {
	return &xmlError{Offset: s.off, Err: fmt.Errorf("%w: "+format, append([]any{errXMLSyntax}, args...)...)}
}

// readByte reads one byte; the end of input inside markup is an error.
func (s *xmlScanner) readByte() (byte, error) {
	c, err := s.br.ReadByte()
	if err != nil {
		if err == io.EOF {
			return 0, s.fail("the part ends inside a tag")
		}
		return 0, err
	}
	s.off++
	return c, nil
}

// Next reads the next token. A self-closing tag gives a start then an end.
// At the end of the part it returns xmlEOF, or an error when elements are
// still open (a part cut short).
func (s *xmlScanner) Next() (xmlKind, error) {
	if s.self {
		s.self = false
		s.kind = xmlEnd
		s.pop()
		return xmlEnd, nil
	}
	for {
		c, err := s.br.ReadByte()
		if err == io.EOF {
			if len(s.stack) > 0 {
				return 0, s.fail("the part ends inside <%s>", s.stack[len(s.stack)-1])
			}
			s.kind = xmlEOF
			return xmlEOF, nil
		}
		if err != nil {
			return 0, err
		}
		s.off++
		if c != '<' {
			if err := s.br.UnreadByte(); err != nil {
				return 0, err
			}
			s.off--
			if err := s.readText(); err != nil {
				return 0, err
			}
			if len(s.stack) == 0 {
				if len(bytes.TrimSpace(s.text)) > 0 {
					return 0, s.fail("text outside the root element")
				}
				continue
			}
			s.kind = xmlText
			return xmlText, nil
		}
		k, err := s.markup()
		if err != nil {
			return 0, err
		}
		if k != xmlEOF { // xmlEOF: skipped markup
			s.kind = k
			return k, nil
		}
	}
}

// readText reads text up to the next '<', decoding references and
// normalizing line ends, up to maxText bytes.
func (s *xmlScanner) readText() error {
	s.text = s.text[:0]
	for {
		chunk, err := s.br.ReadSlice('<')
		n := len(chunk)
		if err == nil {
			n-- // leave the '<'
		}
		if err := s.appendText(chunk[:n], err == bufio.ErrBufferFull); err != nil {
			return err
		}
		s.off += int64(n)
		switch err {
		case nil:
			return s.br.UnreadByte()
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			return nil
		default:
			return err
		}
	}
}

// appendText appends raw text to s.text, decoded. more says whether the
// text goes on in the reader (a reference may be cut at the end of raw).
func (s *xmlScanner) appendText(raw []byte, more bool) error {
	for len(raw) > 0 {
		i := bytes.IndexAny(raw, "&\r")
		if i < 0 {
			return s.addText(raw)
		}
		if err := s.addText(raw[:i]); err != nil {
			return err
		}
		if raw[i] == '\r' {
			// "\r\n" and a lone "\r" are "\n" in XML. A "\r" at the end of
			// a chunk followed by "\n" in the next gives "\n\n": chunks are
			// 64 KiB, and this only changes line ends inside a value.
			if err := s.addText([]byte{'\n'}); err != nil {
				return err
			}
			raw = raw[i+1:]
			if len(raw) > 0 && raw[0] == '\n' {
				raw = raw[1:]
			}
			continue
		}
		end := bytes.IndexByte(raw[i:], ';')
		if end < 0 && !more {
			return s.fail("unterminated entity reference")
		}
		if end < 0 {
			// The reference goes on in the next chunk: read it byte by byte.
			ref := append([]byte(nil), raw[i+1:]...)
			for {
				c, err := s.br.ReadByte()
				if err != nil || c == '<' || len(ref) > 12 {
					return s.fail("unterminated entity reference")
				}
				s.off++
				if c == ';' {
					break
				}
				ref = append(ref, c)
			}
			return s.addEntity(ref)
		}
		if err := s.addEntity(raw[i+1 : i+end]); err != nil {
			return err
		}
		raw = raw[i+end+1:]
	}
	return nil
}

// addText appends decoded text within maxText.
func (s *xmlScanner) addText(b []byte) error {
	if len(s.text)+len(b) > s.maxText {
		return &xmlError{Offset: s.off, Err: errTextTooLong}
	}
	s.text = append(s.text, b...)
	return nil
}

// addEntity appends the character an entity or character reference
// (without & and ;) stands for.
func (s *xmlScanner) addEntity(ref []byte) error {
	r, ok := entity(ref)
	if !ok {
		return s.fail("unknown entity &%s;", truncateBytes(ref, 16))
	}
	var buf [utf8.UTFMax]byte
	return s.addText(buf[:utf8.EncodeRune(buf[:], r)])
}

// entity decodes a predefined entity or a character reference.
func entity(ref []byte) (rune, bool) {
	switch string(ref) {
	case "amp":
		return '&', true
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	}
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	base, digits := 10, ref[1:]
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	n, err := strconv.ParseUint(string(digits), base, 32)
	if err != nil || n > utf8.MaxRune || !utf8.ValidRune(rune(n)) || n == 0 {
		return 0, false
	}
	return rune(n), true
}

// markup reads what follows a '<': a tag, or markup to skip (then it
// returns xmlEOF).
func (s *xmlScanner) markup() (xmlKind, error) {
	c, err := s.readByte()
	if err != nil {
		return 0, err
	}
	switch c {
	case '?':
		return xmlEOF, s.skipUntil("?>")
	case '!':
		return s.bang()
	case '/':
		return s.endTag()
	}
	return s.startTag(c)
}

// bang reads a comment (skipped), a CDATA section (text) or refuses a
// declaration.
func (s *xmlScanner) bang() (xmlKind, error) {
	head, err := s.br.Peek(2)
	if err == nil && string(head) == "--" {
		_, _ = s.br.Discard(2)
		s.off += 2
		return xmlEOF, s.skipUntil("-->")
	}
	head, err = s.br.Peek(7)
	if err == nil && string(head) == "[CDATA[" {
		_, _ = s.br.Discard(7)
		s.off += 7
		if len(s.stack) == 0 {
			return 0, s.fail("CDATA outside the root element")
		}
		return xmlText, s.cdata()
	}
	return 0, s.fail("document type declarations are not allowed")
}

// cdata reads a CDATA section's text, up to "]]>".
func (s *xmlScanner) cdata() error {
	s.text = s.text[:0]
	for {
		c, err := s.readByte()
		if err != nil {
			return err
		}
		if err := s.addText([]byte{c}); err != nil {
			return err
		}
		if n := len(s.text); n >= 3 && string(s.text[n-3:]) == "]]>" {
			s.text = s.text[:n-3]
			return nil
		}
	}
}

// skipUntil discards input up to and including end, without holding it.
func (s *xmlScanner) skipUntil(end string) error {
	matched := 0
	for {
		c, err := s.readByte()
		if err != nil {
			return err
		}
		switch {
		case c == end[matched]:
			matched++
			if matched == len(end) {
				return nil
			}
		case c == end[0]:
			matched = 1
		default:
			matched = 0
		}
	}
}

// readName reads a name that starts with first and returns its local part
// and the byte after it.
func (s *xmlScanner) readName(first byte) ([]byte, byte, error) {
	if !isNameStart(first) {
		return nil, 0, s.fail("%q cannot start a name", first)
	}
	s.tag = append(s.tag[:0], first)
	for {
		c, err := s.readByte()
		if err != nil {
			return nil, 0, err
		}
		if !isNameByte(c) {
			return localName(s.tag), c, nil
		}
		if len(s.tag) >= s.maxTag {
			return nil, 0, s.fail("name longer than %d bytes", s.maxTag)
		}
		s.tag = append(s.tag, c)
	}
}

// localName drops the prefix of a name, as encoding/xml does: "p:c" is
// "c"; a name with an empty side of its colon (":c", "p:") or with more
// than one colon stays whole.
func localName(name []byte) []byte {
	i := bytes.IndexByte(name, ':')
	if i <= 0 || i == len(name)-1 || bytes.IndexByte(name[i+1:], ':') >= 0 {
		return name
	}
	return name[i+1:]
}

// endTag reads "</name>" and checks it closes the open element.
func (s *xmlScanner) endTag() (xmlKind, error) {
	first, err := s.readByte()
	if err != nil {
		return 0, err
	}
	name, c, err := s.readName(first)
	if err != nil {
		return 0, err
	}
	for isSpace(c) {
		if c, err = s.readByte(); err != nil {
			return 0, err
		}
	}
	if c != '>' {
		return 0, s.fail("unexpected %q in an end tag", c)
	}
	if len(s.stack) == 0 || !bytes.Equal(s.stack[len(s.stack)-1], name) {
		return 0, s.fail("</%s> does not close the open element", truncateBytes(name, 32))
	}
	s.name = append(s.name[:0], name...)
	s.pop()
	return xmlEnd, nil
}

// startTag reads a start tag whose first name byte is first.
func (s *xmlScanner) startTag(first byte) (xmlKind, error) {
	if s.ended {
		return 0, s.fail("a second root element")
	}
	name, c, err := s.readName(first)
	if err != nil {
		return 0, err
	}
	s.name = append(s.name[:0], name...)
	s.attrs = s.attrs[:0]
	s.abuf, s.spans = s.abuf[:0], s.spans[:0]
	buf := s.abuf
	for {
		for isSpace(c) {
			if c, err = s.readByte(); err != nil {
				return 0, err
			}
		}
		switch c {
		case '>':
			s.finishAttrs(buf)
			return xmlStart, s.push()
		case '/':
			if c, err = s.readByte(); err != nil {
				return 0, err
			}
			if c != '>' {
				return 0, s.fail("unexpected %q after / in a tag", c)
			}
			s.finishAttrs(buf)
			s.self = true
			return xmlStart, s.push()
		}
		// An attribute: name = "value".
		an, next, err := s.readName(c)
		if err != nil {
			return 0, err
		}
		var sp attrSpan
		sp.n0 = len(buf)
		buf = append(buf, an...)
		sp.n1 = len(buf)
		if len(buf) > s.maxTag {
			return 0, s.fail("tag longer than %d bytes", s.maxTag)
		}
		c = next
		for isSpace(c) {
			if c, err = s.readByte(); err != nil {
				return 0, err
			}
		}
		if c != '=' {
			return 0, s.fail("attribute %s has no value", truncateBytes(an, 32))
		}
		if c, err = s.readByte(); err != nil {
			return 0, err
		}
		for isSpace(c) {
			if c, err = s.readByte(); err != nil {
				return 0, err
			}
		}
		if c != '"' && c != '\'' {
			return 0, s.fail("attribute value not quoted")
		}
		quote := c
		sp.v0 = len(buf)
		for {
			if c, err = s.readByte(); err != nil {
				return 0, err
			}
			if c == quote {
				break
			}
			if c == '<' {
				return 0, s.fail("'<' in an attribute value")
			}
			if len(buf) >= s.maxTag {
				return 0, s.fail("tag longer than %d bytes", s.maxTag)
			}
			if c == '&' {
				var refBuf [16]byte
				ref := refBuf[:0]
				for {
					if c, err = s.readByte(); err != nil {
						return 0, err
					}
					if c == ';' {
						break
					}
					if len(ref) >= 12 {
						return 0, s.fail("unterminated entity reference")
					}
					ref = append(ref, c)
				}
				r, ok := entity(ref)
				if !ok {
					return 0, s.fail("unknown entity &%s;", truncateBytes(ref, 16))
				}
				buf = utf8.AppendRune(buf, r)
				continue
			}
			buf = append(buf, c)
		}
		sp.v1 = len(buf)
		s.spans = append(s.spans, sp)
		if c, err = s.readByte(); err != nil {
			return 0, err
		}
		if !isSpace(c) && c != '>' && c != '/' {
			return 0, s.fail("no space between attributes")
		}
	}
}

// finishAttrs sets s.attrs from s.spans over buf.
func (s *xmlScanner) finishAttrs(buf []byte) {
	s.abuf = buf
	for _, sp := range s.spans {
		s.attrs = append(s.attrs, xmlAttr{name: buf[sp.n0:sp.n1], value: buf[sp.v0:sp.v1]})
	}
}

// push opens the element just read.
func (s *xmlScanner) push() error {
	if len(s.stack) >= s.maxDepth {
		return s.fail("elements nested deeper than %d", s.maxDepth)
	}
	n := len(s.stack)
	if n < cap(s.stack) {
		// Reuse the buffer the closed element at this depth left.
		s.stack = s.stack[:n+1]
		s.stack[n] = append(s.stack[n][:0], s.name...)
		return nil
	}
	s.stack = append(s.stack, append([]byte(nil), s.name...))
	return nil
}

// pop closes the innermost element.
func (s *xmlScanner) pop() {
	s.stack = s.stack[:len(s.stack)-1]
	if len(s.stack) == 0 {
		s.ended = true
	}
}

// attr returns the value of the last start tag's attribute with the local
// name, or nil.
func (s *xmlScanner) attr(name string) []byte {
	for _, a := range s.attrs {
		if string(a.name) == name {
			return a.value
		}
	}
	return nil
}

// is reports whether the last tag has the local name.
func (s *xmlScanner) is(name string) bool { return string(s.name) == name }

// depth returns the number of open elements.
func (s *xmlScanner) depth() int { return len(s.stack) }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

func isNameByte(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.'
}

// truncateBytes returns b as a string of at most n bytes.
func truncateBytes(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
