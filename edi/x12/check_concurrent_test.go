package x12

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// concurrentInputs are the inputs CheckConcurrent is compared with Check
// on: the conformance files, generated 846s of several sets, and shapes
// that exercise the decoder's buffers (a set without SE closed by the next
// ST, a truncated set, several interchanges).
func concurrentInputs(t testing.TB) map[string][]byte {
	t.Helper()
	in := map[string][]byte{}
	for _, path := range conformanceFiles(t) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		in[filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path)] = b
	}
	big, _, _ := generate846(12_000) // sets of 10,000 and 2,000 items
	in["generated 846, 2 sets"] = big
	in["generated 846, truncated"] = big[:len(big)*2/3]
	s := sample846("\n")
	in["sample 846"] = []byte(s)
	in["two interchanges"] = []byte(s + s)
	noSE := strings.Replace(s, "SE*13*0001~\n", "", 1)
	in["no SE before the GE"] = []byte(noSE)
	st := strings.Index(s, "ST*846")
	ge := strings.Index(s, "GE*")
	in["no SE before the next ST"] = []byte(strings.Replace(s, "SE*13*0001~\n", "", 1)[:ge-len("SE*13*0001~\n")] + s[st:])
	return in
}

// setTrace records what each saw of a set: its result and every segment.
func setTrace(t *Transaction, res *SetResult) string {
	var b []byte
	b = fmt.Appendf(b, "%s %s %s %+v\n", t.SetID, t.Control, t.Group.Control, *res)
	for i := range t.Segments {
		b = appendSegment(b, &t.Segments[i])
		b = append(b, '\n')
	}
	return string(b)
}

// checkingValidator reads every element of a set, so that a set whose
// buffers were reused too early shows as a different result.
var checkingValidator = SetValidatorFunc(func(t *Transaction) SetResult {
	r := NewSetResult(t)
	for i := range t.Segments {
		s := &t.Segments[i]
		if s.ID == "QTY" && bytes.Equal(s.Element(2), []byte("13")) {
			r.Segments = append(r.Segments, SegmentError{SegmentID: s.ID, Position: s.Pos.SetIndex, Code: SegHasElementError, Msg: "13 on hand"})
		}
	}
	r.Finish()
	return r
})

func TestCheckConcurrentSameAsCheck(t *testing.T) {
	// One buffer pool for every run: sets are read into buffers that
	// earlier runs gave back.
	opts := &DecoderOptions{Buffers: &BufferPool{}}
	for name, data := range concurrentInputs(t) {
		for _, v := range []SetValidator{EnvelopeOnly, checkingValidator} {
			t.Run(name, func(t *testing.T) {
				var want, got []string
				wantRep, wantErr := Check(bytes.NewReader(data), v, nil, func(tx *Transaction, res *SetResult) error {
					want = append(want, setTrace(tx, res))
					return nil
				})
				rep, err := CheckConcurrent(context.Background(), bytes.NewReader(data), v, opts, func(tx *Transaction, res *SetResult) error {
					got = append(got, setTrace(tx, res))
					return nil
				})
				if err != wantErr {
					t.Fatalf("error %v, Check's %v", err, wantErr)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("each saw %d sets, with Check %d; first difference:\n%s", len(got), len(want), firstDiff(got, want))
				}
				if !reflect.DeepEqual(rep, wantRep) {
					t.Fatalf("report differs from Check's:\n got %+v\nwant %+v", rep, wantRep)
				}
			})
		}
	}
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("set %d:\n got %.300s\nwant %.300s", i, got[i], want[i])
		}
	}
	return "(one is a prefix of the other)"
}

func TestCheckConcurrentStops(t *testing.T) {
	data := []byte(strings.Repeat(sample846("\n"), 5)) // 5 interchanges of one set
	errStop := errors.New("stop here")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		stopAt  int // each fails on this set (1-based), 0 never
		cancel  int // each cancels the context on this set, 0 never
		wantErr error
		maxSeen int
	}{
		{"each fails on the first set", context.Background(), 1, 0, errStop, 1},
		{"each fails on the third set", context.Background(), 3, 0, errStop, 3},
		{"context cancelled before", cancelled, 0, 0, context.Canceled, 0},
		{"context cancelled in the second set", nil, 0, 2, context.Canceled, 2},
		{"to the end", context.Background(), 0, 0, nil, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx, context.CancelFunc(func() {})
			if ctx == nil {
				ctx, cancel = context.WithCancel(context.Background())
			}
			defer cancel()
			seen := 0
			rep, err := CheckConcurrent(ctx, bytes.NewReader(data), EnvelopeOnly, nil, func(tx *Transaction, res *SetResult) error {
				seen++
				if seen == tt.cancel {
					cancel()
				}
				if seen == tt.stopAt {
					return errStop
				}
				return nil
			})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if seen > tt.maxSeen || (tt.wantErr == nil && seen != tt.maxSeen) {
				t.Fatalf("each saw %d sets, want at most %d", seen, tt.maxSeen)
			}
			if rep == nil {
				t.Fatal("no report")
			}
		})
	}
}

// TestDecoderLend reads sets lending each, keeps several before giving
// them back, and checks every kept set against a clone taken when it was
// read.
func TestDecoderLend(t *testing.T) {
	for name, data := range concurrentInputs(t) {
		for _, keep := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/keep %d", name, keep), func(t *testing.T) {
				d := NewDecoder(bytes.NewReader(data), nil)
				type held struct {
					t     *Transaction
					clone *Transaction
					lent  bool
				}
				var out []held
				check := func(h held) {
					if got, want := setTrace(h.t, &SetResult{}), setTrace(h.clone, &SetResult{}); got != want {
						t.Fatalf("a lent set changed:\n got %.300s\nwant %.300s", got, want)
					}
				}
				for {
					ev, err := d.Next()
					if err != nil {
						break
					}
					if ev.Kind != SetRead {
						continue
					}
					h := held{t: ev.Transaction, clone: ev.Transaction.Clone()}
					h.lent = d.Lend(ev.Transaction)
					out = append(out, h)
					if len(out) > keep {
						check(out[0])
						if got := d.Return(out[0].t); got != out[0].lent {
							t.Fatalf("Return says %v, Lend said %v", got, out[0].lent)
						}
						out = out[1:]
					}
				}
				for _, h := range out {
					check(h)
				}
			})
		}
	}
}

// TestDecoderPoolsBuffersOnlyAtEnd interleaves decoders: a set one of
// them holds (valid until its next call to Next) must not change while
// others read to the end of their input, pooling their buffers, and start
// again on pooled buffers.
func TestDecoderPoolsBuffersOnlyAtEnd(t *testing.T) {
	big, _, _ := generate846(12_000)
	small := []byte(sample846("\n"))
	tests := []struct {
		name   string
		held   []byte // the input of the decoder whose set is held
		others [][]byte
	}{
		{"big held, others small", big, [][]byte{small, small, big}},
		{"small held, others big", small, [][]byte{big, big}},
		{"big held, others big", big, [][]byte{big, small, big}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pool BufferPool
			opts := &DecoderOptions{Buffers: &pool}
			d := NewDecoder(bytes.NewReader(tt.held), opts)
			var held, clone *Transaction
			for held == nil {
				ev, err := d.Next()
				if err != nil {
					t.Fatal(err)
				}
				if ev.Kind == SetRead {
					held, clone = ev.Transaction, ev.Transaction.Clone()
				}
			}
			for _, in := range tt.others {
				if _, err := CheckConcurrent(context.Background(), bytes.NewReader(in), EnvelopeOnly, opts, nil); err != nil {
					t.Fatal(err)
				}
				if _, err := Check(bytes.NewReader(in), EnvelopeOnly, opts, nil); err != nil {
					t.Fatal(err)
				}
			}
			if got, want := setTrace(held, &SetResult{}), setTrace(clone, &SetResult{}); got != want {
				t.Fatalf("a held set changed while other decoders ran:\n got %.300s\nwant %.300s", got, want)
			}
		})
	}
}

// TestCheckConcurrentPanic: a panic of the validator, on the validating
// goroutine, is raised again in the caller's goroutine (where it can be
// recovered) as a *GoroutinePanic holding the value, after the other
// goroutines stopped.
func TestCheckConcurrentPanic(t *testing.T) {
	data := []byte(sample846("\n"))
	v := SetValidatorFunc(func(*Transaction) SetResult { panic("validator bug") })
	var got any
	func() {
		defer func() { got = recover() }()
		CheckConcurrent(context.Background(), bytes.NewReader(data), v, nil, nil)
	}()
	p, ok := got.(*GoroutinePanic)
	if !ok || p.Value != "validator bug" || p.Goroutine != "validating" || len(p.Stack) == 0 {
		t.Fatalf("recovered %#v", got)
	}
}
