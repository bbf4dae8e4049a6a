package ledger

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// schema2Answers is what the schema-2 code answered about the file in
// testdata/schema2.db.gz, which it wrote: 40 random documents over six
// positions, and a position whose 100 receipts were posted out of time
// order. (Both were made by a throwaway test in a worktree of the schema-2
// code, commit e68380d.)
type schema2Answers struct {
	Balances []Balance
	History  map[string][]Movement
	AsOf     map[string]Quantities
}

// gunzip writes testdata/name.gz to dst.
func gunzip(t *testing.T, name, dst string) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateSchema2(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	gunzip(t, "schema2.db", path)
	gunzip(t, "schema2.json", filepath.Join(dir, "answers.json"))
	js, err := os.ReadFile(filepath.Join(dir, "answers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want schema2Answers
	if err := json.Unmarshal(js, &want); err != nil {
		t.Fatal(err)
	}

	// Read-only, the old file is refused: upgrading needs a write.
	if _, err := Open(path, &Options{ReadOnly: true}); !errors.Is(err, ErrSchema) {
		t.Fatalf("read-only open of a schema-2 file: %v, want ErrSchema", err)
	}
	l, err := Open(path, nil)
	if err != nil {
		t.Fatalf("upgrading: %v", err)
	}
	ctx := context.Background()
	if err := l.Verify(ctx); err != nil {
		t.Fatalf("after the upgrade: %v", err)
	}
	got, err := l.Balances(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got, want.Balances, func(a, b Balance) bool { return sameBalance(a, b) && a.Seq == b.Seq }) {
		t.Errorf("balances after the upgrade:\n%+v\nwant\n%+v", got, want.Balances)
	}
	long := 0
	for _, b := range want.Balances {
		h, err := l.History(ctx, b.SKU, b.Location, HistoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if w := want.History[b.SKU+"@"+b.Location]; !sameMovements(h, w) {
			t.Errorf("history of %s@%s after the upgrade differs:\n%+v\nwant\n%+v", b.SKU, b.Location, h, w)
		}
		long = max(long, len(h))
		for _, hours := range []float64{-10, 0, 20, 45, 60, 75, 95, 200} {
			q, err := l.BalanceAsOf(ctx, b.SKU, b.Location, at(hours))
			if err != nil {
				t.Fatal(err)
			}
			if w := want.AsOf[fmt.Sprintf("%s@%s@%v", b.SKU, b.Location, hours)]; q.Quantities != w {
				t.Errorf("%s@%s as of %v h: %+v, want %+v", b.SKU, b.Location, hours, q.Quantities, w)
			}
		}
	}
	if long <= inlineMax {
		t.Fatalf("longest timeline %d: the file should make the upgrade spill", long)
	}
	// Every old source key is still known: posting its document again
	// changes nothing.
	res, err := l.Post(ctx, Document{Key: "again", Movements: []Movement{{SourceKey: "long/3/7", SKU: "LONG", Location: "WH1", Kind: KindReceipt, Quantity: 8, Effective: at(40)}}})
	if err != nil || len(res.Duplicates) != 1 {
		t.Fatalf("reposting an upgraded source key: %+v %v", res, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path)
}

// sameMovements compares movements field by field (times by instant).
func sameMovements(a, b []Movement) bool {
	return slices.EqualFunc(a, b, func(x, y Movement) bool {
		if !x.Effective.Equal(y.Effective) || !x.Recorded.Equal(y.Recorded) || !x.Expected.Equal(y.Expected) {
			return false
		}
		x.Effective, x.Recorded, x.Expected = y.Effective, y.Recorded, y.Expected
		return reflect.DeepEqual(x, y)
	})
}
