package x12

import (
	"bytes"
	"io"
	"sync"
	"testing"
)

var bench846 struct {
	once     sync.Once
	data     []byte
	segments int
	elements int
}

// data846 is the 200,000-item 846 the benchmarks read (about 17 MB).
func data846() ([]byte, int, int) {
	bench846.once.Do(func() {
		bench846.data, bench846.segments, bench846.elements = generate846(200000)
	})
	return bench846.data, bench846.segments, bench846.elements
}

func BenchmarkReader846(b *testing.B) {
	data, segments, elements := data846()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	var allocs0 uint64
	_ = allocs0
	for b.Loop() {
		r := NewReader(bytes.NewReader(data), nil)
		n, e := 0, 0
		for {
			seg, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
			e += seg.Len()
		}
		if n != segments || e != elements {
			b.Fatalf("read %d segments %d elements, generated %d and %d", n, e, segments, elements)
		}
	}
	b.ReportMetric(float64(segments), "segments/op")
}
