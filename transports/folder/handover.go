package folder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dockside-edi/dockside/inbox"
)

// worker hands taken files to the inbox.
func (w *Watcher) worker(ctx context.Context) {
	defer w.wg.Done()
	for j := range w.jobs {
		if ctx.Err() != nil {
			w.forget(j)
			continue // stays in processing/ for the next start
		}
		w.handOver(ctx, j)
	}
}

// handOver stores one file in the inbox, then archives it (or fails it).
func (w *Watcher) handOver(ctx context.Context, j job) {
	log := w.log.With("partner", j.dir.Partner, "file", j.taken)
	f, err := os.Open(j.processing)
	if err != nil {
		log.Error("folder: opening a taken file", "err", err)
		w.forget(j)
		return
	}
	a := inbox.Arrival{Partner: j.dir.Partner, Transport: Transport, Name: j.name,
		Meta: map[string]string{MetaDir: j.dir.Path, MetaFile: j.taken, MetaPath: j.archive}}
	m, err := w.inbox.Receive(ctx, a, f)
	f.Close()
	switch {
	case errors.Is(err, inbox.ErrTooLarge):
		log.Error("folder: file too large for the inbox; moved to failed", "err", err)
		w.move(j, filepath.Join(j.dir.failed, filepath.Base(j.processing)))
		w.forget(j)
		return
	case err != nil:
		log.Error("folder: inbox did not store the file; will retry", "err", err)
		if ctx.Err() != nil {
			w.forget(j)
			return
		}
		w.mu.Lock()
		w.retry = append(w.retry, j)
		w.mu.Unlock()
		return
	}
	log.Info("folder file taken", "size", m.Size, "sha256", m.SHA256, "inbox_id", m.ID, "state", string(m.State))
	// Under the lock, so that a Settle sees the file either in flight or
	// archived.
	w.mu.Lock()
	defer w.mu.Unlock()
	dest := j.archive
	if w.verdict[j.archive] {
		dest = filepath.Join(j.dir.failed, filepath.Base(j.processing))
	}
	delete(w.verdict, j.archive)
	delete(w.inflight, j.archive)
	w.move(j, dest)
}

// move renames a taken file out of processing/.
func (w *Watcher) move(j job, dest string) {
	if err := os.Rename(j.processing, dest); err != nil {
		w.log.Error("folder: moving a taken file", "from", j.processing, "to", dest, "err", err)
	}
}

// forget drops a job from the in-flight set.
func (w *Watcher) forget(j job) {
	w.mu.Lock()
	delete(w.inflight, j.archive)
	delete(w.verdict, j.archive)
	w.mu.Unlock()
}

// Settle records the gateway's verdict on a file this watcher handed to
// the inbox, identified by the message's Meta: when ok is false, the file
// moves from archive/ to failed/ (or goes there directly if it is still
// being handed over). ok=true changes nothing: the file is archived.
func (w *Watcher) Settle(meta map[string]string, ok bool) error {
	path := filepath.Clean(meta[MetaPath])
	w.mu.Lock()
	defer w.mu.Unlock()
	d := w.archives[filepath.Dir(path)]
	if d == nil || !filepath.IsAbs(path) {
		return fmt.Errorf("%w: %q", ErrNotOurs, meta[MetaPath])
	}
	if ok {
		return nil
	}
	if w.inflight[path] {
		w.verdict[path] = true
		return nil
	}
	err := os.Rename(path, filepath.Join(d.failed, filepath.Base(path)))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, path)
	}
	if err != nil {
		return fmt.Errorf("folder: %w", err)
	}
	return nil
}

// Rescan asks the running watcher to list its folders now.
func (w *Watcher) Rescan() {
	select {
	case w.rescanCh <- struct{}{}:
	default:
	}
}
