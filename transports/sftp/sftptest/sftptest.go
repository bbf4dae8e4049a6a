// Package sftptest is the contract suite of sftp.OutFolder (the files
// partners pick up from out/): every implementation passes Run, on disk
// and in PostgreSQL alike.
package sftptest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/transports/sftp"
)

// Run runs the contract suite; open returns a new, empty folder. Sizes
// of a few MiB are used, so that stores that keep files in chunks of
// about 1 MiB read across chunk boundaries.
func Run(t *testing.T, open func(t *testing.T) sftp.OutFolder) {
	tests := []struct {
		name string
		fn   func(t *testing.T, o sftp.OutFolder)
	}{
		{"files go in and come out whole", roundTrip},
		{"a put replaces the file whole", replace},
		{"a listing holds every file once", list},
		{"partners never see each other's files", partnersApart},
		{"remove", remove},
		{"bad names are refused", badNames},
		{"concurrent puts leave one version whole", concurrentPuts},
		{"readers never mix versions", readersNeverMix},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// body returns n bytes of a pattern unique to seed (binary, with NULs).
func body(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// readAll reads a file through ReadAt in 32 KiB pieces (as an SFTP
// client asks), and checks that reading past its end is io.EOF.
func readAll(r sftp.OutReader, size int64) ([]byte, error) {
	out := make([]byte, 0, size)
	buf := make([]byte, 32<<10)
	for off := int64(0); ; {
		n, err := r.ReadAt(buf, off)
		out = append(out, buf[:n]...)
		off += int64(n)
		if errors.Is(err, io.EOF) {
			if off != size {
				return out, fmt.Errorf("EOF after %d of %d bytes", off, size)
			}
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if n == 0 {
			return out, fmt.Errorf("ReadAt at %d returned nothing and no error", off)
		}
	}
}

// get opens and reads a whole file.
func get(t *testing.T, o sftp.OutFolder, partner, name string) ([]byte, sftp.OutFile) {
	t.Helper()
	r, f, err := o.Open(context.Background(), partner, name)
	if err != nil {
		t.Fatalf("open %s/%s: %v", partner, name, err)
	}
	defer r.Close()
	b, err := readAll(r, f.Size)
	if err != nil {
		t.Fatalf("read %s/%s: %v", partner, name, err)
	}
	return b, f
}

func put(t *testing.T, o sftp.OutFolder, partner, name string, b []byte) {
	t.Helper()
	if err := o.Put(context.Background(), partner, name, b); err != nil {
		t.Fatalf("put %s/%s: %v", partner, name, err)
	}
}

// listAll lists a partner's files with pages of n, checking that no
// page is longer than asked.
func listAll(t *testing.T, o sftp.OutFolder, partner string, n int) []sftp.OutFile {
	t.Helper()
	l, err := o.List(context.Background(), partner)
	if err != nil {
		t.Fatalf("list %s: %v", partner, err)
	}
	defer l.Close()
	var all []sftp.OutFile
	for range 100_000 {
		page, err := l.Next(n)
		if len(page) > n {
			t.Fatalf("list %s: asked %d, got %d", partner, n, len(page))
		}
		all = append(all, page...)
		if errors.Is(err, io.EOF) {
			return all
		}
		if err != nil {
			t.Fatalf("list %s: %v", partner, err)
		}
	}
	t.Fatalf("list %s: never ends", partner)
	return nil
}

func names(files []sftp.OutFile) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	slices.Sort(out)
	return out
}

func checkFile(t *testing.T, f sftp.OutFile, name string, want []byte, before time.Time) {
	t.Helper()
	if f.Name != name || f.Size != int64(len(want)) {
		t.Errorf("%s: described as %q, %d bytes; want %d bytes", name, f.Name, f.Size, len(want))
	}
	if f.SHA256 != "" && f.SHA256 != sum(want) {
		t.Errorf("%s: SHA-256 %s, want %s", name, f.SHA256, sum(want))
	}
	if f.ModTime.Before(before.Add(-time.Minute)) || f.ModTime.After(time.Now().Add(time.Minute)) {
		t.Errorf("%s: modified %v, put at %v", name, f.ModTime, before)
	}
}

func roundTrip(t *testing.T, o sftp.OutFolder) {
	ctx := context.Background()
	before := time.Now()
	files := map[string][]byte{
		"empty.x12":        {},
		"one.x12":          {'~'},
		"997-1.x12":        []byte("ISA*00*~GS*FA~ST*997*0001~SE*2*0001~GE*1*1~IEA*1*1~"),
		"binary.bin":       body(1, 70_000),
		"two chunks.x12":   body(2, 1<<20+1),
		"big-3.5MiB.x12":   body(3, 3<<20+(1<<19)),
		"UPPER é name.edi": []byte("name with spaces and UTF-8"),
	}
	for name, b := range files {
		put(t, o, "acme", name, b)
	}
	for name, want := range files {
		got, f := get(t, o, "acme", name)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: read %d bytes, not what was put (%d)", name, len(got), len(want))
		}
		checkFile(t, f, name, want, before)
		st, err := o.Stat(ctx, "acme", name)
		if err != nil {
			t.Fatalf("stat %s: %v", name, err)
		}
		checkFile(t, st, name, want, before)
	}
	// Pieces at random offsets, across chunk boundaries, and past the end.
	big := files["big-3.5MiB.x12"]
	r, _, err := o.Open(ctx, "acme", "big-3.5MiB.x12")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rnd := rand.New(rand.NewPCG(9, 9))
	for i := range 200 {
		off := rnd.Int64N(int64(len(big)))
		if i < 3 {
			off = int64(1<<20*(i+1)) - 100 // straddles a MiB
		}
		p := make([]byte, 1+rnd.IntN(70_000))
		n, err := r.ReadAt(p, off)
		end := min(off+int64(len(p)), int64(len(big)))
		if int64(n) != end-off || !bytes.Equal(p[:n], big[off:end]) {
			t.Fatalf("ReadAt(%d bytes at %d): %d bytes, %v", len(p), off, n, err)
		}
		if err != nil && !(errors.Is(err, io.EOF) && end == int64(len(big))) {
			t.Fatalf("ReadAt(%d bytes at %d): %v", len(p), off, err)
		}
		if n < len(p) && !errors.Is(err, io.EOF) {
			t.Fatalf("ReadAt(%d bytes at %d): short read (%d) without io.EOF", len(p), off, n)
		}
	}
	if n, err := r.ReadAt(make([]byte, 10), int64(len(big))); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("ReadAt at the end: %d, %v", n, err)
	}
	if _, _, err := o.Open(ctx, "acme", "missing.x12"); !errors.Is(err, sftp.ErrNoSuchFile) {
		t.Errorf("open a missing file: %v", err)
	}
	if _, err := o.Stat(ctx, "acme", "missing.x12"); !errors.Is(err, sftp.ErrNoSuchFile) {
		t.Errorf("stat a missing file: %v", err)
	}
	if _, _, err := o.Open(ctx, "nobody", "one.x12"); !errors.Is(err, sftp.ErrNoSuchFile) {
		t.Errorf("open in a partner's folder that has nothing: %v", err)
	}
}

func replace(t *testing.T, o sftp.OutFolder) {
	ctx := context.Background()
	first, second := body(10, 2<<20+5), []byte("second, short")
	put(t, o, "acme", "997.x12", first)
	r, f, err := o.Open(ctx, "acme", "997.x12")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	put(t, o, "acme", "997.x12", second)
	if got, _ := get(t, o, "acme", "997.x12"); !bytes.Equal(got, second) {
		t.Errorf("after the replacement: %d bytes, want %q", len(got), second)
	}
	// The reader opened before: the first version whole, or a failure.
	got, err := readAll(r, f.Size)
	switch {
	case err == nil && !bytes.Equal(got, first):
		t.Errorf("a reader opened before the replacement read %d bytes that are not the first version", len(got))
	case err != nil && !errors.Is(err, sftp.ErrNoSuchFile):
		t.Errorf("a reader opened before the replacement: %v", err)
	case err != nil && !bytes.Equal(got, first[:len(got)]):
		t.Errorf("a reader opened before the replacement read other bytes before failing")
	}
	if files := listAll(t, o, "acme", 10); len(files) != 1 || files[0].Size != int64(len(second)) {
		t.Errorf("listed after a replacement: %+v", files)
	}
}

func list(t *testing.T, o sftp.OutFolder) {
	var want []string
	for i := range 250 {
		name := fmt.Sprintf("997-%04d.x12", i)
		put(t, o, "acme", name, []byte(name))
		want = append(want, name)
	}
	put(t, o, "other", "997-9999.x12", []byte("other's"))
	for _, n := range []int{1, 7, 100, 1000} {
		files := listAll(t, o, "acme", n)
		if got := names(files); !slices.Equal(got, want) {
			t.Fatalf("pages of %d: %d files %v…", n, len(got), got[:min(5, len(got))])
		}
		for _, f := range files {
			if f.Size != int64(len(f.Name)) {
				t.Errorf("%s listed with %d bytes", f.Name, f.Size)
			}
		}
	}
	if files := listAll(t, o, "nobody", 10); len(files) != 0 {
		t.Errorf("a partner with nothing lists %v", names(files))
	}
}

func partnersApart(t *testing.T, o sftp.OutFolder) {
	ctx := context.Background()
	put(t, o, "alpha", "997.x12", []byte("alpha's"))
	put(t, o, "alpha-2", "only.x12", []byte("alpha-2's"))
	if files := listAll(t, o, "beta", 10); len(files) != 0 {
		t.Errorf("beta lists %v", names(files))
	}
	if files := listAll(t, o, "alpha", 10); !slices.Equal(names(files), []string{"997.x12"}) {
		t.Errorf("alpha lists %v", names(files))
	}
	if _, err := o.Stat(ctx, "beta", "997.x12"); !errors.Is(err, sftp.ErrNoSuchFile) {
		t.Errorf("beta stats alpha's file: %v", err)
	}
	if r, _, err := o.Open(ctx, "beta", "997.x12"); !errors.Is(err, sftp.ErrNoSuchFile) {
		if err == nil {
			r.Close()
		}
		t.Errorf("beta opens alpha's file: %v", err)
	}
	if err := o.Remove(ctx, "beta", "997.x12"); !errors.Is(err, sftp.ErrNoSuchFile) {
		t.Errorf("beta removes alpha's file: %v", err)
	}
	put(t, o, "beta", "997.x12", []byte("beta's"))
	if got, _ := get(t, o, "alpha", "997.x12"); string(got) != "alpha's" {
		t.Errorf("alpha's file is now %q", got)
	}
	if err := o.Remove(ctx, "beta", "997.x12"); err != nil {
		t.Fatal(err)
	}
	if got, _ := get(t, o, "alpha", "997.x12"); string(got) != "alpha's" {
		t.Errorf("alpha's file after beta removed its own: %q", got)
	}
}

func remove(t *testing.T, o sftp.OutFolder) {
	ctx := context.Background()
	b := body(20, 1<<20+3)
	put(t, o, "acme", "a.x12", b)
	put(t, o, "acme", "b.x12", []byte("b"))
	r, f, err := o.Open(ctx, "acme", "a.x12")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := o.Remove(ctx, "acme", "a.x12"); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Stat(ctx, "acme", "a.x12"); !errors.Is(err, sftp.ErrNoSuchFile) {
		t.Errorf("stat after remove: %v", err)
	}
	if err := o.Remove(ctx, "acme", "a.x12"); !errors.Is(err, sftp.ErrNoSuchFile) {
		t.Errorf("remove twice: %v", err)
	}
	if got := names(listAll(t, o, "acme", 10)); !slices.Equal(got, []string{"b.x12"}) {
		t.Errorf("listed after remove: %v", got)
	}
	got, err := readAll(r, f.Size)
	if err == nil && !bytes.Equal(got, b) || err != nil && (!errors.Is(err, sftp.ErrNoSuchFile) || !bytes.Equal(got, b[:len(got)])) {
		t.Errorf("a reader opened before the removal: %d bytes, %v", len(got), err)
	}
	put(t, o, "acme", "a.x12", []byte("again"))
	if got, _ := get(t, o, "acme", "a.x12"); string(got) != "again" {
		t.Errorf("put again after remove: %q", got)
	}
}

func badNames(t *testing.T, o sftp.OutFolder) {
	ctx := context.Background()
	for _, name := range []string{"", ".hidden", ".", "..", "a/b", "../x", "nul\x00", "line\nfeed", strings.Repeat("n", 256)} {
		if err := o.Put(ctx, "acme", name, []byte("x")); !errors.Is(err, sftp.ErrBadName) {
			t.Errorf("put %q: %v", name, err)
		}
	}
	for _, partner := range []string{"", "../acme", "a/b", ".acme", "-acme"} {
		if err := o.Put(ctx, partner, "x.x12", []byte("x")); !errors.Is(err, sftp.ErrBadPartner) {
			t.Errorf("put for partner %q: %v", partner, err)
		}
	}
	if files := listAll(t, o, "acme", 10); len(files) != 0 {
		t.Errorf("bad puts left %v", names(files))
	}
	put(t, o, "acme", "ok.x12", []byte("ok"))
	for _, name := range []string{".hidden", "..", "../acme/out/ok.x12"} {
		if _, err := o.Stat(ctx, "acme", name); !errors.Is(err, sftp.ErrNoSuchFile) {
			t.Errorf("stat %q: %v", name, err)
		}
		if _, _, err := o.Open(ctx, "acme", name); !errors.Is(err, sftp.ErrNoSuchFile) {
			t.Errorf("open %q: %v", name, err)
		}
		if err := o.Remove(ctx, "acme", name); !errors.Is(err, sftp.ErrNoSuchFile) {
			t.Errorf("remove %q: %v", name, err)
		}
	}
}

func concurrentPuts(t *testing.T, o sftp.OutFolder) {
	const writers = 4
	versions := make([][]byte, writers)
	for i := range versions {
		versions[i] = body(uint64(30+i), 1<<20+1000*i)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*3)
	for i := range writers {
		wg.Go(func() {
			for range 3 {
				errs <- o.Put(context.Background(), "acme", "same.x12", versions[i])
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent put: %v", err)
		}
	}
	got, _ := get(t, o, "acme", "same.x12")
	if !slices.ContainsFunc(versions, func(v []byte) bool { return bytes.Equal(v, got) }) {
		t.Errorf("after concurrent puts: %d bytes, none of the versions", len(got))
	}
	if files := listAll(t, o, "acme", 10); len(files) != 1 {
		t.Errorf("after concurrent puts: listed %v", names(files))
	}
}

func readersNeverMix(t *testing.T, o sftp.OutFolder) {
	versions := [][]byte{body(40, 1<<20+77), body(41, 2<<20+3), []byte("short")}
	put(t, o, "acme", "mix.x12", versions[0])
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := o.Put(context.Background(), "acme", "mix.x12", versions[i%len(versions)]); err != nil {
				t.Errorf("put: %v", err)
				return
			}
		}
	})
	whole := 0
	for range 30 {
		r, f, err := o.Open(context.Background(), "acme", "mix.x12")
		if errors.Is(err, sftp.ErrNoSuchFile) {
			continue // between a removal and a rename, on some stores
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(r, f.Size)
		r.Close()
		if err != nil {
			if !errors.Is(err, sftp.ErrNoSuchFile) {
				t.Errorf("read while replaced: %v", err)
			}
			continue
		}
		if !slices.ContainsFunc(versions, func(v []byte) bool { return bytes.Equal(v, got) }) {
			t.Fatalf("read %d bytes that are no version", len(got))
		}
		whole++
	}
	close(stop)
	wg.Wait()
	t.Logf("%d of 30 reads while replaced read a whole version", whole)
}
