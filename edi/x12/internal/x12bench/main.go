// Command x12bench is Dockside's driver for the X12 peer benchmark
// (shared/bench/x12-peers): it reads a file with the streaming x12.Reader
// and prints "segments=N elements=N inproc_ms=X", the time from before the
// file is opened to after the last segment.
//
//	x12bench FILE
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dockside-edi/dockside/edi/x12"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: x12bench FILE")
		os.Exit(2)
	}
	t0 := time.Now()
	segments, elements, err := count(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "x12bench:", err)
		os.Exit(1)
	}
	ms := float64(time.Since(t0).Microseconds()) / 1000
	fmt.Printf("segments=%d elements=%d inproc_ms=%.3f\n", segments, elements, ms)
}

// count reads every segment of the file and counts segments and elements.
func count(path string) (segments, elements int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	r := x12.NewReader(f, nil)
	for {
		seg, err := r.Next()
		if errors.Is(err, io.EOF) {
			return segments, elements, nil
		}
		if err != nil {
			return segments, elements, err
		}
		segments++
		elements += seg.Len()
	}
}
