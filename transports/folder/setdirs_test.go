package folder

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestSetDirs changes a running watcher's folders: a folder added is
// watched with its partner, a folder removed is no longer taken from, and
// a file taken from it before still settles.
func TestSetDirs(t *testing.T) {
	root := t.TempDir()
	a := WatchDir{Partner: "acme", Path: filepath.Join(root, "acme"), MinAge: 10 * time.Millisecond}
	b := WatchDir{Partner: "bolt", Path: filepath.Join(root, "bolt"), MinAge: 10 * time.Millisecond}
	in := newFakeInbox()
	w := startWatcher(t, a, in, func(c *Config) { c.Rescan = 50 * time.Millisecond })

	write := func(dir, name string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte("data "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	partnerOf := func(name string) string {
		for _, got := range in.arrivals() {
			if got.Name == name {
				return got.Partner
			}
		}
		return ""
	}
	eventually(t, "acme's folder created", func() bool { _, err := os.Stat(filepath.Join(a.Path, ArchiveDir)); return err == nil })
	write(a.Path, "first.csv")
	eventually(t, "first.csv taken", func() bool { return partnerOf("first.csv") == "acme" })

	if err := w.SetDirs([]WatchDir{a, b}); err != nil {
		t.Fatal(err)
	}
	// bolt's folder is created by the watcher.
	eventually(t, "bolt's folder created", func() bool { _, err := os.Stat(filepath.Join(b.Path, ArchiveDir)); return err == nil })
	write(b.Path, "second.csv")
	eventually(t, "second.csv taken for bolt", func() bool { return partnerOf("second.csv") == "bolt" })

	var firstMeta map[string]string
	for _, got := range in.arrivals() {
		if got.Name == "first.csv" {
			firstMeta = got.Meta
		}
	}
	if err := w.SetDirs([]WatchDir{b}); err != nil {
		t.Fatal(err)
	}
	write(a.Path, "late.csv")
	write(b.Path, "third.csv")
	eventually(t, "third.csv taken", func() bool { return partnerOf("third.csv") == "bolt" })
	// Several rescans later, acme's file is still where it was dropped.
	n := in.n()
	time.Sleep(300 * time.Millisecond)
	if partnerOf("late.csv") != "" || in.n() != n {
		t.Fatalf("a file was taken from a folder no longer watched: %v", in.arrivals())
	}
	if _, err := os.Stat(filepath.Join(a.Path, "late.csv")); err != nil {
		t.Fatal(err)
	}
	// The file taken from acme's folder before still settles.
	if err := w.Settle(firstMeta, false); err != nil {
		t.Fatalf("settling a file of a folder no longer watched: %v", err)
	}
	if got := names(t, filepath.Join(a.Path, FailedDir)); len(got) != 1 || !slices.ContainsFunc(got, func(n string) bool { return unstamp(n) == "first.csv" }) {
		t.Fatalf("failed/ holds %v", got)
	}

	if err := w.SetDirs([]WatchDir{b, b}); !errors.Is(err, ErrConfig) {
		t.Fatalf("a folder twice: %v, want ErrConfig", err)
	}
}
