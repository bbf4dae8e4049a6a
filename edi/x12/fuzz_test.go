package x12

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// fuzzSeeds adds the conformance files and the boundary samples.
func fuzzSeeds(f *testing.F) {
	for _, path := range conformanceFiles(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range boundarySamples() {
		f.Add([]byte(s))
	}
	for _, s := range []string{"", "ISA", "ISA*", stdISA("~"), "ISA****************!~GS*~ST~0*~ST*~", stdISA("~") + "IEA*0*000000001", "\xEF\xBB\xBF", "\xEF\xBB\xBFISA*",
		stdISA("\xe2") + "GS*\xe2", stdISA("…")[:107], wrapAt(stdISA("~"), 3), "ISA*" + string(make([]byte, 600))} {
		f.Add([]byte(s))
	}
}

// FuzzReader reads any input without panicking or looping, with errors and
// segments that carry true places, and the same result however the input
// is cut into reads and whichever scanning path is taken.
func FuzzReader(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, strict := range []bool{false, true} {
			opts := &ReaderOptions{Strict: strict, MaxSegmentSize: 4096}
			r := NewReader(bytes.NewReader(data), opts)
			var want []byte
			last := int64(-1)
			for n := 0; ; n++ {
				if n > len(data)+1 {
					t.Fatalf("%d segments from %d bytes", n, len(data))
				}
				seg, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					var se *SyntaxError
					if !errors.As(err, &se) {
						t.Fatalf("error %T %v is not a *SyntaxError", err, err)
					}
					checkPlace(t, data, se.Pos, "error")
					if _, again := r.Next(); again != err {
						t.Fatalf("error not sticky: %v then %v", err, again)
					}
					break
				}
				checkPlace(t, data, seg.Pos, "segment "+seg.ID)
				if seg.Pos.Offset <= last {
					t.Fatalf("segment %d at offset %d after %d", seg.Pos.Index, seg.Pos.Offset, last)
				}
				last = seg.Pos.Offset
				if seg.Pos.Index != n+1 || seg.ID != string(seg.data[:seg.ends[0]]) {
					t.Fatalf("segment %d has index %d, id %q", n+1, seg.Pos.Index, seg.ID)
				}
				if raw := seg.Raw(); len(raw) == 0 || data[seg.Pos.Offset] != raw[0] {
					t.Fatalf("segment %s raw %q does not start at offset %d", seg.ID, raw, seg.Pos.Offset)
				}
			}
			want = traceBytes(nil, NewReader(bytes.NewReader(data), opts))
			for i, src := range []io.Reader{
				iotest.OneByteReader(bytes.NewReader(data)),
				iotest.DataErrReader(iotest.HalfReader(bytes.NewReader(data))),
			} {
				pieces := NewReader(src, &ReaderOptions{Strict: strict, MaxSegmentSize: 4096, BufferSize: 7})
				pieces.slowOnly = i == 0
				if got := traceBytes(nil, pieces); !bytes.Equal(got, want) {
					t.Fatalf("strict %v, slow %v: reading in pieces differs:\n%s\n-- whole --\n%s", strict, i == 0, got, want)
				}
			}
		}
	})
}

// checkPlace checks that p is a true place in data: its line and column
// agree with the line feeds before its offset.
func checkPlace(t *testing.T, data []byte, p Position, what string) {
	t.Helper()
	if p.Offset < 0 || p.Offset > int64(len(data)) || p.Line < 1 || p.Column < 1 || p.Index < 1 {
		t.Fatalf("%s: bad place %+v for %d bytes", what, p, len(data))
	}
	before := data[:p.Offset]
	line := 1 + bytes.Count(before, []byte{'\n'})
	col := int(p.Offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	if p.Line != line || p.Column != col {
		t.Fatalf("%s at offset %d: line %d column %d, want line %d column %d", what, p.Offset, p.Line, p.Column, line, col)
	}
}

// FuzzDecoder checks any input with Check: no panic, no hang, every
// problem with a place, and acknowledgements that read back.
func FuzzDecoder(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, strict := range []bool{false, true} {
			opts := &DecoderOptions{Reader: ReaderOptions{Strict: strict, MaxSegmentSize: 4096}, MaxTransactionSize: 1 << 16}
			// Every segment a set holds is the segment the reader read at
			// its place, also when the set is delivered late (no SE).
			var read []Segment
			r := NewReader(bytes.NewReader(data), &opts.Reader)
			for {
				seg, err := r.Next()
				if err != nil {
					break
				}
				read = append(read, seg.Clone())
			}
			sameAsRead := SetValidatorFunc(func(tx *Transaction) SetResult {
				for i := range tx.Segments {
					s := &tx.Segments[i]
					if s.Pos.Index < 1 || s.Pos.Index > len(read) {
						t.Fatalf("set segment with index %d of %d read", s.Pos.Index, len(read))
					}
					w := &read[s.Pos.Index-1]
					if !sameElements(s, w) || s.Pos != w.Pos || !bytes.Equal(s.Raw(), w.Raw()) {
						t.Fatalf("set %s segment %d is %q at %+v, the reader read %q at %+v", tx.Control, i+1, s.Raw(), s.Pos, w.Raw(), w.Pos)
					}
				}
				res := NewSetResult(tx)
				res.Finish()
				return res
			})
			rep, err := Check(bytes.NewReader(data), sameAsRead, opts, nil)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if rep.Err != nil {
				var se *SyntaxError
				if !errors.As(rep.Err, &se) {
					t.Fatalf("report error %T is not a *SyntaxError", rep.Err)
				}
				checkPlace(t, data, se.Pos, "syntax error")
			}
			for _, icr := range rep.Interchanges {
				for _, e := range icr.Interchange.Errors {
					checkPlace(t, data, e.Pos, "interchange error "+e.Msg)
				}
				for _, g := range icr.Groups {
					for _, e := range g.Group.Errors {
						checkPlace(t, data, e.Pos, "group error "+e.Msg)
					}
					for _, s := range g.Sets {
						for _, e := range s.Envelope {
							checkPlace(t, data, e.Pos, "set error "+e.Msg)
						}
						if s.Status != StatusAccepted && s.Status != StatusRejected {
							t.Fatalf("set status %q", s.Status)
						}
					}
				}
			}
			var ack bytes.Buffer
			n, err := WriteAcks(&ack, rep, AckOptions{Control: 1, Time: writeTime})
			if err != nil || n == 0 {
				continue // e.g. a sender id holding a delimiter of ours
			}
			// An interchange whose ISA or GS is malformed gets an ack with
			// the same holes (known gap: WriteAcks echoes the headers);
			// judge only the envelopes of acks of well-formed headers.
			badISA, badGS := false, false
			for _, icr := range rep.Interchanges {
				for _, e := range icr.Interchange.Errors {
					badISA = badISA || e.Segment == "ISA"
				}
				for _, g := range icr.Groups {
					for _, e := range g.Group.Errors {
						badGS = badGS || e.Segment == "GS"
					}
				}
			}
			back, err := Check(bytes.NewReader(ack.Bytes()), EnvelopeOnly, &DecoderOptions{Reader: ReaderOptions{Strict: true}}, nil)
			if err != nil || back.Err != nil {
				t.Fatalf("acknowledgement does not read back: %v %v\n%s", err, back.Err, ack.Bytes())
			}
			for _, icr := range back.Interchanges {
				if !badISA && len(icr.Interchange.Errors) > 0 {
					t.Fatalf("acknowledgement interchange errors %v\n%s", icr.Interchange.Errors, ack.Bytes())
				}
				for _, g := range icr.Groups {
					if !badGS && (len(g.Group.Errors) > 0 || g.Status() != StatusAccepted) {
						t.Fatalf("acknowledgement group errors %v\n%s", g.Group.Errors, ack.Bytes())
					}
				}
			}
		}
	})
}

// FuzzCheckConcurrent checks any input with Check and CheckConcurrent:
// the same report, and each sees the same sets with the same segments.
func FuzzCheckConcurrent(f *testing.F) {
	fuzzSeeds(f)
	f.Add([]byte(strings.Replace(sample846("\n"), "SE*13*0001~\n", "", 1) + sample846("")))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := &DecoderOptions{Reader: ReaderOptions{MaxSegmentSize: 4096}, MaxTransactionSize: 1 << 16}
		var want, got []string
		wantRep, wantErr := Check(bytes.NewReader(data), checkingValidator, opts, func(tx *Transaction, res *SetResult) error {
			want = append(want, setTrace(tx, res))
			return nil
		})
		rep, err := CheckConcurrent(context.Background(), bytes.NewReader(data), checkingValidator, opts, func(tx *Transaction, res *SetResult) error {
			got = append(got, setTrace(tx, res))
			return nil
		})
		if err != wantErr || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(rep, wantRep) {
			t.Fatalf("CheckConcurrent differs from Check: error %v / %v, %d / %d sets\n%s", err, wantErr, len(got), len(want), firstDiff(got, want))
		}
	})
}
