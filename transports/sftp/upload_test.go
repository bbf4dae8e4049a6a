package sftp

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
)

// TestUploadsKeepTheirBytes writes uploads out of order (rewrites, gaps,
// holes) and checks that the inbox gets exactly the bytes of the closed
// file, once.
func TestUploadsKeepTheirBytes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(f io.WriterAt)
		want  string
	}{
		{"in order", func(f io.WriterAt) {
			f.WriteAt([]byte("hello "), 0)
			f.WriteAt([]byte("world"), 6)
		}, "hello world"},
		{"rewrite", func(f io.WriterAt) {
			f.WriteAt([]byte("draft draft"), 0)
			f.WriteAt([]byte("final"), 0)
		}, "final draft"},
		{"gap filled later", func(f io.WriterAt) {
			f.WriteAt([]byte("tail"), 8)
			f.WriteAt([]byte("head"), 0)
			f.WriteAt([]byte("body"), 4)
		}, "headbodytail"},
		{"hole never written", func(f io.WriterAt) {
			f.WriteAt([]byte("a"), 0)
			f.WriteAt([]byte("z"), 3)
		}, "a\x00\x00z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startServer(t, nil, nil)
			u := newUser(t, "acme")
			e.add(u, "acme")
			c := e.client(t, u)
			f, err := c.OpenFile("/in/a.edi", os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
			if err != nil {
				t.Fatal(err)
			}
			tc.write(f)
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			got, bodies := e.fake.snapshot()
			if len(got) != 1 || string(bodies[0]) != tc.want {
				t.Fatalf("inbox got %d files: %q; want %q", len(got), bodies, tc.want)
			}
		})
	}
}

func TestUploadIntoTheRealInbox(t *testing.T) {
	store, err := inbox.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e := startServer(t, store, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	c := e.client(t, u)
	body := make([]byte, 5<<20)
	rand.Read(body)
	f, _ := c.Create("/in/big.bin")
	if _, err := f.ReadFrom(bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	msgs, _ := store.List(inbox.Filter{})
	if len(msgs) != 1 {
		t.Fatalf("inbox holds %d messages", len(msgs))
	}
	sum := sha256.Sum256(body)
	if msgs[0].SHA256 != hex.EncodeToString(sum[:]) || msgs[0].Size != int64(len(body)) || msgs[0].Name != "big.bin" {
		t.Errorf("stored %+v", msgs[0])
	}
}
