package web

import (
	"bytes"
	"fmt"
	"io"
)

// maxPreviewLine bounds a line of a CSV preview and a row of a workbook
// preview, in bytes: encoding/csv holds a whole record (a file of one
// 200 MB line would cost the preview 200 MB and more), and the preview's
// 50 rows go out as one JSON document.
const maxPreviewLine = 64 << 10

// lineCapReader reads r and fails once a line runs past max bytes.
type lineCapReader struct {
	r    io.Reader
	max  int
	line int // bytes since the last '\n'
}

func (l *lineCapReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for b := p[:n]; len(b) > 0; {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.line += len(b)
			break
		}
		l.line += i
		if l.line > l.max {
			break
		}
		l.line, b = 0, b[i+1:]
	}
	if l.line > l.max {
		return 0, fmt.Errorf("a line of more than %d bytes: not previewed; download the file", l.max)
	}
	return n, err
}
