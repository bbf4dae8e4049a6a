package main

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/ledger"
)

// TestStockUpgradesOldLedger runs `dockside stock` on a ledger file of
// the previous layout (written by that version's code; see the ledger's
// testdata): it is upgraded once, said so on stderr, and listed.
func TestStockUpgradesOldLedger(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Open(filepath.Join("..", "..", "ledger", "testdata", "schema2.db.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.Create(filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(db, zr); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for round, wantNotice := range []bool{true, false} {
		e, out, errb := ledgerEnv(nil)
		if code := run(t.Context(), e, []string{"stock", "--data", dir, "--json", "--sku", "LONG"}); code != exitOK {
			t.Fatalf("round %d: exit %d: %s", round, code, errb)
		}
		if got := strings.Contains(errb.String(), "upgrading"); got != wantNotice {
			t.Errorf("round %d: stderr %q, want the upgrade notice: %v", round, errb, wantNotice)
		}
		var rows []struct {
			SKU    string `json:"sku"`
			OnHand int64  `json:"on_hand"`
		}
		if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
			t.Fatalf("%v in %s", err, out)
		}
		// The file's LONG@WH1 received 1..20 five times: 5 × 210.
		if len(rows) != 1 || rows[0].SKU != "LONG" || rows[0].OnHand != 1050 {
			t.Fatalf("round %d: %+v", round, rows)
		}
	}
	l, err := ledger.Open(filepath.Join(dir, "ledger.db"), &ledger.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Verify(t.Context()); err != nil {
		t.Fatal(err)
	}
}
