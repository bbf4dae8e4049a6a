package ledgertest

import (
	"github.com/dockside-edi/dockside/ledger"

	"context"
	"fmt"
	"testing"
)

// testSourceLookups: HasSourcePrefix finds a prefix whether its keys
// start a block, sit inside a block that begins before them, or are
// absent between keys of one block; SourceMovements returns the recorded
// movement of each key and a zero one for keys never posted.
func testSourceLookups(t *testing.T, open Open) {
	l := openTest(t, open)
	ctx := context.Background()
	doc := func(key string, keys ...string) ledger.Document {
		d := ledger.Document{Key: key}
		for i, k := range keys {
			d.Movements = append(d.Movements, ledger.Movement{SourceKey: k, SKU: "A1", Location: "WH1", Kind: ledger.KindReceipt, Quantity: int64(i + 1), Effective: at(1)})
		}
		return d
	}
	// One block a|1|... and, posted later, keys inside its range.
	var wide []string
	for i := range 40 {
		wide = append(wide, fmt.Sprintf("p|%03d|1|1|%d", i*10, i))
	}
	for _, d := range []ledger.Document{doc("wide", wide...), doc("inside", "p|055|2|1|7", "p|055|2|1|8"), doc("after", "q|1|1|1|1")} {
		if _, err := l.Post(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		prefix string
		want   bool
	}{
		{"p|000|1|1|", true},  // the block's first key
		{"p|200|1|1|", true},  // inside the wide block
		{"p|055|2|1|", true},  // merged into the wide block
		{"p|055|", true},      // shorter prefix
		{"p|056|", false},     // between keys of the block
		{"p|055|2|2|", false}, // shares all but the last part
		{"p|390|1|1|9", false},
		{"q|1|1|1|", true}, // the last block's first key
		{"q|1|1|2|", false},
		{"a|", false}, // before every block
		{"z|", false}, // after every block
		{"p|390|1|1|39", true},
	} {
		got, err := l.HasSourcePrefix(ctx, tc.prefix)
		if err != nil || got != tc.want {
			t.Errorf("HasSourcePrefix(%q) = %v, %v; want %v", tc.prefix, got, err, tc.want)
		}
	}
	ms, err := l.SourceMovements(ctx, []string{"p|055|2|1|8", "p|056|", "p|010|1|1|1", "q|1|1|1|1"})
	if err != nil {
		t.Fatal(err)
	}
	if ms[0].ID == 0 || ms[0].Quantity != 2 || ms[0].SourceKey != "p|055|2|1|8" || ms[0].Document != "" && ms[0].Document != "inside" {
		t.Errorf("merged key: %+v", ms[0])
	}
	if ms[1].ID != 0 {
		t.Errorf("key never posted: %+v", ms[1])
	}
	if ms[2].Quantity != 2 || ms[2].SourceKey != "p|010|1|1|1" {
		t.Errorf("wide block key: %+v", ms[2])
	}
	if ms[3].Quantity != 1 || ms[3].SKU != "A1" {
		t.Errorf("last block: %+v", ms[3])
	}
}
