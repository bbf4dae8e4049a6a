package x12

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// endless is an input of n bytes of c that counts how much was read.
type endless struct {
	c    byte
	n    int64
	read int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.read >= e.n {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), e.n-e.read))
	for i := range p[:k] {
		p[i] = e.c
	}
	e.read += int64(k)
	return k, nil
}

// TestHostileInputStopsEarly: input that cannot begin an interchange is
// refused after reading a bounded prefix, whatever its size, with an error
// that says where.
func TestHostileInputStopsEarly(t *testing.T) {
	const size = 1 << 40 // a terabyte: read to the end, the test never ends
	tests := []struct {
		name   string
		prefix string
		fill   byte
		want   error
		msg    string
	}{
		{"zeros", "", 0, ErrNoISA, `byte 0: "\x00`},
		{"BOM then zeros", "\xEF\xBB\xBF", 0, ErrNoISA, "byte 3: "},
		{"blank lines then zeros", "\n\n \t", 0, ErrNoISA, "byte 4: "},
		{"spaces", "", ' ', ErrNoISA, "over 65536 bytes of white space from byte 0 and no ISA"},
		{"new lines", "", '\n', ErrNoISA, "over 65536 bytes of white space"},
		{"interchange then zeros", envelope(goodBody...), 0, ErrGarbageAfterIEA, "over 65536 bytes of white space or NUL padding"},
		{"interchange then spaces", envelope(goodBody...), ' ', ErrGarbageAfterIEA, "over 65536 bytes"},
		{"ISA then zeros", stdISA("~"), 0, ErrSegmentTooLong, "over 65536 bytes of white space or NUL bytes from byte 106 before a segment"},
		{"ISA and GS then new lines", stdISA("~") + "\nGS*IB*S*R*20260101*1200*1*X*004010~", '\n', ErrSegmentTooLong, "before a segment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &endless{c: tt.fill, n: size}
			rep, err := Check(io.MultiReader(strings.NewReader(tt.prefix), src), EnvelopeOnly, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(rep.Err, tt.want) || !strings.Contains(rep.Err.Error(), tt.msg) {
				t.Errorf("error %v, want %v with %q", rep.Err, tt.want, tt.msg)
			}
			if src.read > 2<<20 {
				t.Errorf("read %d bytes before refusing", src.read)
			}
		})
	}
}

// TestPaddingWithinBound: NUL padding and blank lines after an IEA, up to
// the bound, stay a leniency.
func TestPaddingWithinBound(t *testing.T) {
	in := envelope(goodBody...) + strings.Repeat("\x00", 4096) + strings.Repeat("\n", 60000)
	rep, err := Check(strings.NewReader(in), EnvelopeOnly, nil, nil)
	if err != nil || rep.Err != nil || len(rep.Interchanges) != 1 {
		t.Fatalf("err %v, report error %v, %d interchanges", err, rep.Err, len(rep.Interchanges))
	}
}
