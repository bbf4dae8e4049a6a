package flat

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
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

// writeStreamed writes a one-sheet workbook of n inventory rows under a
// header with excelize's StreamWriter: SKU, UPC (text, zero-padded), Qty,
// Description, Price, Lot.
func writeStreamed(t testing.TB, path string, n int) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	header := []any{"SKU", "UPC", "Qty", "Description", "Price", "Lot"}
	if err := sw.SetRow("A1", header); err != nil {
		t.Fatal(err)
	}
	values := make([]any, len(header))
	for i := 1; i <= n; i++ {
		values[0] = fmt.Sprintf("SKU-%07d", i)
		values[1] = fmt.Sprintf("%012d", i)
		values[2] = i % 1000
		values[3] = "Widget, blue, size " + strconv.Itoa(i%50)
		values[4] = float64(i%10000) / 100
		values[5] = fmt.Sprintf("L%05d", i%99999)
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, values); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}
