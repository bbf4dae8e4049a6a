package ledger_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/ledger/ledgertest"
	bolt "go.etcd.io/bbolt"
)

// openBolt opens a ledger file in a temp folder. Cleanup closes it and
// checks the file: bbolt's Tx.Check, then the ledger's invariants.
func openBolt(t testing.TB, now func() time.Time) ledger.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := ledger.Open(path, &ledger.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		checkBoltFile(t, path)
	})
	return l
}

// checkBoltFile runs bbolt's Tx.Check and the ledger's Verify on a closed
// file.
func checkBoltFile(t testing.TB, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("reopening %s for check: %v", path, err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt check: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	if err := db.Close(); err != nil {
		t.Error(err)
	}
	l, err := ledger.Open(path, &ledger.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reopening %s: %v", path, err)
	}
	defer l.Close()
	if err := l.Verify(context.Background()); err != nil {
		t.Errorf("verify: %v", err)
	}
}

// TestContractBolt runs the contract suite on the bbolt file.
func TestContractBolt(t *testing.T) { ledgertest.Run(t, openBolt) }

// BenchmarkStorePostLargeDocument is ledgertest.BenchPostLargeDocument on
// the bbolt file, beside ledger/postgres's BenchmarkPostLargeDocument.
func BenchmarkStorePostLargeDocument(b *testing.B) { ledgertest.BenchPostLargeDocument(b, openBolt) }

// BenchmarkStorePostConcurrent is ledgertest.BenchPostConcurrent on the
// bbolt file, beside ledger/postgres's BenchmarkPostConcurrent.
func BenchmarkStorePostConcurrent(b *testing.B) { ledgertest.BenchPostConcurrent(b, openBolt) }
