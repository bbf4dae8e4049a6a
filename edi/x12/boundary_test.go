package x12

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

// boundarySamples are inputs whose reading must not depend on how the
// input is cut into reads.
func boundarySamples() map[string]string {
	nl := interchange(stdISA("\n"), "\n", "", "GS*IB*S*R*20260101*1200*1*X*004010", "ST*846*0001",
		"BIA*00*DD*REF0001*20260101", "SE*3*0001", "GE*1*1", "IEA*1*000000001")
	ellipsis := strings.ReplaceAll(sample846("\n"), "~", "…")
	twoByte := strings.ReplaceAll(sample846(""), "~", "Ö")
	multi := "\xEF\xBB\xBF" + sample846("\r\n") + "\n" + interchange(isaWith('|', "^", "00501", "000000002", ':', "!"), "!", "",
		"GS|FA|S|R|20260101|1200|9|X|005010X231", "ST|999|0001|005010X231", "AK1|IB|1|004010",
		"AK9|A|1|1|1", "SE|4|0001", "GE|1|9", "IEA|1|000000002") + nl
	valid := sample846("\n")
	return map[string]string{
		"846 LF":                valid,
		"846 CRLF":              sample846("\r\n"),
		"846 no line breaks":    sample846(""),
		"846 blank lines":       sample846("\n\n\r\n"),
		"newline terminator":    nl,
		"newline, no final LF":  strings.TrimSuffix(nl, "\n"),
		"ellipsis terminator":   ellipsis,
		"two-byte terminator":   twoByte,
		"wrapped at 80":         wrapAt(sample846(""), 80),
		"wrapped CRLF at 40":    strings.ReplaceAll(wrapAt(sample846(""), 40), "\n", "\r\n"),
		"wrapped, ISA tag cut":  wrapAt(sample846("")+strings.Replace(sample846(""), "000000001", "000000002", 2), 41),
		"BOM and indentation":   "\xEF\xBB\xBF  " + strings.ReplaceAll(valid, "\nLIN", "\n\tLIN"),
		"three interchanges":    multi,
		"unterminated IEA":      strings.TrimSuffix(valid, "~\n"),
		"line feed inside data": strings.Replace(valid, "Widget 1", "Wid\nget\n1", 1),
		"truncated":             valid[:strings.Index(valid, "QTY*33")+5],
		"garbage after IEA":     valid + "THIS IS NOT X12 AT ALL\n",
		"empty segments":        strings.Replace(valid, "CTT*2~", "CTT*2~~~", 1),
		"not X12":               "Dear partner,\nplease find attached\n",
	}
}

// readerModes are the ways a test feeds an input to a Reader.
var readerModes = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"OneByteReader", iotest.OneByteReader},
	{"HalfReader", iotest.HalfReader},
	{"DataErrReader", iotest.DataErrReader},
	{"OneByte+DataErr", func(r io.Reader) io.Reader { return iotest.DataErrReader(iotest.OneByteReader(r)) }},
}

// checkSameTrace reads in through every mode and buffer size, with and
// without the fast path, and compares each trace with want.
func checkSameTrace(t *testing.T, name, in string, want tokenTrace) {
	t.Helper()
	for _, size := range []int{1, 7, 64, 4096} {
		for _, slow := range []bool{false, true} {
			for _, m := range readerModes {
				r := NewReader(m.wrap(strings.NewReader(in)), &ReaderOptions{BufferSize: size})
				r.slowOnly = slow
				if got := traceReader(r); !sameTrace(got, want) {
					t.Fatalf("%s via %s, buffer %d, slow %v:\n%s", name, m.name, size, slow, traceDiff(want, got))
				}
			}
		}
	}
}

func sameTrace(a, b tokenTrace) bool {
	return a.Err == b.Err && strings.Join(a.Segments, "\n") == strings.Join(b.Segments, "\n") &&
		strings.Join(a.Warnings, "\n") == strings.Join(b.Warnings, "\n")
}

func traceDiff(want, got tokenTrace) string {
	var b strings.Builder
	b.WriteString("want " + want.String() + "\ngot  " + got.String() + "\n")
	for i := 0; i < max(len(want.Segments), len(got.Segments)); i++ {
		var w, g string
		if i < len(want.Segments) {
			w = want.Segments[i]
		}
		if i < len(got.Segments) {
			g = got.Segments[i]
		}
		if w != g {
			b.WriteString("first difference:\n  want " + w + "\n  got  " + g + "\n")
			break
		}
	}
	if strings.Join(want.Warnings, "|") != strings.Join(got.Warnings, "|") {
		b.WriteString("warnings:\n  want " + strings.Join(want.Warnings, " | ") + "\n  got  " + strings.Join(got.Warnings, " | ") + "\n")
	}
	if want.Err != got.Err {
		b.WriteString("error:\n  want " + want.Err + "\n  got  " + got.Err + "\n")
	}
	return b.String()
}

func TestReaderBufferBoundaries(t *testing.T) {
	for name, in := range boundarySamples() {
		t.Run(name, func(t *testing.T) {
			want := traceString(in, nil)
			if len(want.Segments) == 0 && want.Err == "" {
				t.Fatal("sample reads nothing")
			}
			checkSameTrace(t, name, in, want)
		})
	}
}

// TestReaderEverySplit cuts each sample in two at every byte position.
func TestReaderEverySplit(t *testing.T) {
	for name, in := range boundarySamples() {
		t.Run(name, func(t *testing.T) {
			want := traceString(in, nil)
			wantBytes := traceBytes(nil, NewReader(strings.NewReader(in), nil))
			var buf []byte
			for cut := 0; cut <= len(in); cut++ {
				for _, c := range []struct {
					size int
					slow bool
				}{{16, false}, {16, true}, {1024, false}} {
					split := func() *Reader {
						src := io.MultiReader(strings.NewReader(in[:cut]), strings.NewReader(in[cut:]))
						r := NewReader(src, &ReaderOptions{BufferSize: c.size})
						r.slowOnly = c.slow
						return r
					}
					buf = traceBytes(buf[:0], split())
					if !bytes.Equal(buf, wantBytes) {
						t.Fatalf("cut at %d, buffer %d, slow %v:\n%s", cut, c.size, c.slow, traceDiff(want, traceReader(split())))
					}
				}
			}
		})
	}
}

func TestReaderConformanceBoundaries(t *testing.T) {
	for _, path := range conformanceFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := traceReader(NewReader(bytes.NewReader(data), nil))
		checkSameTrace(t, path, string(data), want)
		stride := max(1, len(data)/97)
		for cut := 0; cut <= len(data); cut += stride {
			src := io.MultiReader(bytes.NewReader(data[:cut]), bytes.NewReader(data[cut:]))
			if got := traceReader(NewReader(src, &ReaderOptions{BufferSize: 16})); !sameTrace(got, want) {
				t.Fatalf("%s cut at %d:\n%s", path, cut, traceDiff(want, got))
			}
		}
	}
}

func TestReaderSourceErrors(t *testing.T) {
	in := sample846("\n")
	// The source fails after the first read: the error comes back wrapped,
	// and stays.
	r := NewReader(iotest.TimeoutReader(iotest.HalfReader(strings.NewReader(in))), &ReaderOptions{BufferSize: 64})
	var err error
	for range 100 {
		if _, err = r.Next(); err != nil {
			break
		}
	}
	if !errors.Is(err, iotest.ErrTimeout) {
		t.Fatalf("error %v, want ErrTimeout", err)
	}
	if _, again := r.Next(); !errors.Is(again, iotest.ErrTimeout) {
		t.Errorf("error not sticky: %v", again)
	}
	boom := errors.New("disk on fire")
	if _, err := NewReader(iotest.ErrReader(boom), nil).Next(); !errors.Is(err, boom) {
		t.Errorf("ErrReader: %v", err)
	}
	// A source that returns 0, nil forever does not hang the reader.
	if _, err := NewReader(zeroReader{}, nil).Next(); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("zero reader: %v", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }
