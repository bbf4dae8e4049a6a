package sftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dockside-edi/dockside/internal/atomicfile"
)

// DiskOut is the OutFolder in the partners' jails on this node's disk:
// Root/<partner>/out/<name>, written as a temporary file (a dot file,
// neither listed nor readable), fsynced and renamed. Files are read
// through an os.Root on the partner's folder, never through a symbolic
// link. It is what a Server uses when Config.Out is nil.
type DiskOut struct {
	root string
}

var _ OutFolder = (*DiskOut)(nil)

// NewDiskOut returns the out/ folders of the jails under root.
func NewDiskOut(root string) *DiskOut { return &DiskOut{root: root} }

// outPath is a file's path relative to the partner's folder.
func outPath(name string) string { return areaOut + "/" + name }

// Put implements OutFolder.
func (d *DiskOut) Put(ctx context.Context, partner, name string, body []byte) error {
	if err := CheckOutName(partner, name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Join(d.root, partner, areaOut)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("sftp: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, name), body, 0o640); err != nil {
		return fmt.Errorf("sftp: %w", err)
	}
	return nil
}

// jail opens the partner's folder; name, when given, must be a visible
// file name.
func (d *DiskOut) jail(partner, name string) (*os.Root, error) {
	if !validPartner(partner) {
		return nil, fmt.Errorf("%w: %q", ErrBadPartner, partner)
	}
	if name != "" && (!validName(name) || hiddenInOut(name)) {
		return nil, ErrNoSuchFile
	}
	r, err := os.OpenRoot(filepath.Join(d.root, partner))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoSuchFile
	}
	return r, err
}

// Stat implements OutFolder: regular files only.
func (d *DiskOut) Stat(ctx context.Context, partner, name string) (OutFile, error) {
	r, err := d.jail(partner, name)
	if err != nil {
		return OutFile{}, err
	}
	defer r.Close()
	fi, err := r.Lstat(outPath(name))
	if err != nil {
		return OutFile{}, diskError(err)
	}
	if !fi.Mode().IsRegular() {
		return OutFile{}, ErrNoSuchFile
	}
	return diskFile(fi), nil
}

// List implements OutFolder: the folder is read as it is listed, never
// whole (a folder of 100k files); dot files and anything but regular
// files are left out.
func (d *DiskOut) List(ctx context.Context, partner string) (OutList, error) {
	r, err := d.jail(partner, "")
	if errors.Is(err, ErrNoSuchFile) {
		return emptyList{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.Open(areaOut)
	if errors.Is(err, fs.ErrNotExist) {
		return emptyList{}, nil
	}
	if err != nil {
		return nil, diskError(err)
	}
	return &diskList{f: f}, nil
}

// Open implements OutFolder: the open file keeps the version it opened.
func (d *DiskOut) Open(ctx context.Context, partner, name string) (OutReader, OutFile, error) {
	r, err := d.jail(partner, name)
	if err != nil {
		return nil, OutFile{}, err
	}
	defer r.Close()
	f, fi, err := openRegular(r, outPath(name), os.O_RDONLY)
	if err != nil {
		return nil, OutFile{}, diskError(err)
	}
	return f, diskFile(fi), nil
}

// Remove implements OutFolder. A folder is not removed (ErrDenied).
func (d *DiskOut) Remove(ctx context.Context, partner, name string) error {
	r, err := d.jail(partner, name)
	if err != nil {
		return err
	}
	defer r.Close()
	fi, err := r.Lstat(outPath(name))
	if err != nil {
		return diskError(err)
	}
	if fi.IsDir() {
		return ErrDenied
	}
	return diskError(r.Remove(outPath(name)))
}

// diskError makes a missing file ErrNoSuchFile.
func diskError(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrNoSuchFile, err)
	}
	if err != nil {
		return fmt.Errorf("sftp: %w", err)
	}
	return nil
}

func diskFile(fi fs.FileInfo) OutFile {
	return OutFile{Name: fi.Name(), Size: fi.Size(), ModTime: fi.ModTime()}
}

// diskList reads a folder a few entries at a time.
type diskList struct {
	f   *os.File
	eof bool
}

// Next implements OutList.
func (l *diskList) Next(n int) ([]OutFile, error) {
	var out []OutFile
	for len(out) < n && !l.eof {
		entries, err := l.f.ReadDir(n - len(out))
		for _, e := range entries {
			if hiddenInOut(e.Name()) || !e.Type().IsRegular() {
				continue
			}
			fi, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			out = append(out, diskFile(fi))
		}
		if errors.Is(err, io.EOF) || (err == nil && len(entries) == 0) {
			l.eof = true
		} else if err != nil {
			return out, fmt.Errorf("sftp: listing out/: %w", err)
		}
	}
	if l.eof {
		return out, io.EOF
	}
	return out, nil
}

// Close implements OutList.
func (l *diskList) Close() error { return l.f.Close() }

// emptyList lists nothing.
type emptyList struct{}

func (emptyList) Next(int) ([]OutFile, error) { return nil, io.EOF }
func (emptyList) Close() error                { return nil }

// Partners returns the partners that have a folder under the root (in
// no particular order); none when the root does not exist.
func (d *DiskOut) Partners() ([]string, error) {
	entries, err := os.ReadDir(d.root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sftp: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && validPartner(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
