package documents

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
)

// poolInputs are the sets a Pool test decodes: the samples, the public
// conformance files and generated 846s of several sizes, in an order that
// reuses a large document's memory for a small one and the other way
// round.
func poolInputs(t *testing.T) []*x12.Transaction {
	t.Helper()
	var sets []*x12.Transaction
	files, _ := filepath.Glob("testdata/*.edi")
	more, _ := filepath.Glob(filepath.Join("..", "testdata", "conformance", "*", "*"))
	for _, path := range append(files, more...) {
		if !strings.HasSuffix(path, ".edi") && !strings.HasSuffix(path, ".txt") {
			continue
		}
		sets = append(sets, readUntilError(t, path)...)
	}
	if len(more) < 24 {
		t.Fatalf("found %d conformance files, want 24", len(more))
	}
	for _, n := range []int{300, 7, 0, 1200, 20} {
		got, _ := readSets(t, gen846(max(n, 1), max(n, 1)))
		sets = append(sets, got...)
	}
	return sets
}

// TestPoolDecodeSameAsDecode decodes every input set with Decode and with
// a Pool (releasing each document, so the next reuses its memory) and
// compares the documents and errors.
func TestPoolDecodeSameAsDecode(t *testing.T) {
	sets := poolInputs(t)
	n846 := 0
	for _, releasing := range []bool{true, false} {
		var p Pool
		for i, tx := range sets {
			want, wantErr := Decode(tx)
			got, err := p.Decode(tx)
			if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
				t.Fatalf("set %d (%s %s): pool error %v, Decode error %v", i, tx.SetID, tx.Control, err, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("set %d (%s %s): pool document differs from Decode's", i, tx.SetID, tx.Control)
			}
			if tx.SetID == "846" {
				n846++
			}
			if releasing {
				p.Release(got)
			}
		}
	}
	if n846 < 10 {
		t.Fatalf("only %d 846 sets decoded", n846)
	}
}

// TestPoolReusedSlotsStartEmpty decodes a set whose items fill every
// field, releases it, then decodes sparse sets into the same memory: no
// field of the first may show through.
func TestPoolReusedSlotsStartEmpty(t *testing.T) {
	full := oneSet(t, "846", `
		BIA*00*DD*R1*20261125*0215*X6
		LIN*1*SK*A1*UP*012345678905*VN*V1
		PID*F*08*AG*C1*Blue widget*Y
		QTY*17*5*EA>2>3*FREE*X5
		DTM*405*20261125
		QTY*33*4*CA
		CTT*1*9`)
	tests := []struct {
		name string
		body string
	}{
		{"bare item", `
			BIA*00*DD*R2*20261125
			LIN**SK*B1
			CTT*1`},
		{"sparse fields", `
			BIA*00*DD*R3*20261125
			LIN**SK*C1
			PID*S
			QTY*17
			QTY*33*1
			CTT*1`},
		{"more items than before", `
			BIA*00*DD*R4*20261125
			LIN**SK*D1
			QTY*17*1
			LIN**UP*D2
			PID*F****two
			LIN***SK*D3
			CTT*3`},
	}
	var p Pool
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := p.Decode846(full)
			if err != nil {
				t.Fatal(err)
			}
			p.Release(doc)
			tx := oneSet(t, "846", tt.body)
			want, wantErr := Decode846(tx)
			got, err := p.Decode846(tx)
			if err != nil || wantErr != nil {
				t.Fatalf("errors: pool %v, Decode846 %v", err, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("pool document differs from Decode846's:\n got %+v\nwant %+v", got.Items, want.Items)
			}
			p.Release(got)
		})
	}
}

// TestPoolDocumentsIndependent checks that documents not yet released
// keep their content while later ones are decoded and released.
func TestPoolDocumentsIndependent(t *testing.T) {
	big, _ := readSets(t, gen846(500, 500))
	small, _ := readSets(t, gen846(3, 3))
	want, err := Decode846(big[0])
	if err != nil {
		t.Fatal(err)
	}
	var p Pool
	tests := []struct {
		name   string
		before []*x12.Transaction // decoded and released before
	}{
		{"fresh pool", nil},
		{"after a small one", small},
		{"after a big one", big},
		{"after several", []*x12.Transaction{big[0], small[0], big[0]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, tx := range tt.before {
				doc, err := p.Decode846(tx)
				if err != nil {
					t.Fatal(err)
				}
				p.Release(doc)
			}
			kept, err := p.Decode846(big[0])
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				other, err := p.Decode846(small[0])
				if err != nil {
					t.Fatal(err)
				}
				p.Release(other)
			}
			if !reflect.DeepEqual(kept, want) {
				t.Fatal("a document not released changed while others were decoded")
			}
			kept.Items = append(kept.Items, Item846{Line: "appended"})
			p.Release(kept)
			again, err := p.Decode846(big[0])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(again, want) {
				t.Fatal("a document decoded into released memory differs from Decode846's")
			}
			p.Release(again)
		})
	}
}

// TestPoolReleaseIgnores checks that Release ignores what the pool did not
// decode, and that a document released twice is reused once.
func TestPoolReleaseIgnores(t *testing.T) {
	sets, _ := readSets(t, gen846(5, 5))
	var p Pool
	foreign, err := Decode846(sets[0])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		doc  Document
	}{
		{"nil", nil},
		{"nil 846", (*Inventory846)(nil)},
		{"an 846 from Decode846", foreign},
		{"a generic set", &Generic{Set: "997"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.Release(tt.doc) // must not panic nor keep anything
			if len(p.free) != 0 {
				t.Fatalf("pool keeps %d memories", len(p.free))
			}
		})
	}
	doc, err := p.Decode846(sets[0])
	if err != nil {
		t.Fatal(err)
	}
	p.Release(doc)
	p.Release(doc)
	if len(p.free) != 1 {
		t.Fatalf("a document released twice: pool keeps %d memories, want 1", len(p.free))
	}
	a, _ := p.Decode846(sets[0])
	b, _ := p.Decode846(sets[0])
	if a == b {
		t.Fatal("two documents decoded without a release share their memory")
	}
}

// readUntilError returns the sets of a file, cloned, up to the first
// syntax error (some conformance files cannot be read to the end).
func readUntilError(t *testing.T, path string) []*x12.Transaction {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := x12.NewDecoder(bytes.NewReader(data), nil)
	var sets []*x12.Transaction
	for {
		ev, err := d.Next()
		if err != nil {
			return sets
		}
		if ev.Kind == x12.SetRead {
			sets = append(sets, ev.Transaction.Clone())
		}
	}
}

// TestPoolErrorsSameAsDecode decodes broken 846s with a Pool whose memory
// held a set of the same size without growing (so the pool skips counting
// ahead) and compares the errors with Decode's: a segment without an id is
// reported first wherever it stands, as the pass ahead reports it.
func TestPoolErrorsSameAsDecode(t *testing.T) {
	head := "BIA*00*DD*R*20261125\nLIN**SK*A\nQTY*17*1*EA\nPID*F****W\n"
	bodies := []string{
		head + "*X\nQTY*17*2*EA",                         // no id in the middle
		head + "QTY*17*1x*EA\nQTY*17*2*EA\n*X",           // a bad number before it
		head + "QTY**1*EA\n*X\nCTT*1",                    // a missing qualifier before it
		head + "CTT*1.5\n*X",                             // a bad count, then no id after the CTT
		head + "CTT*1\nREF*X*1\n*X",                      // no id after the CTT
		head + "QTY*17*1x*EA",                            // a bad number alone
		head + "CTT*1\nREF*X*1",                          // fine
		"BIA*00*DD*R*20261125\nQTY*17*1*EA\n*X",          // misplaced QTY, then no id
		"BIA*00*DD*R*20261125\nLIN**SK*A\nLIN**SK*B\n*X", // growing past the warm-up's arrays
	}
	warm := oneSet(t, "846", head+"CTT*1")
	for _, body := range bodies {
		tx := oneSet(t, "846", body)
		var p Pool
		doc, err := p.Decode846(warm)
		must(t, err)
		p.Release(doc)
		doc, err = p.Decode846(warm) // the memory held it without growing
		must(t, err)
		p.Release(doc)
		want, wantErr := Decode846(tx)
		got, err := p.Decode846(tx)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(err, wantErr) {
			t.Errorf("%q: pool error %v, Decode error %v", body, err, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: pool document %+v, Decode's %+v", body, got, want)
		}
	}
}
