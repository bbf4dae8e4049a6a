package flat

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// readAll reads r to io.EOF or to the first error, and returns the rows
// before it and the error (nil at io.EOF).
func readAll(t *testing.T, r Reader) ([]*Row, error) {
	t.Helper()
	var rows []*Row
	for range 100000 {
		row, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
	t.Fatal("reader does not end")
	return nil, nil
}

// rowString formats a row as "line: name=value@place ..." for comparisons.
func rowString(row *Row) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(row.Line))
	b.WriteByte(':')
	for _, f := range row.Fields {
		b.WriteString(" " + f.Name + "=" + f.Value + "@" + f.Place.String())
	}
	return b.String()
}

// checkErr fails unless err wraps want and reads exactly msg.
func checkErr(t *testing.T, err, want error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %q", msg)
	}
	if !errors.Is(err, want) {
		t.Errorf("error %q does not wrap %q", err, want)
	}
	if err.Error() != msg {
		t.Errorf("error:\n got %q\nwant %q", err.Error(), msg)
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data string
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}
