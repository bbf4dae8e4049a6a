package flat

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// csvParser splits CSV records the way encoding/csv does (same quoting
// rules, same line and column numbers), but within Limits: a record may
// span at most maxRecord bytes and have at most maxColumns fields.
type csvParser struct {
	lines      *lineReader
	comma      rune
	comment    rune // 0 for none
	lazyQuotes bool
	trimLead   bool // skip white space before a field, as csv.Reader.TrimLeadingSpace
	maxRecord  int
	maxColumns int

	recLine      int // line where the last record started
	errCol       int // 0-based column of the field a quote error is in
	recordBuffer []byte
	fieldIndexes []int
	positions    []position
}

// readRecord reads one record into dst (reused when large enough). It
// returns io.EOF at the end, a *ParseError for bad input, or the reader's
// error. The positions of the fields are in p.positions until the next call.
func (p *csvParser) readRecord(dst []string) ([]string, error) {
	line, errRead := p.firstLine()
	if errRead == io.EOF {
		return nil, io.EOF
	}
	if errors.Is(errRead, errLineTooLong) {
		return nil, p.tooLong(p.lines.num)
	}
	p.recLine = p.lines.num
	used := len(line)
	p.recordBuffer = p.recordBuffer[:0]
	p.fieldIndexes = p.fieldIndexes[:0]
	p.positions = p.positions[:0]
	commaLen := utf8.RuneLen(p.comma)
	const quoteLen = 1
	pos := position{line: p.lines.num, col: 1}
	var err error
parseField:
	for {
		if len(p.fieldIndexes) >= p.maxColumns {
			err = &ParseError{Line: p.recLine, Err: &LimitError{Setting: "max_columns", Limit: int64(p.maxColumns),
				Kind: ErrTooManyColumns, Detail: "the record has more fields"}}
			break parseField
		}
		if p.trimLead {
			i := bytes.IndexFunc(line, func(r rune) bool { return !unicode.IsSpace(r) })
			if i < 0 {
				i = len(line)
				pos.col -= lengthNL(line)
			}
			line = line[i:]
			pos.col += i
		}
		if len(line) == 0 || line[0] != '"' {
			// Unquoted field.
			i := bytes.IndexRune(line, p.comma)
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if !p.lazyQuotes {
				if j := bytes.IndexByte(field, '"'); j >= 0 {
					p.errCol = len(p.fieldIndexes)
					err = &ParseError{Line: p.lines.num, Column: pos.col + j, Err: p.inRecord(ErrBareQuote, p.lines.num)}
					break parseField
				}
			}
			p.recordBuffer = append(p.recordBuffer, field...)
			p.fieldIndexes = append(p.fieldIndexes, len(p.recordBuffer))
			p.positions = append(p.positions, pos)
			if i >= 0 {
				line = line[i+commaLen:]
				pos.col += i + commaLen
				continue parseField
			}
			break parseField
		}
		// Quoted field.
		fieldPos := pos
		line = line[quoteLen:]
		pos.col += quoteLen
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				p.recordBuffer = append(p.recordBuffer, line[:i]...)
				line = line[i+quoteLen:]
				pos.col += i + quoteLen
				switch rn := nextRune(line); {
				case rn == '"': // "" is an escaped quote
					p.recordBuffer = append(p.recordBuffer, '"')
					line = line[quoteLen:]
					pos.col += quoteLen
				case rn == p.comma: // ", ends the field
					line = line[commaLen:]
					pos.col += commaLen
					p.fieldIndexes = append(p.fieldIndexes, len(p.recordBuffer))
					p.positions = append(p.positions, fieldPos)
					continue parseField
				case lengthNL(line) == len(line): // "\n ends the record
					p.fieldIndexes = append(p.fieldIndexes, len(p.recordBuffer))
					p.positions = append(p.positions, fieldPos)
					break parseField
				case p.lazyQuotes: // a bare quote, kept
					p.recordBuffer = append(p.recordBuffer, '"')
				default:
					p.errCol = len(p.fieldIndexes)
					err = &ParseError{Line: p.lines.num, Column: pos.col - quoteLen, Err: p.inRecord(ErrQuote, p.lines.num)}
					break parseField
				}
			case len(line) > 0:
				// The field goes on to the next line.
				p.recordBuffer = append(p.recordBuffer, line...)
				if errRead != nil {
					break parseField
				}
				pos.col += len(line)
				line, errRead = p.lines.readLine(p.maxRecord - used)
				if errors.Is(errRead, errLineTooLong) {
					return nil, p.tooLong(p.recLine)
				}
				used += len(line)
				if len(line) > 0 {
					pos.line++
					pos.col = 1
				}
				if errRead == io.EOF {
					errRead = nil
				}
			default:
				// The input ended inside the quotes.
				if !p.lazyQuotes && errRead == nil {
					p.errCol = len(p.fieldIndexes)
					err = &ParseError{Line: pos.line, Column: pos.col, Err: p.inRecord(ErrQuote, pos.line)}
					break parseField
				}
				p.fieldIndexes = append(p.fieldIndexes, len(p.recordBuffer))
				p.positions = append(p.positions, fieldPos)
				break parseField
			}
		}
	}
	if err == nil {
		err = errRead
	}
	return p.strings(dst), err
}

// firstLine reads up to the first line of a record, skipping empty lines and
// comment lines.
func (p *csvParser) firstLine() (line []byte, err error) {
	for err == nil {
		line, err = p.lines.readLine(p.maxRecord)
		if p.comment != 0 && nextRune(line) == p.comment {
			line = nil
			continue
		}
		if err == nil && len(line) == lengthNL(line) {
			line = nil
			continue
		}
		break
	}
	return line, err
}

// strings cuts the record buffer into dst, one string allocation per record.
func (p *csvParser) strings(dst []string) []string {
	str := string(p.recordBuffer)
	if cap(dst) < len(p.fieldIndexes) {
		dst = make([]string, len(p.fieldIndexes))
	}
	dst = dst[:len(p.fieldIndexes)]
	prev := 0
	for i, idx := range p.fieldIndexes {
		dst[i] = str[prev:idx]
		prev = idx
	}
	return dst
}

// inRecord adds to err the line where the record started, when the error
// is on a later line of a multi-line record.
func (p *csvParser) inRecord(err error, line int) error {
	if line == p.recLine {
		return err
	}
	return fmt.Errorf("%w (in the record starting on line %d)", err, p.recLine)
}

// tooLong returns the error for a record over the byte limit.
func (p *csvParser) tooLong(line int) error { return lineTooLong(line, p.maxRecord) }

// lengthNL reports the number of bytes of a trailing "\n".
func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// nextRune returns the first rune of b, or utf8.RuneError.
func nextRune(b []byte) rune {
	r, _ := utf8.DecodeRune(b)
	return r
}
