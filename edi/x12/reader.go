package x12

import (
	"bytes"
	"fmt"
	"io"
)

// ReaderOptions tune a Reader. The zero value is ready to use.
type ReaderOptions struct {
	// BufferSize is the initial read buffer size (default 256 KiB).
	BufferSize int
	// MaxSegmentSize bounds one segment, and so the reader's memory
	// (default 1 MiB).
	MaxSegmentSize int
	// Strict turns every leniency (see the package doc) into an error.
	Strict bool
}

// Warning is a leniency the reader applied: something a strict reader
// rejects, accepted because its meaning is unambiguous.
type Warning struct {
	Pos Position
	Msg string
}

func (w Warning) String() string { return fmt.Sprintf("%s: %s", w.Pos, w.Msg) }

// Reader tokenizes an X12 stream into segments. It holds at most one segment
// (plus its read buffer) in memory, reads the delimiters from each ISA, and
// knows every segment's place.
type Reader struct {
	src  io.Reader
	opts ReaderOptions

	buf    []byte
	r, w   int   // unread bytes are buf[r:w]
	base   int64 // stream offset of buf[0]
	eof    bool
	err    error // sticky error
	offset int64 // stream offset of buf[r]

	line      int   // line at offset
	lineStart int64 // stream offset where that line starts

	delims        *Delimiters
	inInterchange bool
	unwrap        bool // strip CR/LF inside segments (80-column wrapped input)
	index         int
	setIndex      int
	resetSet      bool

	seg      Segment
	ends     []int32 // element end offsets of seg
	ids      map[string]string
	idCache  [256]idEntry // small direct-mapped cache in front of ids
	warnings []Warning

	// fast is true when segments of the current interchange can be
	// scanned by scanFast: a one-byte terminator and no unwrapping.
	fast     bool
	slowOnly bool           // tests: never use scanFast, to compare both paths
	class    [256]byteClass // what each byte means to scanFast
	words    [2]uint64      // the element separator and terminator, repeated 8 times
}

// byteClass is what a byte means to scanFast.
type byteClass uint8

const (
	classData    byteClass = iota // ordinary data
	classElement                  // the element separator
	classTerm                     // the segment terminator
	classNewline                  // a line feed inside a segment
)

const (
	defaultBufferSize     = 256 << 10
	defaultMaxSegmentSize = 1 << 20
	isaLength             = 106
)

// NewReader returns a Reader reading from src.
func NewReader(src io.Reader, opts *ReaderOptions) *Reader {
	r := &Reader{src: src, line: 1, ids: make(map[string]string, 64)}
	if opts != nil {
		r.opts = *opts
	}
	if r.opts.BufferSize <= 0 {
		r.opts.BufferSize = defaultBufferSize
	}
	if r.opts.MaxSegmentSize <= 0 {
		r.opts.MaxSegmentSize = defaultMaxSegmentSize
	}
	if r.opts.BufferSize > r.opts.MaxSegmentSize+8 {
		r.opts.BufferSize = r.opts.MaxSegmentSize + 8
	}
	r.buf = make([]byte, r.opts.BufferSize)
	r.ends = make([]int32, 0, 64)
	return r
}

// Delimiters returns the delimiters of the current interchange, or nil
// before the first ISA.
func (r *Reader) Delimiters() *Delimiters { return r.delims }

// TakeWarnings returns the leniencies applied since the last call.
func (r *Reader) TakeWarnings() []Warning {
	w := r.warnings
	r.warnings = nil
	return w
}

// Next returns the next segment, or io.EOF after the last one. The segment
// is valid until the next call. Errors are *SyntaxError (or the source's
// read error) and are sticky.
func (r *Reader) Next() (*Segment, error) {
	if r.fast && r.inInterchange && r.err == nil {
		if seg := r.scanFast(); seg != nil {
			return seg, nil
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	for {
		seg, err := r.next()
		if err != nil {
			r.err = err
			return nil, err
		}
		if seg != nil {
			return seg, nil
		}
	}
}

func (r *Reader) next() (*Segment, error) {
	if r.fast && r.inInterchange {
		if seg := r.scanFast(); seg != nil {
			return seg, nil
		}
	}
	if err := r.skipSpace(); err != nil {
		return nil, err
	}
	if r.r == r.w {
		if r.delims == nil {
			return nil, r.syntaxErr(ErrNoISA, "the input is empty or only white space")
		}
		return nil, io.EOF
	}
	if err := r.fill(4); err != nil {
		return nil, err
	}
	avail := r.buf[r.r:r.w]
	if len(avail) >= 4 && avail[0] == 'I' && avail[1] == 'S' && avail[2] == 'A' && !isAlnum(avail[3]) {
		return r.readISA()
	}
	if !r.inInterchange {
		// Quote the same bytes however the input was split into reads.
		if err := r.fill(20); err != nil {
			return nil, err
		}
		avail = r.buf[r.r:r.w]
		if r.unwrap && isWrappedISATag(avail) {
			// Input wrapped at a fixed width: the next ISA's tag itself
			// may be cut by a line break.
			return r.readISA()
		}
		if r.delims == nil {
			return nil, r.syntaxErr(ErrNoISA, "byte %d: %q cannot start an interchange", r.offset, printable(avail, 20))
		}
		return nil, r.syntaxErr(ErrGarbageAfterIEA, "byte %d: found %q", r.offset, printable(avail, 20))
	}
	return r.readSegment()
}

// skipSpace consumes white space before a segment, and a UTF-8 byte order
// mark before an ISA (at the start, or between concatenated interchanges).
// CR and LF after terminators are normal; the rest is a leniency that is
// reported. Before the first ISA a NUL byte is not white space: it cannot
// start an interchange, so a file of zeros is refused at its first byte.
// At most maxPadding bytes are skipped in a row, so that input that is
// all blanks is refused without being read to its end.
func (r *Reader) skipSpace() error {
	warned := false
	start := r.offset
	for {
		for r.r < r.w {
			switch c := r.buf[r.r]; c {
			case '\r', '\n':
			case ' ', '\t', 0:
				if c == 0 && r.delims == nil {
					return nil
				}
				if !warned {
					warned = true
					if err := r.lenient(fmt.Sprintf("white space %q before a segment ignored", c)); err != nil {
						return err
					}
				}
			case 0xEF:
				if r.inInterchange {
					return nil
				}
				if err := r.fill(3); err != nil {
					return err
				}
				if !bytes.HasPrefix(r.buf[r.r:r.w], byteOrderMark) {
					return nil
				}
				if err := r.lenient("UTF-8 byte order mark before the ISA ignored"); err != nil {
					return err
				}
				r.consume(3)
				continue
			default:
				return nil
			}
			r.consume(1)
			if r.offset-start > maxPadding {
				return r.tooMuchSpace(start)
			}
		}
		if r.eof {
			return nil
		}
		if err := r.fill(1); err != nil {
			return err
		}
	}
}

// maxPadding bounds a run of white space (and NUL padding) the reader
// skips between segments.
const maxPadding = 64 << 10

// tooMuchSpace is the error for a run of white space from start longer
// than maxPadding.
func (r *Reader) tooMuchSpace(start int64) error {
	switch {
	case r.delims == nil:
		return r.syntaxErr(ErrNoISA, "over %d bytes of white space from byte %d and no ISA", maxPadding, start)
	case !r.inInterchange:
		return r.syntaxErr(ErrGarbageAfterIEA, "over %d bytes of white space or NUL padding from byte %d", maxPadding, start)
	}
	return r.syntaxErr(ErrSegmentTooLong, "over %d bytes of white space or NUL bytes from byte %d before a segment", maxPadding, start)
}

var byteOrderMark = []byte{0xEF, 0xBB, 0xBF}

// readSegment reads one segment of the current interchange.
func (r *Reader) readSegment() (*Segment, error) {
	term := r.delims.Segment
	t0 := term[0]
	searched := 0
	var end int // index in buf of the terminator
	for {
		i := bytes.IndexByte(r.buf[r.r+searched:r.w], t0)
		if i >= 0 {
			end = r.r + searched + i
			if len(term) == 1 {
				break
			}
			if err := r.fillFrom(end, len(term)); err != nil {
				return nil, err
			}
			end = r.r + searched + i // fill may move the window
			if bytes.HasPrefix(r.buf[end:r.w], []byte(term)) {
				break
			}
			if r.w-end < len(term) && r.eof {
				return r.finalSegment()
			}
			searched += i + 1
			continue
		}
		searched = r.w - r.r
		if r.eof {
			return r.finalSegment()
		}
		if err := r.more(); err != nil {
			return nil, err
		}
	}
	return r.emit(r.r, end, end+len(term))
}

// finalSegment handles input that ends without a terminator: a final IEA is
// accepted (many senders omit the last terminator); anything else is a
// truncated file.
func (r *Reader) finalSegment() (*Segment, error) {
	rest := bytes.TrimRight(r.buf[r.r:r.w], " \t\r\n")
	if bytes.HasPrefix(rest, []byte("IEA")) && (len(rest) == 3 || rest[3] == r.delims.Element) {
		// With a line break as terminator this is only a missing final
		// newline, which editors and tools drop routinely: not a leniency.
		if t := r.delims.Segment; t != "\n" && t != "\r" {
			if err := r.lenient("final IEA has no segment terminator"); err != nil {
				return nil, err
			}
		}
		return r.emit(r.r, r.r+len(rest), r.w)
	}
	return nil, r.syntaxErr(ErrTruncated, "last segment %q has no terminator", printable(rest, 20))
}

// emit splits buf[start:end] into a segment and consumes through next. It
// returns no segment and no error for an empty segment, which it skips.
func (r *Reader) emit(start, end, next int) (*Segment, error) {
	r.index++
	pos := Position{Offset: r.offset, Line: r.line, Column: int(r.offset-r.lineStart) + 1, Index: r.index}
	r.countLines(r.buf[r.r:next])
	raw := r.buf[start:end]
	if r.unwrap {
		raw = stripLineBreaks(raw)
	}
	if len(raw) == 0 {
		// An empty segment ("~~"): nothing to return, skip it.
		r.index--
		r.advance(next - r.r)
		if err := r.lenient("empty segment skipped"); err != nil {
			return nil, err
		}
		return nil, nil
	}
	r.ends = splitElements(r.ends[:0], raw, r.delims.Element)
	name, kind := r.intern(raw[:r.ends[0]])
	r.seg = Segment{ID: name, Pos: pos, data: raw, ends: r.ends, delims: r.delims}
	r.trackSet(&r.seg, kind)
	r.advance(next - r.r)
	if kind == kindIEA {
		r.inInterchange = false
	}
	return &r.seg, nil
}

// trackSet sets the segment's position within its transaction set.
func (r *Reader) trackSet(s *Segment, kind segKind) {
	if r.resetSet {
		r.setIndex, r.resetSet = 0, false
	}
	switch kind {
	case kindST:
		r.setIndex = 1
	case kindEnvelope, kindIEA:
		r.setIndex = 0
	case kindSE:
		if r.setIndex > 0 {
			r.setIndex++
		}
		r.resetSet = true
	default:
		if r.setIndex > 0 {
			r.setIndex++
		}
	}
	s.Pos.SetIndex = r.setIndex
}

// segKind is what a segment id means to the reader.
type segKind uint8

const (
	kindOther    segKind = iota
	kindST               // ST
	kindSE               // SE
	kindEnvelope         // GS, GE, ISA
	kindIEA              // IEA: ends the interchange
)

func kindOf(id string) segKind {
	switch id {
	case "ST":
		return kindST
	case "SE":
		return kindSE
	case "GS", "GE", "ISA":
		return kindEnvelope
	case "IEA":
		return kindIEA
	}
	return kindOther
}

// intern returns b as a string, shared between segments with the same id so
// that reading does not allocate per segment, and what the id means. Ids of
// up to three bytes (all X12 ids) are found by a number made of their bytes
// in a small cache.
func (r *Reader) intern(b []byte) (string, segKind) {
	// Small enough to be inlined: the hit is the common case.
	if n := len(b); n >= 2 && n <= 3 {
		key := uint32(n)<<24 | uint32(b[0])<<16 | uint32(b[1])<<8
		if n == 3 {
			key |= uint32(b[2])
		}
		if e := &r.idCache[(key*2654435761)>>24]; e.key == key {
			return e.id, e.kind
		}
	}
	return r.internMiss(b)
}

// internMiss interns an id that is not in the cache, and caches ids of one
// to three bytes.
func (r *Reader) internMiss(b []byte) (string, segKind) {
	s := r.internSlow(b)
	if len(b) == 0 || len(b) > 3 {
		return s, kindOf(s)
	}
	key := uint32(len(b))<<24 | uint32(b[0])<<16
	if len(b) > 1 {
		key |= uint32(b[1]) << 8
	}
	if len(b) > 2 {
		key |= uint32(b[2])
	}
	e := &r.idCache[(key*2654435761)>>24]
	*e = idEntry{key: key, id: s, kind: kindOf(s)}
	return s, e.kind
}

// idEntry is one slot of the id cache; key 0 is an empty slot.
type idEntry struct {
	key  uint32
	kind segKind
	id   string
}

func (r *Reader) internSlow(b []byte) string {
	if s, ok := r.ids[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(r.ids) < 4096 {
		r.ids[s] = s
	}
	return s
}

// consume advances past n unread bytes, counting lines.
func (r *Reader) consume(n int) {
	r.countLines(r.buf[r.r : r.r+n])
	r.advance(n)
}

// countLines counts the line breaks in b, which starts at the unread offset.
func (r *Reader) countLines(b []byte) {
	if k := bytes.Count(b, newline); k > 0 {
		r.line += k
		r.lineStart = r.offset + int64(bytes.LastIndexByte(b, '\n')) + 1
	}
}

// advance moves past n unread bytes whose lines are already counted.
func (r *Reader) advance(n int) {
	r.r += n
	r.offset += int64(n)
}

var newline = []byte{'\n'}

// fill makes sure at least n bytes are unread, unless the input ends.
func (r *Reader) fill(n int) error {
	for r.w-r.r < n && !r.eof {
		if err := r.more(); err != nil {
			return err
		}
	}
	return nil
}

// fillFrom makes sure n bytes are available from buffer index at (which
// must be >= r.r), unless the input ends.
func (r *Reader) fillFrom(at, n int) error { return r.fill(at - r.r + n) }

// more reads more input, compacting or growing the buffer.
func (r *Reader) more() error {
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.base += int64(r.r)
		r.r, r.w = 0, n
	}
	if r.w == len(r.buf) {
		if len(r.buf) >= r.opts.MaxSegmentSize+8 {
			return r.syntaxErr(ErrSegmentTooLong, "over %d bytes", r.opts.MaxSegmentSize)
		}
		size := min(2*len(r.buf), r.opts.MaxSegmentSize+8)
		nb := make([]byte, size)
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err == io.EOF {
			r.eof = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading X12 input: %w", err)
		}
		if n > 0 {
			return nil
		}
	}
	return fmt.Errorf("reading X12 input: %w", io.ErrNoProgress)
}

func (r *Reader) here() Position {
	return Position{Offset: r.offset, Line: r.line, Column: int(r.offset-r.lineStart) + 1, Index: r.index + 1}
}

func (r *Reader) syntaxErr(err error, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: r.here(), Err: err, Msg: fmt.Sprintf(format, args...)}
}

// lenient records a warning, or fails in strict mode.
func (r *Reader) lenient(msg string) error {
	if r.opts.Strict {
		return &SyntaxError{Pos: r.here(), Err: ErrStrict, Msg: msg}
	}
	r.warnings = append(r.warnings, Warning{Pos: r.here(), Msg: msg})
	return nil
}

// splitElements appends to dst the end offset of every element of raw
// split at sep (the id first).
func splitElements(dst []int32, raw []byte, sep byte) []int32 {
	off := 0
	for {
		i := bytes.IndexByte(raw[off:], sep)
		if i < 0 {
			return append(dst, int32(len(raw)))
		}
		dst = append(dst, int32(off+i))
		off += i + 1
	}
}

// ValidSegmentID reports whether id is 2 or 3 upper-case letters and digits,
// starting with a letter, as X12 segment identifiers are. The reader passes
// other ids through; the validator reports them as unrecognized.
func ValidSegmentID(id string) bool {
	if len(id) < 2 || len(id) > 3 || id[0] < 'A' || id[0] > 'Z' {
		return false
	}
	for i := 1; i < len(id); i++ {
		if c := id[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// stripLineBreaks removes CR and LF from b in place.
func stripLineBreaks(b []byte) []byte {
	out := b[:0]
	for _, c := range b {
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return out
}

// printable quotes at most n bytes of b for an error message.
func printable(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}
