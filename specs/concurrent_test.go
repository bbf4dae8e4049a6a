package specs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
)

// typedSet is what the gateway takes from a set: its result and, when
// accepted, its typed document (or the decoding error).
type typedSet struct {
	Result x12.SetResult
	Doc    documents.Document
	Err    string
}

// TestConcurrentTypedSameAsCheck runs the fast path (x12.CheckConcurrent
// with the catalog, accepted sets decoded through a documents.Pool that
// gets every document back, decoders sharing an x12.BufferPool) and the plain one (x12.Check, documents.Decode)
// on the conformance files and generated 846s: same report, same results,
// same documents.
func TestConcurrentTypedSameAsCheck(t *testing.T) {
	c := mustLoad(t)
	inputs := map[string][]byte{}
	for _, name := range conformanceFiles(t) {
		b, err := os.ReadFile(filepath.Join(conformanceDir, name))
		if err != nil {
			t.Fatal(err)
		}
		inputs[name] = b
	}
	for _, n := range []int{25_000, 3} {
		b, err := io.ReadAll(newGen846(n, 10_000))
		if err != nil {
			t.Fatal(err)
		}
		inputs[fmt.Sprintf("generated 846 of %d items", n)] = b
	}
	opts := &x12.DecoderOptions{Buffers: &x12.BufferPool{}} // shared by every run
	var pool documents.Pool
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			var want, got []typedSet
			wantRep, wantErr := x12.Check(bytes.NewReader(data), c, nil, func(tx *x12.Transaction, sr *x12.SetResult) error {
				s := typedSet{Result: *sr}
				if sr.Status == x12.StatusAccepted {
					doc, err := documents.Decode(tx)
					s.Doc = doc
					if err != nil {
						s.Err = err.Error()
					}
				}
				want = append(want, s)
				return nil
			})
			rep, err := x12.CheckConcurrent(context.Background(), bytes.NewReader(data), c, opts, func(tx *x12.Transaction, sr *x12.SetResult) error {
				s := typedSet{Result: *sr}
				if sr.Status == x12.StatusAccepted {
					doc, err := pool.Decode(tx)
					s.Doc = doc
					if err != nil {
						s.Err = err.Error()
					}
					if !reflect.DeepEqual(s, want[len(got)]) {
						t.Fatalf("set %d differs from x12.Check + documents.Decode", len(got))
					}
					pool.Release(doc)
					s.Doc = nil
				}
				got = append(got, s)
				return nil
			})
			if err != wantErr {
				t.Fatalf("error %v, want %v", err, wantErr)
			}
			if len(got) != len(want) {
				t.Fatalf("%d sets, want %d", len(got), len(want))
			}
			for i := range got {
				if !reflect.DeepEqual(got[i].Result, want[i].Result) || got[i].Err != want[i].Err {
					t.Fatalf("set %d: result %+v, want %+v", i, got[i], want[i])
				}
			}
			if !reflect.DeepEqual(rep, wantRep) {
				t.Fatal("report differs from x12.Check's")
			}
		})
	}
}
