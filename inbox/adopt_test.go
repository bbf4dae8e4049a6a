package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// written returns an Incoming in dir holding body, written in two halves,
// the second first.
func written(t *testing.T, dir, body string) *Incoming {
	t.Helper()
	f, err := os.CreateTemp(dir, "upload-*")
	if err != nil {
		t.Fatal(err)
	}
	in := NewIncoming(f)
	t.Cleanup(func() { in.Close() })
	half := len(body) / 2
	mustWrite(t, in, []byte(body[half:]), int64(half))
	mustWrite(t, in, []byte(body[:half]), 0)
	return in
}

func adopt(t *testing.T, s *Store, partner, name string, in *Incoming) *Message {
	t.Helper()
	m, err := s.Adopt(context.Background(), Arrival{Partner: partner, Transport: "test", Name: name}, in)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func bodyOf(t *testing.T, s *Store, id uint64) string {
	t.Helper()
	rc, err := s.Body(id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAdoptLinksTheFileIntoTheBlobs(t *testing.T) {
	s, dir := openTest(t)
	uploads := filepath.Join(dir, "uploads") // the same file system
	os.Mkdir(uploads, 0o750)
	body := string(randomBytes(5, 600<<10))
	in := written(t, uploads, body)
	m := adopt(t, s, "acme", "a.bin", in)
	want := sha256.Sum256([]byte(body))
	if m.State != Received || m.SHA256 != hex.EncodeToString(want[:]) || m.Size != int64(len(body)) || m.Name != "a.bin" {
		t.Fatalf("got %+v", m)
	}
	if got := bodyOf(t, s, m.ID); got != body {
		t.Fatal("stored bytes differ")
	}
	upload, _ := os.Stat(in.File().Name())
	blob, _ := os.Stat(s.blobPath(m.SHA256))
	if !os.SameFile(upload, blob) {
		t.Error("the blob is a copy, not the upload itself")
	}
	if blob.Mode().Perm() != 0o640 {
		t.Errorf("blob mode %v", blob.Mode().Perm())
	}
	if n, _ := s.Claim(); n == nil || n.ID != m.ID {
		t.Errorf("claimed %+v, want message %d", n, m.ID)
	}
}

func TestAdoptDuplicates(t *testing.T) {
	s, dir := openTest(t)
	first := receive(t, s, "acme", "a.edi", "same bytes")
	again := adopt(t, s, "acme", "b.edi", written(t, dir, "same bytes"))
	if again.State != Duplicate || again.DuplicateOf != first.ID {
		t.Errorf("same bytes adopted after Receive: %+v", again)
	}
	other := adopt(t, s, "globex", "c.edi", written(t, dir, "same bytes"))
	if other.State != Received {
		t.Errorf("another partner's same bytes: %+v", other)
	}
	third := adopt(t, s, "globex", "d.edi", written(t, dir, "same bytes"))
	if third.State != Duplicate || third.DuplicateOf != other.ID {
		t.Errorf("adopted twice: %+v", third)
	}
	if got := bodyOf(t, s, third.ID); got != "same bytes" {
		t.Errorf("body %q", got)
	}
}

func TestAdoptSizeLimit(t *testing.T) {
	s, dir := openTest(t) // MaxSize 1 MiB
	in := written(t, dir, string(randomBytes(6, 1<<20+8)))
	if _, err := s.Adopt(context.Background(), Arrival{Partner: "acme", Name: "big"}, in); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
	if msgs, _ := s.List(Filter{}); len(msgs) != 0 {
		t.Errorf("recorded %d messages", len(msgs))
	}
	if blobs, _ := os.ReadDir(s.blobs); len(blobs) != 0 {
		t.Errorf("blobs left: %v", blobs)
	}
}

// TestAdoptCopiesWhenItCannotLink: a file no longer under its name is
// copied.
func TestAdoptCopiesWhenItCannotLink(t *testing.T) {
	s, dir := openTest(t)
	in := written(t, dir, "moved away")
	os.Rename(in.File().Name(), filepath.Join(dir, "elsewhere"))
	m := adopt(t, s, "acme", "a.edi", in)
	if got := bodyOf(t, s, m.ID); got != "moved away" {
		t.Errorf("body %q", got)
	}
}

// TestAdoptReplacesAWrongBlob: a blob under the hash with another size is
// not trusted; the adopted bytes replace it.
func TestAdoptReplacesAWrongBlob(t *testing.T) {
	s, dir := openTest(t)
	want := sha256.Sum256([]byte("right bytes"))
	os.WriteFile(s.blobPath(hex.EncodeToString(want[:])), []byte("wrong"), 0o640)
	m := adopt(t, s, "acme", "a.edi", written(t, dir, "right bytes"))
	if got := bodyOf(t, s, m.ID); got != "right bytes" {
		t.Errorf("body %q", got)
	}
}

// TestUploadCutBeforeAdoptCountsNothing: a transport that dies while the
// file is being written leaves no message and no blob.
func TestUploadCutBeforeAdoptCountsNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := written(t, t.TempDir(), string(randomBytes(8, 2<<20)))
	in.Close() // the transport's end, without Adopt
	s.Close()
	s, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if msgs, _ := s.List(Filter{}); len(msgs) != 0 {
		t.Errorf("recorded %d messages", len(msgs))
	}
	if _, err := s.Claim(); !errors.Is(err, ErrEmptyQueue) {
		t.Errorf("claim: %v", err)
	}
	if blobs, _ := os.ReadDir(s.blobs); len(blobs) != 0 {
		t.Errorf("blobs: %v", blobs)
	}
}

func TestAdoptedBytesArePurgedLikeReceivedOnes(t *testing.T) {
	s, dir := openTest(t)
	m := adopt(t, s, "acme", "a.edi", written(t, dir, "purge me"))
	claimUntil(t, s, m.ID)
	if err := s.Finish(m.ID, Outcome{State: Done}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Purge(s.opts.Now().Add(1e9)); err != nil || n != 1 {
		t.Fatalf("purged %d, %v", n, err)
	}
	if _, err := os.Stat(s.blobPath(m.SHA256)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("blob kept: %v", err)
	}
}
