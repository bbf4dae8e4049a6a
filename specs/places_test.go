package specs

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/edi/x12"
)

// validateNoPlaces is Validate with the table of places emptied before
// every segment: every segment's place is searched for.
func (s *Spec) validateNoPlaces(t *x12.Transaction) x12.SetResult {
	res := x12.NewSetResult(t)
	v := new(validation)
	v.reset(s, &res)
	for i := range t.Segments {
		v.places = [1 << placeBits]found{}
		v.segment(&t.Segments[i])
	}
	v.end(t.HasTrailer)
	res.Finish()
	return res
}

// TestPlacesSameAsSearch validates the conformance files and random
// orders of each set's segments (every id its structure uses, plus
// strangers) with and without the table of places: the results must be
// the same.
func TestPlacesSameAsSearch(t *testing.T) {
	c := mustLoad(t)
	var sets []*x12.Transaction
	for _, name := range conformanceFiles(t) {
		b, err := os.ReadFile(filepath.Join(conformanceDir, name))
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, readAllSets(b)...)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	rounds := 60
	if raceEnabled || testing.Short() {
		rounds = 10
	}
	for _, version := range c.versions {
		rel := c.releases[version]
		ids := make([]string, 0, len(rel.sets))
		for id := range rel.sets {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			spec := rel.sets[id]
			vocab := append(segmentIDs(spec.root), "ZZZ", "TOOLONG", "N9", "LX")
			for range rounds {
				var body []string
				for range 5 + rng.IntN(60) {
					// Runs of one id, as real sets repeat segments.
					seg := vocab[rng.IntN(len(vocab))] + "*1"
					for range 1 + rng.IntN(3) {
						body = append(body, seg)
					}
				}
				sets = append(sets, readAllSets([]byte(interchange(version, id, body)))...)
			}
		}
	}
	for _, tx := range sets {
		spec := c.Check(tx).Spec
		if spec == nil {
			continue
		}
		got, want := spec.Validate(tx), spec.validateNoPlaces(tx)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("set %s %s: with places %+v\nwithout %+v", tx.SetID, tx.Control, got, want)
		}
	}
	if len(sets) < 100 {
		t.Fatalf("only %d sets", len(sets))
	}
}

// segmentIDs returns the segment ids used in n's structure.
func segmentIDs(n *Node) []string {
	var ids []string
	for _, c := range n.Content {
		if c.IsLoop {
			ids = append(ids, segmentIDs(c)...)
			continue
		}
		if c.ID != "ST" && c.ID != "SE" {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// readAllSets returns every set of data, cloned; it stops at a syntax error.
func readAllSets(data []byte) []*x12.Transaction {
	var sets []*x12.Transaction
	dec := x12.NewDecoder(strings.NewReader(string(data)), nil)
	for {
		ev, err := dec.Next()
		if err != nil {
			return sets
		}
		if ev.Kind == x12.SetRead {
			sets = append(sets, ev.Transaction.Clone())
		}
	}
}

// TestSegmentKeyIsPackString: the unrolled key of a segment id is
// packString's, zero bytes and other lengths included.
func TestSegmentKeyIsPackString(t *testing.T) {
	for _, id := range []string{"", "N", "N1", "LIN", "QTY", "ISA1", "TOOLONG", "N\x00", "\x00\x00", "A\x00B", "\x00", "\xffZ", "ZZZZ"} {
		want, _ := packString(id)
		if got := segmentKey(id); got != want {
			t.Errorf("segmentKey(%q) = %#x, packString %#x", id, got, want)
		}
	}
}
