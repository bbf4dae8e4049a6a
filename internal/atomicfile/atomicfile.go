// Package atomicfile writes files so that readers see either the old
// content or the whole new content, never a part: a temporary file in the
// same folder, fsync, rename, fsync of the folder.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes data to path atomically with permissions perm.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}

// File is a file being written; it appears at its path on Commit.
type File struct {
	*os.File
	path string
	perm os.FileMode
}

// Create starts writing path. Write to the returned File, then Commit or
// Abort it.
func Create(path string, perm os.FileMode) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating temporary file for %s: %w", path, err)
	}
	return &File{File: tmp, path: path, perm: perm}, nil
}

// Commit syncs the file, renames it to its path and syncs the folder.
func (f *File) Commit() error {
	return f.CommitAs(f.path)
}

// CommitAs is Commit to another path in the same folder (for content named
// after its hash, known only at the end).
func (f *File) CommitAs(path string) error {
	tmp := f.Name()
	err := f.Chmod(f.perm)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// Abort discards the file.
func (f *File) Abort() {
	f.Close()
	os.Remove(f.Name())
}

// SyncDir fsyncs a folder so that a rename in it is durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing folder %s: %w", dir, err)
	}
	return nil
}

var _ io.Writer = (*File)(nil)
