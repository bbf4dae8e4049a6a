package sftp

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
	pkgsftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// TestUploadsKeepTheirBytes writes uploads out of order (rewrites, gaps,
// holes) and checks that the inbox gets exactly the bytes of the closed
// file, once; an adopting inbox checks that the hash made while they
// arrived is the hash of the file.
func TestUploadsKeepTheirBytes(t *testing.T) { forBothInboxes(t, testUploadsKeepTheirBytes) }

func testUploadsKeepTheirBytes(t *testing.T, adopting bool) {
	big := make([]byte, 3<<20)
	rand.Read(big)
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
		{"large, in order", func(f io.WriterAt) {
			for off := 0; off < len(big); off += 32 << 10 {
				f.WriteAt(big[off:off+32<<10], int64(off))
			}
		}, string(big)},
		{"large, rewritten at the start after the end", func(f io.WriterAt) {
			for off := 0; off < len(big); off += 32 << 10 {
				f.WriteAt(big[off:off+32<<10], int64(off))
			}
			f.WriteAt([]byte("rewritten"), 10)
		}, string(big[:10]) + "rewritten" + string(big[19:])},
		{"large, second half first", func(f io.WriterAt) {
			f.WriteAt(big[len(big)/2:], int64(len(big)/2))
			f.WriteAt(big[:len(big)/2], 0)
		}, string(big)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startFake(t, adopting, nil)
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
				t.Fatalf("inbox got %d files (%d bytes); want %d bytes", len(got), len(bytes.Join(bodies, nil)), len(tc.want))
			}
			if want := map[bool]int{true: 1}[adopting]; e.fake.adoptedCount() != want {
				t.Errorf("adopted %d uploads, want %d", e.fake.adoptedCount(), want)
			}
		})
	}
}

// TestUploadIntoTheRealInbox uploads with concurrent writes (the server
// sees them out of order) into a real inbox, which adopts the file: the
// stored bytes and their hash are the upload's, and nothing stays behind.
func TestUploadIntoTheRealInbox(t *testing.T) {
	store, err := inbox.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e := startServer(t, store, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	sc, err := ssh.Dial("tcp", e.addr, e.clientConfig(u))
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	c, err := pkgsftp.NewClient(sc, pkgsftp.UseConcurrentWrites(true), pkgsftp.MaxConcurrentRequestsPerFile(64))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := make([]byte, 5<<20)
	rand.Read(body)
	for _, name := range []string{"big.bin", "again.bin"} {
		f, _ := c.Create("/in/" + name)
		if _, err := f.ReadFrom(bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	msgs, _ := store.List(inbox.Filter{})
	if len(msgs) != 2 {
		t.Fatalf("inbox holds %d messages", len(msgs))
	}
	sum := sha256.Sum256(body)
	first, again := msgs[1], msgs[0] // newest first
	if first.SHA256 != hex.EncodeToString(sum[:]) || first.Size != int64(len(body)) || first.Name != "big.bin" ||
		first.State != inbox.Received || first.Transport != Transport {
		t.Errorf("stored %+v", first)
	}
	if again.State != inbox.Duplicate || again.DuplicateOf != first.ID {
		t.Errorf("the same bytes again: %+v", again)
	}
	rc, err := store.Body(first.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(stored, body) {
		t.Error("stored bytes differ from the upload")
	}
	for _, sub := range []string{incoming, areaIn} {
		if n := e.names(t, "acme", sub); len(n) != 0 {
			t.Errorf("%s keeps %v", sub, n)
		}
	}
}

// TestCutUploadCountsNothingInTheRealInbox: the connection, then the
// server, die during an adopted upload; nothing is stored, and the next
// start clears the partial file.
func TestCutUploadCountsNothingInTheRealInbox(t *testing.T) {
	store, err := inbox.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e := startServer(t, store, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	c, sc, err := e.dialConfig(e.clientConfig(u))
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.Create("/in/big.edi")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(bytes.Repeat([]byte("x"), 1<<20))
	eventually(t, "the upload's temporary file", func() bool { return len(e.names(t, "acme", incoming)) == 1 })
	sc.Close()
	eventually(t, "the partial upload to be discarded", func() bool { return len(e.names(t, "acme", incoming)) == 0 })

	// A server that stops mid-upload (a crash leaves the file: put one
	// there as it would) leaves nothing counted, and the next start
	// removes the file.
	c2 := e.client(t, u)
	f2, _ := c2.Create("/in/other.edi")
	f2.Write([]byte("half"))
	eventually(t, "the second upload's temporary file", func() bool { return len(e.names(t, "acme", incoming)) == 1 })
	e.stop()
	os.WriteFile(filepath.Join(e.root, "acme", incoming, "upload-crashed"), []byte("half"), 0o640)
	e2 := startServer(t, store, func(cfg *Config) { cfg.Root = e.root })
	eventually(t, "the restart to clear .incoming", func() bool { return len(e2.names(t, "acme", incoming)) == 0 })
	if msgs, _ := store.List(inbox.Filter{}); len(msgs) != 0 {
		t.Errorf("inbox holds %+v", msgs)
	}
}
