package flat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// readBufferSize is the buffer of the line reader; longer lines are
// assembled in a separate buffer, up to the record limit.
const readBufferSize = 64 << 10

// lineReader reads lines with a bound on their length, drops a UTF-8
// byte-order mark at the start of the input and counts lines.
type lineReader struct {
	br      *bufio.Reader
	long    []byte // assembles lines longer than the bufio buffer
	num     int    // lines read so far
	started bool   // the byte-order mark has been looked for
}

// newLineReader returns a lineReader over r.
func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, readBufferSize)}
}

// readLine returns the next line, its "\n" kept and a "\r\n" ending
// normalized to "\n"; a last line without "\n" loses a trailing "\r". The
// line is valid until the next call. A line longer than limit bytes (ending
// included) fails with errLineTooLong, after counting the line. At the end
// of input readLine returns an empty line and io.EOF; a last line without
// "\n" comes with a nil error.
func (l *lineReader) readLine(limit int) ([]byte, error) {
	if !l.started {
		l.started = true
		if bom, _ := l.br.Peek(3); bytes.Equal(bom, []byte("\xEF\xBB\xBF")) {
			_, _ = l.br.Discard(3)
		}
	}
	line, err := l.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], line...)
		for err == bufio.ErrBufferFull && len(l.long) <= limit {
			line, err = l.br.ReadSlice('\n')
			l.long = append(l.long, line...)
		}
		line = l.long
	}
	if len(line) > limit {
		l.num++
		return nil, errLineTooLong
	}
	if len(line) > 0 {
		l.num++
		if err == io.EOF {
			err = nil
			if line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
		}
	}
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

// skip skips n lines. A line over limit bytes fails with a *ParseError
// wrapping ErrRecordTooLong; the end of input is not an error.
func (l *lineReader) skip(n, limit int) error {
	for range n {
		_, err := l.readLine(limit)
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, errLineTooLong):
			return lineTooLong(l.num, limit)
		case err != nil:
			return err
		}
	}
	return nil
}

// lineTooLong returns the error for a record over the byte limit.
func lineTooLong(line, limit int) *ParseError {
	return &ParseError{Line: line, Err: &LimitError{Setting: "max_record_bytes", Limit: int64(limit), Kind: ErrRecordTooLong,
		Detail: fmt.Sprintf("the record starting on line %d has more bytes", line)}}
}

// readError wraps an error of the underlying reader.
func readError(file string, err error) error {
	if file == "" {
		return fmt.Errorf("reading input: %w", err)
	}
	return fmt.Errorf("reading %s: %w", file, err)
}
