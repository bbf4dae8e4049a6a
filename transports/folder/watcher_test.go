package folder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/fsnotify/fsnotify"
)

// fakeInbox records what it receives; fail makes it refuse.
type fakeInbox struct {
	mu     sync.Mutex
	got    []inbox.Arrival
	bodies map[string][]byte // by name
	count  map[string]int
	fail   error
}

func newFakeInbox() *fakeInbox {
	return &fakeInbox{bodies: map[string][]byte{}, count: map[string]int{}}
}

func (f *fakeInbox) Receive(ctx context.Context, a inbox.Arrival, body io.Reader) (*inbox.Message, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	f.got = append(f.got, a)
	f.bodies[a.Name] = data
	f.count[a.Name]++
	return &inbox.Message{ID: uint64(len(f.got)), Name: a.Name, Size: int64(len(data)), State: inbox.Received}, nil
}

func (f *fakeInbox) setFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

func (f *fakeInbox) n() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.got)
}

func (f *fakeInbox) arrivals() []inbox.Arrival {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]inbox.Arrival(nil), f.got...)
}

func (f *fakeInbox) body(name string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[name]
}

// startWatcher runs a watcher of one folder until the test ends.
func startWatcher(t *testing.T, d WatchDir, in Inbox, edit func(*Config)) *Watcher {
	t.Helper()
	cfg := Config{Dirs: []WatchDir{d}, Debounce: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if edit != nil {
		edit(&cfg)
	}
	w, err := New(cfg, in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return w
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, n := range names(t, dir) {
		if fi, err := os.Stat(filepath.Join(dir, n)); err == nil && fi.Mode().IsRegular() {
			out = append(out, n)
		}
	}
	return out
}

func TestTakesFileIntoArchive(t *testing.T) {
	dir := t.TempDir()
	in := newFakeInbox()
	startWatcher(t, WatchDir{Partner: "acme", Path: dir, MinAge: 50 * time.Millisecond}, in, nil)
	os.WriteFile(filepath.Join(dir, "stock.csv"), []byte("sku,qty\nA,1\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "big.csv.part"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "x.tmp"), []byte("x"), 0o644)
	eventually(t, "the file to be archived", func() bool { return len(names(t, filepath.Join(dir, ArchiveDir))) == 1 })
	a := in.arrivals()
	if len(a) != 1 || a[0].Name != "stock.csv" || a[0].Partner != "acme" || a[0].Transport != "folder" ||
		string(in.body("stock.csv")) != "sku,qty\nA,1\n" {
		t.Fatalf("inbox: %+v", a)
	}
	archived := names(t, filepath.Join(dir, ArchiveDir))[0]
	if a[0].Meta[MetaPath] != filepath.Join(dir, ArchiveDir, archived) || !strings.HasSuffix(archived, "-stock.csv") ||
		a[0].Meta[MetaFile] != filepath.Join(dir, "stock.csv") {
		t.Errorf("meta %v, archived as %s", a[0].Meta, archived)
	}
	if n := names(t, filepath.Join(dir, ProcessingDir)); len(n) != 0 {
		t.Errorf("processing/ keeps %v", n)
	}
	if got := files(t, dir); strings.Join(got, ",") != ".hidden,big.csv.part,x.tmp" {
		t.Errorf("left in the folder: %v", got)
	}
}

func TestSlowWriterIsNotTakenEarly(t *testing.T) {
	dir := t.TempDir()
	in := newFakeInbox()
	startWatcher(t, WatchDir{Partner: "acme", Path: dir, MinAge: time.Second}, in, nil)
	f, err := os.Create(filepath.Join(dir, "slow.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	for i := range 15 { // 3 s of writing, every 200 ms (less than MinAge)
		line := fmt.Sprintf("row %d\n", i)
		f.WriteString(line)
		want.WriteString(line)
		time.Sleep(200 * time.Millisecond)
	}
	f.Close()
	eventually(t, "the slow file", func() bool { return in.n() >= 1 })
	time.Sleep(200 * time.Millisecond) // a second take would show by now
	if in.n() != 1 || !bytes.Equal(in.body("slow.csv"), want.Bytes()) {
		t.Fatalf("took %d files; body %q", in.n(), in.body("slow.csv"))
	}
}

func TestDoneFile(t *testing.T) {
	dir := t.TempDir()
	in := newFakeInbox()
	w := startWatcher(t, WatchDir{Partner: "acme", Path: dir, DoneSuffix: ".done"}, in, func(c *Config) { c.Rescan = 50 * time.Millisecond })
	os.WriteFile(filepath.Join(dir, "a.csv"), []byte("complete"), 0o644)
	os.WriteFile(filepath.Join(dir, "orphan.csv.done"), nil, 0o644)
	// Give it many rescans and checks: without its done-file, a.csv waits.
	for range 10 {
		w.Rescan()
		time.Sleep(30 * time.Millisecond)
	}
	if in.n() != 0 {
		t.Fatalf("taken without its done-file: %+v", in.arrivals())
	}
	os.WriteFile(filepath.Join(dir, "a.csv.done"), nil, 0o644)
	eventually(t, "the file with its done-file", func() bool { return in.n() == 1 })
	eventually(t, "the done-file's removal", func() bool {
		_, err := os.Stat(filepath.Join(dir, "a.csv.done"))
		return os.IsNotExist(err)
	})
	if string(in.body("a.csv")) != "complete" {
		t.Errorf("body %q", in.body("a.csv"))
	}
}

func TestManyFilesAtOnceTakenOnce(t *testing.T) {
	dir := t.TempDir()
	in := newFakeInbox()
	const n = 5000
	// Write them elsewhere and move them in at once, as a batch job does.
	staging := t.TempDir()
	for i := range n {
		os.WriteFile(filepath.Join(staging, fmt.Sprintf("f%04d.csv", i)), []byte(fmt.Sprintf("file %d", i)), 0o644)
	}
	startWatcher(t, WatchDir{Partner: "acme", Path: dir, MinAge: 100 * time.Millisecond}, in, func(c *Config) {
		c.Rescan = 500 * time.Millisecond
		c.Workers = 4
	})
	for i := range n {
		name := fmt.Sprintf("f%04d.csv", i)
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "5000 files in the inbox", func() bool { return in.n() >= n })
	eventually(t, "5000 files archived", func() bool { return len(names(t, filepath.Join(dir, ArchiveDir))) == n })
	time.Sleep(300 * time.Millisecond) // a repeated take would show by now
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.got) != n || len(in.count) != n {
		t.Fatalf("inbox got %d arrivals of %d names, want %d", len(in.got), len(in.count), n)
	}
	for name, c := range in.count {
		if c != 1 {
			t.Errorf("%s taken %d times", name, c)
		}
	}
	if left := files(t, dir); len(left) != 0 {
		t.Errorf("left in the folder: %d files", len(left))
	}
}

// TestRescanAfterOverflow drives the loop with fake channels: a file that
// produced no event is found right after an overflow error, long before
// the periodic rescan.
func TestRescanAfterOverflow(t *testing.T) {
	dir := t.TempDir()
	in := newFakeInbox()
	w, err := New(Config{Dirs: []WatchDir{{Partner: "acme", Path: dir, MinAge: 10 * time.Millisecond}}, Rescan: time.Hour,
		Debounce: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{ProcessingDir, ArchiveDir, FailedDir} {
		os.MkdirAll(filepath.Join(dir, sub), 0o750)
	}
	events, errs := make(chan fsnotify.Event), make(chan error)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.run(ctx, events, errs) }()
	defer func() { cancel(); <-done }()

	time.Sleep(50 * time.Millisecond) // past the start-up scan
	os.WriteFile(filepath.Join(dir, "missed.csv"), []byte("no event for me"), 0o644)
	time.Sleep(200 * time.Millisecond)
	if in.n() != 0 {
		t.Fatal("found without an event or a rescan: the test proves nothing")
	}
	errs <- fsnotify.ErrEventOverflow
	eventually(t, "the missed file after the overflow", func() bool { return in.n() == 1 })
	// And an event alone is enough for the next one.
	os.WriteFile(filepath.Join(dir, "seen.csv"), []byte("x"), 0o644)
	events <- fsnotify.Event{Name: filepath.Join(dir, "seen.csv"), Op: fsnotify.Create}
	eventually(t, "the file with an event", func() bool { return in.n() == 2 })
}

func TestRestartHandsOverProcessing(t *testing.T) {
	dir := t.TempDir()
	proc := filepath.Join(dir, ProcessingDir)
	os.MkdirAll(proc, 0o750)
	left := "20260101T120000.000000001Z-orders.csv"
	os.WriteFile(filepath.Join(proc, left), []byte("left behind"), 0o644)
	in := newFakeInbox()
	startWatcher(t, WatchDir{Partner: "acme", Path: dir}, in, nil)
	eventually(t, "the left-over file", func() bool { return in.n() == 1 })
	a := in.arrivals()[0]
	if a.Name != "orders.csv" || string(in.body("orders.csv")) != "left behind" {
		t.Fatalf("arrival %+v", a)
	}
	eventually(t, "the left-over file archived", func() bool { return len(names(t, filepath.Join(dir, ArchiveDir))) == 1 })
	if got := names(t, filepath.Join(dir, ArchiveDir)); got[0] != left {
		t.Errorf("archived as %v", got)
	}
}

func TestInboxFailureRetries(t *testing.T) {
	dir := t.TempDir()
	in := newFakeInbox()
	in.setFail(errors.New("disk full"))
	startWatcher(t, WatchDir{Partner: "acme", Path: dir, MinAge: 10 * time.Millisecond}, in, func(c *Config) { c.Rescan = 100 * time.Millisecond })
	os.WriteFile(filepath.Join(dir, "a.csv"), []byte("a"), 0o644)
	eventually(t, "the file in processing/", func() bool { return len(names(t, filepath.Join(dir, ProcessingDir))) == 1 })
	time.Sleep(300 * time.Millisecond) // several failed attempts
	if n := names(t, filepath.Join(dir, ArchiveDir)); len(n) != 0 {
		t.Fatalf("archived though the inbox failed: %v", n)
	}
	in.setFail(nil)
	eventually(t, "the retried file archived", func() bool { return len(names(t, filepath.Join(dir, ArchiveDir))) == 1 })
	if in.n() != 1 {
		t.Errorf("inbox got %d", in.n())
	}
}

func TestTooLargeGoesToFailed(t *testing.T) {
	dir := t.TempDir()
	store, err := inbox.Open(t.TempDir(), &inbox.Options{MaxSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	startWatcher(t, WatchDir{Partner: "acme", Path: dir, MinAge: 10 * time.Millisecond}, store, nil)
	os.WriteFile(filepath.Join(dir, "big.csv"), bytes.Repeat([]byte("x"), 100), 0o644)
	eventually(t, "the large file in failed/", func() bool { return len(names(t, filepath.Join(dir, FailedDir))) == 1 })
}

func TestSettle(t *testing.T) {
	dir := t.TempDir()
	store, err := inbox.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	w := startWatcher(t, WatchDir{Partner: "acme", Path: dir, MinAge: 10 * time.Millisecond}, store, nil)
	os.WriteFile(filepath.Join(dir, "good.csv"), []byte("good"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.csv"), []byte("bad"), 0o644)
	eventually(t, "two archived files", func() bool { return len(names(t, filepath.Join(dir, ArchiveDir))) == 2 })
	msgs, _ := store.List(inbox.Filter{})
	for _, m := range msgs {
		if err := w.Settle(m.Meta, m.Name == "good.csv"); err != nil {
			t.Fatalf("settle %s: %v", m.Name, err)
		}
	}
	arch, failed := names(t, filepath.Join(dir, ArchiveDir)), names(t, filepath.Join(dir, FailedDir))
	if len(arch) != 1 || !strings.HasSuffix(arch[0], "-good.csv") || len(failed) != 1 || !strings.HasSuffix(failed[0], "-bad.csv") {
		t.Fatalf("archive %v, failed %v", arch, failed)
	}
	for _, meta := range []map[string]string{
		{MetaPath: "/etc/passwd"},
		{MetaPath: filepath.Join(dir, "good.csv")},
		{MetaPath: filepath.Join(dir, ArchiveDir, "..", "..", "x")},
		{},
	} {
		if err := w.Settle(meta, false); !errors.Is(err, ErrNotOurs) {
			t.Errorf("settle %v: %v", meta, err)
		}
	}
	if err := w.Settle(map[string]string{MetaPath: filepath.Join(dir, ArchiveDir, "gone.csv")}, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("settle of a missing file: %v", err)
	}
}

func TestDropper(t *testing.T) {
	out := t.TempDir()
	d := NewDropper(func(partner string) (DropTarget, error) {
		if partner != "acme" {
			return DropTarget{}, errors.New("unknown partner")
		}
		return DropTarget{Path: out, DoneSuffix: ".ok"}, nil
	})
	r, err := d.Send(context.Background(), &outbox.Message{Partner: "acme", Name: "846.x12"}, []byte("ISA*846~"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Pending || r.Text != filepath.Join(out, "846.x12") {
		t.Errorf("receipt %+v", r)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "846.x12")); string(b) != "ISA*846~" {
		t.Errorf("dropped %q", b)
	}
	if got := names(t, out); strings.Join(got, ",") != "846.x12,846.x12.ok" {
		t.Errorf("folder holds %v (temporary files left?)", got)
	}
	for _, m := range []*outbox.Message{{Partner: "acme", Name: "../x"}, {Partner: "acme", Name: ".x"}, {Partner: "acme"}, {Partner: "zzz", Name: "a"}} {
		if _, err := d.Send(context.Background(), m, []byte("x")); err == nil {
			t.Errorf("%+v accepted", m)
		}
	}
}

// TestDropIntoWatchedFolder: a Dropper writing into a folder a Watcher
// watches never lets it take a half-written file.
func TestDropIntoWatchedFolder(t *testing.T) {
	dir := t.TempDir()
	in := newFakeInbox()
	startWatcher(t, WatchDir{Partner: "acme", Path: dir, DoneSuffix: ".ok"}, in, nil)
	d := NewDropper(func(string) (DropTarget, error) { return DropTarget{Path: dir, DoneSuffix: ".ok"}, nil })
	body := bytes.Repeat([]byte("ISA*846~"), 100_000)
	for i := range 5 {
		if _, err := d.Send(context.Background(), &outbox.Message{Partner: "acme", Name: fmt.Sprintf("%d.x12", i)}, body); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "five files", func() bool { return in.n() == 5 })
	for i := range 5 {
		if !bytes.Equal(in.body(fmt.Sprintf("%d.x12", i)), body) {
			t.Errorf("%d.x12 taken incomplete", i)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Dirs: []WatchDir{{Partner: "a"}}},
		{Dirs: []WatchDir{{Path: "/tmp/x"}}},
		{Dirs: []WatchDir{{Partner: "a", Path: "/tmp/x"}, {Partner: "b", Path: "/tmp/x/"}}},
		{Dirs: []WatchDir{{Partner: "a", Path: "/tmp/x", DoneSuffix: "/x"}}},
		{Dirs: []WatchDir{{Partner: "a", Path: "/tmp/x", DoneSuffix: "."}}},
	} {
		if _, err := New(cfg, newFakeInbox()); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}

func TestUnstamp(t *testing.T) {
	for in, want := range map[string]string{
		"20260101T120000.000000001Z-orders.csv": "orders.csv",
		"orders.csv":                            "orders.csv",
		"20260101T120000.000000001Z-":           "20260101T120000.000000001Z-",
		"2026X101T120000.000000001Z-a":          "2026X101T120000.000000001Z-a",
	} {
		if got := unstamp(in); got != want {
			t.Errorf("unstamp(%q) = %q", in, got)
		}
	}
}
