package sftp

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/outbox"
)

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want place
		err  error
	}{
		{"/", place{}, nil},
		{"", place{}, nil},
		{".", place{}, nil},
		{"..", place{}, nil},
		{"/in", place{area: "in"}, nil},
		{"in/", place{area: "in"}, nil},
		{"/out/a.x12", place{"out", "a.x12"}, nil},
		{"in/../out/a", place{"out", "a"}, nil},
		{"/in/../../../etc/passwd", place{}, ErrNoSuchFile},
		{"../other/out/a", place{}, ErrNoSuchFile},
		{"/etc/passwd", place{}, ErrNoSuchFile},
		{"/in/sub/a", place{}, ErrNoSuchFile},
		{"/in/a\x00b", place{}, ErrDenied},
		{"/in/a\nb", place{}, ErrDenied},
		{"/In/a", place{}, ErrNoSuchFile},
	} {
		got, err := resolve(tc.in)
		if err != tc.err || got != tc.want {
			t.Errorf("resolve(%q) = %+v, %v; want %+v, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func FuzzResolve(f *testing.F) {
	for _, s := range []string{"/", "/in/a", "../../x", "/out/../in/./b", "/in/a/..", "in//a", "/in/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		pl, err := resolve(p)
		if err != nil {
			return
		}
		rel := pl.rel()
		if strings.HasPrefix(rel, "/") || slices.Contains(strings.Split(rel, "/"), "..") || strings.Count(rel, "/") > 1 {
			t.Fatalf("resolve(%q) leaves the jail: %q", p, rel)
		}
		if pl.area != "" && pl.area != areaIn && pl.area != areaOut {
			t.Fatalf("resolve(%q): area %q", p, pl.area)
		}
	})
}

func TestTempNames(t *testing.T) {
	for name, want := range map[string]bool{
		"a.edi": false, "a.part": true, "A.PART": true, "a.edi.filepart": true, ".a.edi": true,
		"a.ocTransferId42.part": true, "a.ocTransferId42": true, "part": false, "a.partial": false,
	} {
		if got := isTempName(name); got != want {
			t.Errorf("isTempName(%q) = %v", name, got)
		}
	}
}

// TestJail tries to leave the jail by "..", absolute paths and symbolic
// links, and to act outside in/ and out/.
func TestJail(t *testing.T) {
	e := startServer(t, nil, nil)
	u := newUser(t, "acme")
	e.add(u, "acme")
	o := newUser(t, "other")
	e.add(o, "other")
	ctx := context.Background()
	if _, err := e.srv.Sender().Send(ctx, &outbox.Message{Partner: "other", Name: "secret.x12"}, []byte("other's")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Sender().Send(ctx, &outbox.Message{Partner: "acme", Name: "mine.x12"}, []byte("mine")); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "outside.txt")
	os.WriteFile(outside, []byte("outside"), 0o644)
	otherSecret := filepath.Join(e.root, "other", areaOut, "secret.x12")
	// Links planted on disk (by someone with local access): never followed.
	os.Symlink(outside, filepath.Join(e.root, "acme", areaOut, "abs-link"))
	os.Symlink("../../other/out/secret.x12", filepath.Join(e.root, "acme", areaOut, "rel-link"))
	os.Symlink("mine.x12", filepath.Join(e.root, "acme", areaOut, "inside-link"))
	c := e.client(t, u)

	for _, p := range []string{
		"/../other/out/secret.x12", "../other/out/secret.x12", "/out/../../other/out/secret.x12",
		"/out/../../../../../../" + otherSecret, otherSecret, outside, "/etc/passwd",
		"/out/abs-link", "/out/rel-link", "/out/inside-link", "/in", "/out", "/",
	} {
		if f, err := c.Open(p); err == nil {
			b := make([]byte, 64)
			n, _ := f.Read(b)
			f.Close()
			t.Errorf("read %q: got %q", p, b[:n])
		}
	}
	for _, p := range []string{
		"/../other/in/x.edi", "../other/in/x.edi", "/out/new.x12", "/x.edi", "/in/../../other/in/x.edi",
		filepath.Join(e.root, "other", "in", "x.edi"), "/out/abs-link", "/in/sub/x.edi",
	} {
		if f, err := c.Create(p); err == nil {
			f.Write([]byte("x"))
			f.Close()
			t.Errorf("created %q", p)
		}
	}
	if err := c.Mkdir("/in/sub"); err == nil {
		t.Error("mkdir allowed")
	}
	if err := c.Symlink("/out/mine.x12", "/in/link"); err == nil {
		t.Error("symlink allowed")
	}
	if err := c.Symlink(otherSecret, "/in/link2"); err == nil {
		t.Error("symlink to an absolute path allowed")
	}
	if err := c.Link("/out/mine.x12", "/in/hard"); err == nil {
		t.Error("hard link allowed")
	}
	if _, err := c.ReadLink("/out/abs-link"); err == nil {
		t.Error("readlink allowed")
	}
	if err := c.Remove("/in"); err == nil {
		t.Error("removing in/ allowed")
	}
	if err := c.RemoveDirectory("/out"); err == nil {
		t.Error("rmdir allowed")
	}
	if err := c.Remove("/../other/out/secret.x12"); err == nil {
		t.Error("removing the other partner's file allowed")
	}
	put(t, c, "/in/x.part", []byte("ISA~"))
	for _, target := range []string{"/out/x.edi", "/../other/in/x.edi", "../other/in/x.edi"} {
		if err := c.PosixRename("/in/x.part", target); err == nil {
			t.Errorf("rename to %q allowed", target)
		}
	}
	if err := c.PosixRename("/out/mine.x12", "/in/mine.x12"); err == nil {
		t.Error("rename out of out/ allowed")
	}
	if err := c.Chmod("/in/x.part", 0o777); err != nil {
		t.Errorf("setstat is not ignored: %v", err)
	}
	if fi, _ := os.Stat(filepath.Join(e.root, "acme", areaIn, "x.part")); fi.Mode().Perm() == 0o777 {
		t.Error("setstat changed the mode")
	}

	for _, dir := range []string{"/", "/..", "../..", "/in/.."} {
		list, err := c.ReadDir(dir)
		var names []string
		for _, fi := range list {
			names = append(names, fi.Name())
		}
		if err != nil || !slices.Equal(names, []string{"in", "out"}) {
			t.Errorf("ls %s: %v %v", dir, names, err)
		}
	}
	if got, _ := e.fake.snapshot(); len(got) != 0 {
		t.Errorf("inbox got %+v", got)
	}
	if b, _ := os.ReadFile(otherSecret); string(b) != "other's" {
		t.Errorf("other's file changed: %q", b)
	}
	if _, err := os.Stat(filepath.Join(e.root, "other", areaIn, "x.edi")); err == nil {
		t.Error("a file landed in the other partner's in/")
	}
}

// TestJailedFolderLinkedOutside: in/ replaced on disk by a link leading
// out of the partner's folder is refused, not followed.
func TestJailedFolderLinkedOutside(t *testing.T) {
	elsewhere := t.TempDir()
	e := startServer(t, nil, func(c *Config) {
		// Before the server starts (its sweep makes missing folders).
		for _, sub := range []string{areaOut, incoming} {
			if err := os.MkdirAll(filepath.Join(c.Root, "acme", sub), 0o750); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(elsewhere, filepath.Join(c.Root, "acme", areaIn)); err != nil {
			t.Fatal(err)
		}
	})
	u := newUser(t, "acme")
	e.add(u, "acme")
	c := e.client(t, u)
	if f, err := c.Create("/in/x.part"); err == nil {
		f.Close()
		t.Error("uploaded through a link out of the jail")
	}
	if _, err := c.ReadDir("/in"); err == nil {
		t.Error("listed through a link out of the jail")
	}
	if n, _ := os.ReadDir(elsewhere); len(n) != 0 {
		t.Errorf("files landed outside: %v", n)
	}
}

func TestSecondPartnerSeesNothingOfTheFirst(t *testing.T) {
	e := startServer(t, nil, nil)
	a, b := newUser(t, "alpha"), newUser(t, "beta")
	e.add(a, "alpha")
	e.add(b, "beta")
	ca, cb := e.client(t, a), e.client(t, b)
	if _, err := e.srv.Sender().Send(context.Background(), &outbox.Message{Partner: "alpha", Name: "997.x12"}, []byte("alpha's ack")); err != nil {
		t.Fatal(err)
	}
	put(t, ca, "/in/pending.part", []byte("alpha's partial"))

	for _, dir := range []string{"/out", "/in", "/../alpha/out", "/../alpha/in"} {
		list, _ := cb.ReadDir(dir)
		for _, fi := range list {
			t.Errorf("beta lists %s/%s", dir, fi.Name())
		}
	}
	for _, p := range []string{"/out/997.x12", "/in/pending.part", "/../alpha/out/997.x12", "../alpha/in/pending.part"} {
		if _, err := cb.Stat(p); err == nil {
			t.Errorf("beta can stat %s", p)
		}
		if f, err := cb.Open(p); err == nil {
			f.Close()
			t.Errorf("beta can open %s", p)
		}
		if err := cb.Remove(p); err == nil {
			t.Errorf("beta can remove %s", p)
		}
	}
	if err := cb.PosixRename("/in/pending.part", "/in/stolen.edi"); err == nil {
		t.Error("beta renamed alpha's partial")
	}
	put(t, cb, "/in/pending.part", []byte("beta's own"))
	if err := cb.PosixRename("/in/pending.part", "/in/b.edi"); err != nil {
		t.Fatal(err)
	}
	got, bodies := e.fake.snapshot()
	if len(got) != 1 || got[0].Partner != "beta" || string(bodies[0]) != "beta's own" {
		t.Fatalf("inbox: %+v %q", got, bodies)
	}
	if b, _ := os.ReadFile(filepath.Join(e.root, "alpha", areaIn, "pending.part")); string(b) != "alpha's partial" {
		t.Errorf("alpha's partial is now %q", b)
	}
	if p := e.pickups.list(); len(p) != 0 {
		t.Errorf("pickups %v", p)
	}
}

func FuzzSubsystem(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x04sftp"))
	f.Add([]byte("\xff\xff\xff\xffsftp"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, payload []byte) {
		if name := subsystem(payload); len(name) > len(payload) {
			t.Fatalf("name %q longer than the payload", name)
		}
	})
}
