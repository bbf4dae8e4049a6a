package folder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watcher takes complete files from watched folders into the inbox.
type Watcher struct {
	cfg   Config
	inbox Inbox
	log   *slog.Logger
	// dirs is written only by New and the loop goroutine (SetDirs hands
	// the loop the new list), under mu; the loop reads it without.
	dirs map[string]*watchDir // by path
	fsw  pathWatcher          // nil when events come from elsewhere (tests)

	// Owned by the loop goroutine.
	cands     map[string]*candidate // by file path
	nextDue   time.Time             // no candidate is due before this
	lastStamp time.Time

	jobs chan job

	mu       sync.Mutex
	retry    []job                // hand-overs the inbox refused, tried at the next rescan
	inflight map[string]bool      // archive paths of jobs being handed over
	verdict  map[string]bool      // Settle(ok=false) for an in-flight job: archive path → true
	rescanCh chan struct{}        // asks the loop for a rescan
	archives map[string]*watchDir // archive path → its folder, every folder ever watched (Settle)
	dirsCh   chan []WatchDir      // SetDirs → the loop
	wg       sync.WaitGroup
}

// pathWatcher is the part of fsnotify.Watcher that SetDirs needs.
type pathWatcher interface {
	Add(path string) error
	Remove(path string) error
}

var _ pathWatcher = (*fsnotify.Watcher)(nil)

// watchDir is a watched folder. It never changes once made: a changed
// folder setting makes a new one, and jobs in flight keep the old.
type watchDir struct {
	WatchDir
	processing, archive, failed string
}

// candidate is a file seen in a watched folder, not yet taken.
type candidate struct {
	dir         *watchDir
	path        string
	size        int64
	mtime       time.Time
	seen        bool      // stat'ed at least once
	stableSince time.Time // when the current size and mtime were first seen
	due         time.Time // when to look at it next (zero: on an event or rescan)
}

// job is a taken file to hand to the inbox.
type job struct {
	dir        *watchDir
	name       string // original name
	taken      string // where it was taken from
	processing string // its path in processing/
	archive    string // its path in archive/ once stored
}

// New returns a watcher of cfg.Dirs; Run starts it.
func New(cfg Config, in Inbox) (*Watcher, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if in == nil {
		return nil, fmt.Errorf("%w: no inbox", ErrConfig)
	}
	w := &Watcher{cfg: cfg, inbox: in, log: cfg.Logger, dirs: map[string]*watchDir{},
		cands: map[string]*candidate{}, jobs: make(chan job, 256),
		inflight: map[string]bool{}, verdict: map[string]bool{}, rescanCh: make(chan struct{}, 1),
		archives: map[string]*watchDir{}, dirsCh: make(chan []WatchDir, 1)}
	for _, d := range cfg.Dirs {
		wd := newWatchDir(d)
		w.dirs[d.Path], w.archives[wd.archive] = wd, wd
	}
	return w, nil
}

func newWatchDir(d WatchDir) *watchDir {
	return &watchDir{WatchDir: d, processing: filepath.Join(d.Path, ProcessingDir),
		archive: filepath.Join(d.Path, ArchiveDir), failed: filepath.Join(d.Path, FailedDir)}
}

// SetDirs replaces the watched folders, as after a reload of the partner
// profiles: the running watcher starts watching (and rescans) the new
// ones, with their files left in processing/, and stops watching the ones
// no longer listed; files of theirs already taken are still handed over
// and settled. A folder whose settings changed is watched with the new
// ones. It returns an ErrConfig error, changing nothing, when the list is
// invalid.
func (w *Watcher) SetDirs(dirs []WatchDir) error {
	dirs, err := normalizeDirs(dirs)
	if err != nil {
		return err
	}
	for {
		select {
		case w.dirsCh <- dirs:
			return nil
		default:
		}
		select {
		case <-w.dirsCh: // an older list the loop has not taken: drop it
		default:
		}
	}
}

// applyDirs is SetDirs in the loop goroutine.
func (w *Watcher) applyDirs(ctx context.Context, dirs []WatchDir, now time.Time) {
	next := make(map[string]*watchDir, len(dirs))
	var added []*watchDir
	for _, d := range dirs {
		if old := w.dirs[d.Path]; old != nil && old.WatchDir == d {
			next[d.Path] = old
			continue
		}
		wd := newWatchDir(d)
		if err := wd.makeFolders(); err != nil {
			w.log.Error("folder: new watched folder", "dir", d.Path, "err", err)
			continue
		}
		next[d.Path] = wd
		if w.dirs[d.Path] == nil {
			added = append(added, wd)
		}
	}
	for path, old := range w.dirs {
		if next[path] == nil && w.fsw != nil {
			w.fsw.Remove(path)
		}
		if next[path] != old {
			for p, c := range w.cands {
				if c.dir == old {
					delete(w.cands, p) // the rescan finds it again under its new settings
				}
			}
		}
	}
	for _, d := range added {
		if w.fsw != nil {
			if err := w.fsw.Add(d.Path); err != nil {
				w.log.Warn("folder: no events for this folder; relying on rescans", "dir", d.Path, "err", err)
			}
		}
	}
	w.mu.Lock()
	w.dirs = next
	for _, d := range next {
		w.archives[d.archive] = d
	}
	w.mu.Unlock()
	w.log.Info("folder: watched folders changed", "folders", len(next), "added", len(added))
	for _, d := range added {
		w.recoverDir(ctx, d)
	}
	w.rescan(now)
}

// makeFolders creates the folder and its processing/, archive/ and
// failed/.
func (d *watchDir) makeFolders() error {
	for _, sub := range []string{d.Path, d.processing, d.archive, d.failed} {
		if err := os.MkdirAll(sub, 0o750); err != nil {
			return fmt.Errorf("folder: %w", err)
		}
	}
	return nil
}

// Run watches until ctx ends. Files being handed over when it ends stay in
// processing/ and are handed over at the next start.
func (w *Watcher) Run(ctx context.Context) error {
	for _, d := range w.dirs {
		if err := d.makeFolders(); err != nil {
			return err
		}
	}
	fsw, err := fsnotify.NewBufferedWatcher(4096)
	if err != nil {
		return fmt.Errorf("folder: %w", err)
	}
	defer fsw.Close()
	w.fsw = fsw
	for path := range w.dirs {
		if err := fsw.Add(path); err != nil {
			// Polling still finds the files.
			w.log.Warn("folder: no events for this folder; relying on rescans", "dir", path, "err", err)
		}
	}
	return w.run(ctx, fsw.Events, fsw.Errors)
}

// run is Run on given event channels (tests inject their own).
func (w *Watcher) run(ctx context.Context, events <-chan fsnotify.Event, errs <-chan error) error {
	for range w.cfg.Workers {
		w.wg.Add(1)
		go w.worker(ctx)
	}
	defer w.wg.Wait()
	defer close(w.jobs)
	w.recover(ctx)
	w.rescan(time.Now())
	tick := time.NewTicker(max(w.cfg.Debounce/2, 10*time.Millisecond))
	defer tick.Stop()
	rescan := time.NewTicker(w.cfg.Rescan)
	defer rescan.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			w.event(ev, time.Now())
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				w.log.Warn("folder: event queue overflowed; rescanning")
				w.rescan(time.Now())
			} else {
				w.log.Error("folder: watching", "err", err)
			}
		case now := <-tick.C:
			w.check(ctx, now)
		case now := <-rescan.C:
			w.rescan(now)
			w.retryRefused(ctx)
		case <-w.rescanCh:
			w.rescan(time.Now())
		case dirs := <-w.dirsCh:
			w.applyDirs(ctx, dirs, time.Now())
		}
	}
}

// event notes activity on a path: it is looked at once quiet for the
// debounce time.
func (w *Watcher) event(ev fsnotify.Event, now time.Time) {
	d := w.dirs[filepath.Dir(ev.Name)]
	if d == nil {
		return
	}
	w.touch(d, filepath.Base(ev.Name), now.Add(w.cfg.Debounce))
}

// touch schedules a look at name in d at due; a done-file schedules its
// file.
func (w *Watcher) touch(d *watchDir, name string, due time.Time) {
	if d.DoneSuffix != "" && strings.HasSuffix(name, d.DoneSuffix) && name != d.DoneSuffix {
		name = strings.TrimSuffix(name, d.DoneSuffix)
	}
	if ignored(name) {
		return
	}
	path := filepath.Join(d.Path, name)
	c := w.cands[path]
	if c == nil {
		c = &candidate{dir: d, path: path}
		w.cands[path] = c
	}
	c.due = due
	if w.nextDue.IsZero() || due.Before(w.nextDue) {
		w.nextDue = due
	}
}

// rescan lists every folder, schedules what it finds and forgets the
// waiting candidates it no longer finds.
func (w *Watcher) rescan(now time.Time) {
	found := map[string]bool{}
	for _, d := range w.dirs {
		entries, err := os.ReadDir(d.Path)
		if err != nil {
			w.log.Error("folder: rescanning", "dir", d.Path, "err", err)
			continue
		}
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			path := filepath.Join(d.Path, e.Name())
			found[path] = true
			if c := w.cands[path]; c == nil || c.due.IsZero() {
				w.touch(d, e.Name(), now)
			}
		}
	}
	for path, c := range w.cands {
		if c.due.IsZero() && !found[path] {
			delete(w.cands, path)
		}
	}
}

// check looks at every candidate that is due.
func (w *Watcher) check(ctx context.Context, now time.Time) {
	if w.nextDue.IsZero() || w.nextDue.After(now) {
		return
	}
	var next time.Time
	defer func() { w.nextDue = next }()
	for path, c := range w.cands {
		if !c.due.IsZero() && c.due.After(now) {
			next = earliest(next, c.due)
		}
		if c.due.IsZero() || c.due.After(now) {
			continue
		}
		switch w.look(c, now) {
		case gone:
			delete(w.cands, path)
		case ready:
			if w.take(ctx, c, now) {
				delete(w.cands, path)
			} else {
				c.due = now.Add(w.cfg.Debounce) // the hand-over queue is full
			}
		}
		if c, ok := w.cands[path]; ok && !c.due.IsZero() {
			next = earliest(next, c.due)
		}
	}
}

// earliest returns the earlier of two times, zero meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

type verdict int

const (
	waiting verdict = iota
	ready
	gone
)

// look decides whether c is complete, and when to look again if not.
func (w *Watcher) look(c *candidate, now time.Time) verdict {
	fi, err := os.Lstat(c.path)
	if err != nil || !fi.Mode().IsRegular() {
		return gone
	}
	if c.dir.DoneSuffix != "" {
		if _, err := os.Lstat(c.path + c.dir.DoneSuffix); err == nil {
			return ready
		}
		c.due = time.Time{} // until the done-file's event, or a rescan
		return waiting
	}
	if !c.seen || fi.Size() != c.size || !fi.ModTime().Equal(c.mtime) {
		c.seen, c.size, c.mtime, c.stableSince = true, fi.Size(), fi.ModTime(), now
		c.due = now.Add(max(c.dir.MinAge, w.cfg.Debounce))
		return waiting
	}
	if stable := now.Sub(c.stableSince); stable < c.dir.MinAge {
		c.due = c.stableSince.Add(c.dir.MinAge)
		return waiting
	}
	return ready
}

// take moves a complete file to processing/ and queues its hand-over. It
// returns false when the queue is full (the file stays where it is).
func (w *Watcher) take(ctx context.Context, c *candidate, now time.Time) bool {
	if len(w.jobs) == cap(w.jobs) {
		return false
	}
	name := filepath.Base(c.path)
	stamped := w.stamp(now) + name
	j := job{dir: c.dir, name: name, taken: c.path,
		processing: filepath.Join(c.dir.processing, stamped), archive: filepath.Join(c.dir.archive, stamped)}
	if err := os.Rename(c.path, j.processing); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			w.log.Error("folder: taking a file", "file", c.path, "err", err)
		}
		return true
	}
	if c.dir.DoneSuffix != "" {
		os.Remove(c.path + c.dir.DoneSuffix)
	}
	w.mu.Lock()
	w.inflight[j.archive] = true
	w.mu.Unlock()
	select {
	case w.jobs <- j: // never blocks: only the loop sends, after the check above
	case <-ctx.Done():
	}
	return true
}

// stampLayout prefixes names in processing/, archive/ and failed/.
const stampLayout = "20060102T150405.000000000Z-"

// stamp returns a stamp after every earlier one of this watcher.
func (w *Watcher) stamp(now time.Time) string {
	now = now.UTC()
	if !now.After(w.lastStamp) {
		now = w.lastStamp.Add(time.Nanosecond)
	}
	w.lastStamp = now
	return now.Format(stampLayout)
}

// unstamp returns the original name of a stamped name.
func unstamp(stamped string) string {
	if len(stamped) > len(stampLayout) {
		if _, err := time.Parse(stampLayout, stamped[:len(stampLayout)]); err == nil {
			return stamped[len(stampLayout):]
		}
	}
	return stamped
}

// recover queues the files a previous run left in processing/.
func (w *Watcher) recover(ctx context.Context) {
	for _, d := range w.dirs {
		w.recoverDir(ctx, d)
	}
}

// recoverDir queues the files left in one folder's processing/.
func (w *Watcher) recoverDir(ctx context.Context, d *watchDir) {
	entries, err := os.ReadDir(d.processing)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		j := job{dir: d, name: unstamp(e.Name()), taken: filepath.Join(d.processing, e.Name()),
			processing: filepath.Join(d.processing, e.Name()), archive: filepath.Join(d.archive, e.Name())}
		w.log.Info("folder: handing over a file left in processing", "file", j.processing)
		w.mu.Lock()
		w.inflight[j.archive] = true
		w.mu.Unlock()
		select {
		case w.jobs <- j:
		case <-ctx.Done():
			return
		}
	}
}

// retryRefused queues again the hand-overs the inbox refused.
func (w *Watcher) retryRefused(ctx context.Context) {
	w.mu.Lock()
	jobs := w.retry
	w.retry = nil
	w.mu.Unlock()
	for i, j := range jobs {
		select {
		case w.jobs <- j:
		default: // full: keep the rest for the next round
			w.mu.Lock()
			w.retry = append(w.retry, jobs[i:]...)
			w.mu.Unlock()
			return
		}
	}
}
