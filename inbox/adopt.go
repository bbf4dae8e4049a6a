package inbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/dockside-edi/dockside/internal/atomicfile"
)

// Adopt stores the bytes of a file a transport wrote through an Incoming,
// like Receive but without reading them again when the file is on the
// inbox's file system: the file is fsynced (by Sum; its write-back started
// while it was written), hard-linked into the blobs folder under its
// SHA-256, and the folder fsynced; then the record is committed. On another file
// system, or where hard links fail, the bytes are copied as Receive does.
//
// The caller keeps its own name of the file, and removes it once Adopt
// has succeeded; until then the file is not counted anywhere. Adopt seals
// the Incoming (see Sum); the caller still closes it.
func (s *Store) Adopt(ctx context.Context, a Arrival, in *Incoming) (*Message, error) {
	sum, size, err := in.Sum(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox: storing %s: %w", a.Name, err)
	}
	if size > s.opts.MaxSize {
		return nil, fmt.Errorf("inbox: storing %s: %w: over %d bytes", a.Name, ErrTooLarge, s.opts.MaxSize)
	}
	// Sum synced the bytes; a change of mode needs another fsync.
	f := in.File()
	if fi, err := f.Stat(); err != nil || fi.Mode().Perm() != 0o640 {
		err = f.Chmod(0o640)
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			return nil, fmt.Errorf("inbox: storing %s: %w", a.Name, err)
		}
	}
	s.blobMu.RLock()
	defer s.blobMu.RUnlock()
	if err := s.linkBlob(f, sum, size); err != nil {
		copied, _, err := s.storeBlob(ctx, io.NewSectionReader(f, 0, size))
		if err != nil {
			return nil, err
		}
		if copied != sum {
			return nil, fmt.Errorf("inbox: storing %s: the file changed while it was stored", a.Name)
		}
	}
	return s.record(a, sum, size)
}

// errNotLinked means linkBlob could not use the file itself: the caller
// copies it.
var errNotLinked = errors.New("inbox: file not linked")

// linkBlob makes f, already synced, the blob of sum: a hard link in the
// blobs folder, then an fsync of the folder. A blob that already exists
// with that size is the same bytes, stored durably before.
func (s *Store) linkBlob(f *os.File, sum string, size int64) error {
	fi, err := f.Stat()
	if err != nil {
		return errNotLinked
	}
	// The name must still be that file: the link is made by name.
	if named, err := os.Lstat(f.Name()); err != nil || !os.SameFile(fi, named) {
		return errNotLinked
	}
	blob := s.blobPath(sum)
	switch err := os.Link(f.Name(), blob); {
	case errors.Is(err, fs.ErrExist):
		if have, err := os.Lstat(blob); err != nil || !have.Mode().IsRegular() || have.Size() != size {
			return errNotLinked // not what it should be: the copy replaces it
		}
		return nil
	case err != nil:
		return errNotLinked // another file system, or no hard links there
	}
	if err := atomicfile.SyncDir(s.blobs); err != nil {
		return fmt.Errorf("%w: %w", errNotLinked, err)
	}
	return nil
}
