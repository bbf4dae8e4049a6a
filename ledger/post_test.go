package ledger

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestClosedAndReadOnly(t *testing.T) {
	l := openTest(t)
	mustPost(t, l, "d", mv(KindReceipt, 1, 1))
	path := l.Path()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Post(t.Context(), Document{Key: "x", Movements: []Movement{mv(KindReceipt, 1, 1)}}); !errors.Is(err, ErrClosed) {
		t.Errorf("post after close: %v", err)
	}
	if _, err := l.Balance(t.Context(), "A1", "WH1"); !errors.Is(err, ErrClosed) {
		t.Errorf("balance after close: %v", err)
	}
	ro, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Post(t.Context(), Document{Key: "x", Movements: []Movement{mv(KindReceipt, 1, 1)}}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("post read-only: %v", err)
	}
	if b, err := ro.Balance(t.Context(), "A1", "WH1"); err != nil || b.OnHand != 1 {
		t.Errorf("read-only balance %+v %v", b, err)
	}
	if _, err := Open(path+".missing", &Options{ReadOnly: true}); err == nil {
		t.Error("read-only open of a missing file succeeded")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	// A bbolt file that is not a ledger.
	other := filepath.Join(dir, "other.db")
	db, err := bolt.Open(other, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("x")); return err })
	db.Close()
	if _, err := Open(other, nil); !errors.Is(err, ErrNotLedger) {
		t.Errorf("foreign bbolt file: %v", err)
	}
	// A ledger of another schema version.
	old := filepath.Join(dir, "old.db")
	l, err := Open(old, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	db, _ = bolt.Open(old, 0o644, nil)
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bktMeta).Put(keySchema, idKey(99)) })
	db.Close()
	if _, err := Open(old, nil); !errors.Is(err, ErrSchema) {
		t.Errorf("schema 99: %v", err)
	}
	// Not a bbolt file at all.
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("junk", 4096)), 0o644)
	if _, err := Open(junk, nil); err == nil {
		t.Error("junk file opened")
	}
	// Locked by another writer: the second open times out.
	path := filepath.Join(dir, "locked.db")
	first, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, &Options{LockTimeout: 50 * time.Millisecond}); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("second writer: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path)
}
