package inbox

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestSmallFilesKeptInDatabase: a file up to inlineSize is kept in the
// database with its record (no file of its own), a larger or empty one
// as a file; both read back the same, after a reopen too, and retention
// removes the kept bytes as it removes files.
func TestSmallFilesKeptInDatabase(t *testing.T) {
	dir := t.TempDir()
	clock := time.Now().Add(-48 * time.Hour)
	opts := &Options{MaxSize: 1 << 20, Now: func() time.Time { return clock }}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		file       bool // kept as a file in blobs
	}{
		{"small", "ISA*small~", false},
		{"at the limit", strings.Repeat("a", inlineSize), false},
		{"over the limit", strings.Repeat("b", inlineSize+1), true},
		{"empty", "", true},
	}
	ids := make([]uint64, len(tests))
	for i, tt := range tests {
		m := receive(t, s, "acme", tt.name, tt.body)
		ids[i] = m.ID
		_, err := os.Stat(s.blobPath(m.SHA256))
		if gotFile := err == nil; gotFile != tt.file {
			t.Errorf("%s: kept as a file %v, want %v", tt.name, gotFile, tt.file)
		}
	}
	checkAndClose(t, s) // as a crash would: nothing but what was committed
	if s, err = Open(dir, opts); err != nil {
		t.Fatal(err)
	}
	defer checkAndClose(t, s)
	for i, tt := range tests {
		if got := readBody(t, s, ids[i]); got != tt.body {
			t.Errorf("%s after reopen: %d bytes, want %d", tt.name, len(got), len(tt.body))
		}
	}
	// The same bytes again: a duplicate, sharing the kept bytes.
	dup := receive(t, s, "acme", "again", tests[0].body)
	if dup.State != Duplicate || readBody(t, s, dup.ID) != tests[0].body {
		t.Fatalf("resend: %+v", dup)
	}
	for range tests {
		m, err := s.Claim()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Finish(m.ID, Outcome{State: Done}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Purge(time.Now()); err != nil || n != len(tests)+1 {
		t.Fatalf("purged %d, %v", n, err)
	}
	for i, tt := range tests {
		if _, err := s.Body(ids[i]); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after purge: %v", tt.name, err)
		}
	}
	s.db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bucketBodies).Stats().KeyN; n != 0 {
			t.Errorf("%d bodies left in the database", n)
		}
		return nil
	})
}

// TestFileBlobsStillRead: bytes kept as a file (every file before small
// ones were kept in the database, and adopted ones) read as before.
func TestFileBlobsStillRead(t *testing.T) {
	s, _ := openTest(t)
	s.blobMu.RLock()
	sum, size, err := s.storeBlob(context.Background(), strings.NewReader("ISA*old~"))
	if err == nil {
		_, err = s.record(Arrival{Partner: "acme", Name: "old"}, sum, size)
	}
	s.blobMu.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	m := receive(t, s, "beta", "new", "ISA*old~") // the same bytes, received now
	for _, id := range []uint64{1, m.ID} {
		if got := readBody(t, s, id); got != "ISA*old~" {
			t.Errorf("message %d: %q", id, got)
		}
	}
}

func readBody(t *testing.T, s *Store, id uint64) string {
	t.Helper()
	r, err := s.Body(id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFinishAndClaim: one commit ends a claim and takes the next
// message; a finish refused claims nothing; after a crash the message it
// claimed is back in the queue, its interruption counted.
func TestFinishAndClaim(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := receive(t, s, "acme", "a", "first")
	b := receive(t, s, "beta", "b", "second")
	if m, err := s.Claim(); err != nil || m.ID != a.ID {
		t.Fatalf("claim: %+v, %v", m, err)
	}
	if _, err := s.FinishAndClaim(b.ID, Outcome{State: Done}); !errors.Is(err, ErrState) {
		t.Fatalf("finishing a message not claimed: %v", err)
	}
	if got, _ := s.Get(b.ID); got.State != Received {
		t.Fatalf("a refused finish claimed %+v", got)
	}
	next, err := s.FinishAndClaim(a.ID, Outcome{State: Done})
	if err != nil || next == nil || next.ID != b.ID || next.State != Processing || next.Attempts != 1 {
		t.Fatalf("next: %+v, %v", next, err)
	}
	if got, _ := s.Get(a.ID); got.State != Done || len(got.History) != 1 {
		t.Fatalf("finished: %+v", got)
	}
	checkAndClose(t, s) // a crash before b is processed
	if s, err = Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer checkAndClose(t, s)
	again, err := s.Claim()
	if err != nil || again.ID != b.ID || again.Interrupted != 1 || again.Attempts != 2 {
		t.Fatalf("after reopen: %+v, %v", again, err)
	}
	if next, err := s.FinishAndClaim(b.ID, Outcome{State: Failed}); err != nil || next != nil {
		t.Fatalf("empty queue: %+v, %v", next, err)
	}
	if got, _ := s.Get(b.ID); got.State != Failed {
		t.Fatalf("finished with nothing to claim: %+v", got)
	}
}

// TestFinishAndClaimMarked: the commit that claims a message also marks
// the interchange its body starts with, and answers as MarkInterchange
// would: a key another message holds is not taken (DupOf names it), a
// new one is; a body kept in a file, or one keyOf names nothing in, is
// not marked; a message finished as failed gives its mark up; the
// answer is for the claim only, not stored.
func TestFinishAndClaimMarked(t *testing.T) {
	s, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer checkAndClose(t, s)
	keyOf := func(head []byte) string {
		k, _, ok := strings.Cut(string(head), " ")
		if !ok || !strings.HasPrefix(k, "KEY") {
			return ""
		}
		return k
	}
	a := receive(t, s, "acme", "a", "KEY1 first")
	b := receive(t, s, "acme", "b", "KEY1 second, other content")
	c := receive(t, s, "acme", "c", "KEY2 third")
	big := receive(t, s, "acme", "big", "KEY3 "+strings.Repeat("x", 70<<10)) // kept in a file
	none := receive(t, s, "acme", "none", "no key here")
	if m, err := s.Claim(); err != nil || m.ID != a.ID {
		t.Fatalf("claim: %+v, %v", m, err)
	}
	if dup, err := s.MarkInterchange(a.ID, "KEY1"); err != nil || dup != 0 {
		t.Fatalf("mark a: %d, %v", dup, err)
	}
	steps := []struct {
		finish  uint64
		state   State
		next    uint64
		premark *Premark
		stored  string // the next message's Interchange as stored
	}{
		{a.ID, Done, b.ID, &Premark{Key: "KEY1", DupOf: a.ID}, ""},
		{b.ID, Duplicate, c.ID, &Premark{Key: "KEY2"}, "KEY2"},
		{c.ID, Failed, big.ID, nil, ""},
		{big.ID, Done, none.ID, nil, ""},
	}
	for _, st := range steps {
		next, err := s.FinishAndClaimMarked(st.finish, Outcome{State: st.state}, keyOf)
		if err != nil || next == nil || next.ID != st.next {
			t.Fatalf("finishing %d: next %+v, %v; want %d", st.finish, next, err, st.next)
		}
		if (next.Premark == nil) != (st.premark == nil) || next.Premark != nil && *next.Premark != *st.premark {
			t.Errorf("message %d: premark %+v, want %+v", next.ID, next.Premark, st.premark)
		}
		got, _ := s.Get(next.ID)
		if got.Interchange != st.stored || got.Premark != nil {
			t.Errorf("message %d stored: interchange %q, premark %+v; want %q, none", next.ID, got.Interchange, got.Premark, st.stored)
		}
	}
	// c failed: its KEY2 is free again.
	if dup, err := s.MarkInterchange(big.ID, "KEY2"); err != nil || dup != 0 {
		t.Errorf("KEY2 after c failed: held by %d, %v", dup, err)
	}
}
