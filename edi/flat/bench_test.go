package flat

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// benchRows is the size of the generated benchmark inputs.
const benchRows = 100_000

// benchColumns selects four of the six generated columns by header.
var benchColumns = []Column{{Name: "sku", Header: "SKU"}, {Name: "upc", Header: "UPC"}, {Name: "qty", Header: "Qty"}, {Name: "lot", Header: "Lot"}}

// BenchmarkExcelRead100k reads a generated 100,000-row workbook through the
// streaming reader, reporting rows/s and the peak heap in use during the
// reads: one written with excelize's StreamWriter (inline strings), and
// one whose text cells are in a shared-string table, as Excel writes them.
func BenchmarkExcelRead100k(b *testing.B) {
	inline := filepath.Join(b.TempDir(), "stock100k.xlsx")
	writeStreamed(b, inline, benchRows)
	shared := filepath.Join(b.TempDir(), "stock100k-shared.xlsx")
	writeSharedStrings(b, shared, benchRows)
	cases := []struct {
		name, path string
		cfg        ExcelConfig
	}{
		// Every part is read once to verify it, then the sheet is
		// streamed from the zip.
		{"inline-strings", inline, ExcelConfig{HeaderRow: 1, Columns: benchColumns}},
		// The shared-string table (300,000 strings) is held in memory.
		{"shared-strings", shared, ExcelConfig{HeaderRow: 1, Columns: benchColumns}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			info, err := os.Stat(bc.path)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(info.Size())
			peak := startHeapSampler()
			rows, cpu := 0, cpuTime(b)
			for b.Loop() {
				rows += readExcelFile(b, bc.path, bc.cfg)
			}
			reportRows(b, rows, cpu)
			b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
		})
	}
}

// writeSharedStrings writes the rows writeStreamed writes, with SKU, UPC,
// Description and Lot in a shared-string table.
func writeSharedStrings(b *testing.B, path string, n int) {
	var sst, rows strings.Builder
	count := 0
	str := func(s string) string {
		fmt.Fprintf(&sst, "<si><t>%s</t></si>", s)
		count++
		return strconv.Itoa(count - 1)
	}
	rows.WriteString(`<row r="1">`)
	for i, h := range []string{"SKU", "UPC", "Qty", "Description", "Price", "Lot"} {
		fmt.Fprintf(&rows, `<c r="%s1" t="s"><v>%s</v></c>`, columnName(i+1), str(h))
	}
	rows.WriteString(`</row>`)
	desc := make([]string, 50)
	for i := range desc {
		desc[i] = str("Widget, blue, size " + strconv.Itoa(i))
	}
	for i := 1; i <= n; i++ {
		r := i + 1
		fmt.Fprintf(&rows, `<row r="%d"><c r="A%d" t="s"><v>%s</v></c><c r="B%d" t="s"><v>%s</v></c><c r="C%d"><v>%d</v></c>`+
			`<c r="D%d" t="s"><v>%s</v></c><c r="E%d"><v>%g</v></c><c r="F%d" t="s"><v>%s</v></c></row>`,
			r, r, str(fmt.Sprintf("SKU-%07d", i)), r, str(fmt.Sprintf("%012d", i)), r, i%1000,
			r, desc[i%50], r, float64(i%10000)/100, r, str(fmt.Sprintf("L%05d", i%99999)))
	}
	data := buildXLSX(b, sheetXML(rows.String()), sstXML(sst.String()), nil)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
}

// readExcelFile reads every row of the workbook and returns the count.
func readExcelFile(b *testing.B, path string, cfg ExcelConfig) int {
	r, err := OpenExcelFile(path, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if v, _ := row.Get("upc"); len(v) != 12 {
			b.Fatalf("row %d: upc %q", row.Line, v)
		}
		n++
	}
	if n != benchRows {
		b.Fatalf("read %d rows, want %d", n, benchRows)
	}
	return n
}

// startHeapSampler samples the heap in use (runtime.MemStats.HeapInuse, read
// through runtime/metrics, which does not stop the world) every
// millisecond after a GC, until the returned function is called; that
// function returns the highest sample.
func startHeapSampler() (stop func() uint64) {
	runtime.GC()
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
	}
	read := func() uint64 {
		metrics.Read(samples)
		return samples[0].Value.Uint64() + samples[1].Value.Uint64()
	}
	var (
		mu   sync.Mutex
		peak = read()
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				v := read()
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return max(peak, read())
	}
}

// cpuTime returns the CPU time (user and system) the process has used so
// far. Rows per CPU second are steadier than rows per second on a machine
// shared with other work.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRows reports rows/s of wall time and rows per CPU second since
// cpuStart.
func reportRows(b *testing.B, rows int, cpuStart time.Duration) {
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rows)/(cpuTime(b)-cpuStart).Seconds(), "rows/cpu-s")
}

// csvBenchData returns n CSV rows with the columns of writeStreamed.
func csvBenchData(n int) []byte {
	var b bytes.Buffer
	b.WriteString("SKU,UPC,Qty,Description,Price,Lot\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "SKU-%07d,%012d,%d,\"Widget, blue, size %d\",%.2f,L%05d\n", i, i, i%1000, i%50, float64(i%10000)/100, i%99999)
	}
	return b.Bytes()
}

// BenchmarkCSVRead reads 100,000 generated CSV rows, against encoding/csv
// as a baseline.
func BenchmarkCSVRead(b *testing.B) {
	data := csvBenchData(benchRows)
	cases := []struct {
		name string
		cfg  CSVConfig
	}{
		{"selected", CSVConfig{Header: true, Columns: benchColumns}},
		{"selected-reuse", CSVConfig{Header: true, Columns: benchColumns, ReuseRow: true}},
		{"all-columns", CSVConfig{Header: true}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			rows, cpu := 0, cpuTime(b)
			for b.Loop() {
				r, err := NewCSVReader(bytes.NewReader(data), bc.cfg)
				if err != nil {
					b.Fatal(err)
				}
				rows += countRows(b, r)
			}
			reportRows(b, rows, cpu)
		})
	}
	b.Run("encoding-csv-baseline", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		rows, cpu := 0, cpuTime(b)
		for b.Loop() {
			r := csv.NewReader(bytes.NewReader(data))
			r.ReuseRecord = true
			for {
				_, err := r.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				rows++
			}
		}
		reportRows(b, rows, cpu)
	})
}

// BenchmarkFixedRead reads 100,000 generated fixed-width lines.
func BenchmarkFixedRead(b *testing.B) {
	var data bytes.Buffer
	for i := 1; i <= benchRows; i++ {
		fmt.Fprintf(&data, "D%012d%5d%-20s%-6s\r\n", i, i%1000, fmt.Sprintf("Widget size %d", i%50), fmt.Sprintf("L%05d", i%99999))
	}
	cfg := FixedConfig{RecordType: "D", Fields: []FixedField{
		{Name: "upc", Start: 2, Length: 12}, {Name: "qty", Start: 14, Length: 5}, {Name: "name", Start: 19, Length: 20}, {Name: "lot", Start: 39, Length: 6},
	}}
	for _, reuse := range []bool{false, true} {
		b.Run(fmt.Sprintf("reuse=%v", reuse), func(b *testing.B) {
			cfg.ReuseRow = reuse
			b.SetBytes(int64(data.Len()))
			rows, cpu := 0, cpuTime(b)
			for b.Loop() {
				r, err := NewFixedReader(bytes.NewReader(data.Bytes()), cfg)
				if err != nil {
					b.Fatal(err)
				}
				rows += countRows(b, r)
			}
			reportRows(b, rows, cpu)
		})
	}
}

// countRows reads r to the end and returns the number of rows.
func countRows(b *testing.B, r Reader) int {
	n := 0
	for {
		_, err := r.Read()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
}
