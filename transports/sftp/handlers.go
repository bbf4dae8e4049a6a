package sftp

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"

	pkgsftp "github.com/pkg/sftp"
)

// The request server's handler interfaces a session implements.
var (
	_ pkgsftp.FileReader           = (*session)(nil)
	_ pkgsftp.FileWriter           = (*session)(nil)
	_ pkgsftp.PosixRenameFileCmder = (*session)(nil)
	_ pkgsftp.LstatFileLister      = (*session)(nil)
	_ pkgsftp.RealPathFileLister   = (*session)(nil)
	_ pkgsftp.ReadlinkFileLister   = (*session)(nil)
)

// Fileread opens a file of out/ for download.
func (ses *session) Fileread(r *pkgsftp.Request) (_ io.ReaderAt, err error) {
	defer ses.recovered("open for download", r.Filepath, &err)
	ses.act.begin()
	defer ses.act.end()
	pl, err := resolve(r.Filepath)
	if err != nil {
		return nil, err
	}
	if pl.area != areaOut || pl.name == "" {
		return nil, ErrDenied
	}
	if hiddenInOut(pl.name) {
		return nil, ErrNoSuchFile
	}
	f, of, err := ses.s.out.Open(r.Context(), ses.partner, pl.name)
	if err != nil {
		return nil, ses.clientError("open for download", pl, err)
	}
	return &download{ses: ses, name: pl.name, f: f, size: of.Size, sha256: of.SHA256}, nil
}

// Filewrite opens an upload into in/.
func (ses *session) Filewrite(r *pkgsftp.Request) (_ io.WriterAt, err error) {
	defer ses.recovered("open for upload", r.Filepath, &err)
	ses.act.begin()
	defer ses.act.end()
	pl, err := resolve(r.Filepath)
	if err != nil {
		return nil, err
	}
	if pl.area != areaIn || pl.name == "" {
		return nil, ErrDenied
	}
	if g := ses.s.gate; g != nil {
		if err := g.Accepting(r.Context()); err != nil {
			ses.log.Warn("sftp upload refused: the inbox takes no files now", "file", "/in/"+pl.name, "err", err)
			return nil, ErrNotAccepting
		}
	}
	if isTempName(pl.name) {
		return ses.openPartial(pl, r.Pflags())
	}
	return ses.openUpload(pl)
}

// Filecmd runs renames and removals; everything else is refused, but
// setting attributes is accepted and ignored (clients set times after an
// upload).
func (ses *session) Filecmd(r *pkgsftp.Request) (err error) {
	defer ses.recovered(r.Method, r.Filepath, &err)
	ses.act.begin()
	defer ses.act.end()
	switch r.Method {
	case "Rename", "PosixRename":
		return ses.rename(r.Filepath, r.Target)
	case "Remove":
		return ses.remove(r.Context(), r.Filepath)
	case "Setstat":
		pl, err := resolve(r.Filepath)
		if err != nil {
			return err
		}
		if pl.area == "" {
			return ErrDenied
		}
		return nil
	}
	return ErrDenied // Mkdir, Rmdir, Link, Symlink
}

// PosixRename renames (see rename).
func (ses *session) PosixRename(r *pkgsftp.Request) error { return ses.Filecmd(r) }

// Filelist lists a folder or stats a path.
func (ses *session) Filelist(r *pkgsftp.Request) (_ pkgsftp.ListerAt, err error) {
	defer ses.recovered(r.Method, r.Filepath, &err)
	ses.act.begin()
	defer ses.act.end()
	pl, err := resolve(r.Filepath)
	if err != nil {
		return nil, err
	}
	switch r.Method {
	case "List":
		return ses.list(r.Context(), pl)
	case "Stat":
		return ses.stat(r.Context(), pl)
	}
	return nil, ErrDenied
}

// Lstat is Stat: no path is ever followed through a symbolic link.
func (ses *session) Lstat(r *pkgsftp.Request) (_ pkgsftp.ListerAt, err error) {
	defer ses.recovered("Lstat", r.Filepath, &err)
	ses.act.begin()
	defer ses.act.end()
	pl, err := resolve(r.Filepath)
	if err != nil {
		return nil, err
	}
	return ses.stat(r.Context(), pl)
}

// RealPath returns the cleaned absolute path in the jail.
func (ses *session) RealPath(p string) (string, error) { return path.Clean("/" + p), nil }

// Readlink is refused: the jail has no links.
func (ses *session) Readlink(string) (string, error) { return "", ErrDenied }

func (ses *session) list(ctx context.Context, pl place) (pkgsftp.ListerAt, error) {
	if pl.name != "" {
		return nil, ErrNoSuchFile
	}
	if pl.area == "" {
		var infos []os.FileInfo
		for _, a := range []string{areaIn, areaOut} {
			fi, err := ses.root.Lstat(a)
			if err != nil {
				return nil, ses.clientError("list", pl, err)
			}
			infos = append(infos, fi)
		}
		return listerOf(infos), nil
	}
	if pl.area == areaOut {
		l, err := ses.s.out.List(ctx, ses.partner)
		if err != nil {
			return nil, ses.clientError("list", pl, err)
		}
		return &outLister{l: l, ses: ses}, nil
	}
	d, err := ses.root.Open(pl.area)
	if err != nil {
		return nil, ses.clientError("list", pl, err)
	}
	return &dirLister{f: d}, nil
}

func (ses *session) stat(ctx context.Context, pl place) (pkgsftp.ListerAt, error) {
	if pl.area == "" {
		fi, err := ses.root.Lstat(".")
		if err != nil {
			return nil, ses.clientError("stat", pl, err)
		}
		return listerOf([]os.FileInfo{namedInfo{fi, "/"}}), nil
	}
	if pl.area == areaOut && pl.name != "" {
		if hiddenInOut(pl.name) {
			return nil, ErrNoSuchFile
		}
		of, err := ses.s.out.Stat(ctx, ses.partner, pl.name)
		if err != nil {
			return nil, ses.clientError("stat", pl, err)
		}
		return listerOf([]os.FileInfo{outInfo{of}}), nil
	}
	fi, err := ses.root.Lstat(pl.rel())
	if err != nil {
		return nil, ses.clientError("stat", pl, err)
	}
	return listerOf([]os.FileInfo{fi}), nil
}

// remove deletes a file of in/ or out/ (a pickup done with, a partial
// upload given up).
func (ses *session) remove(ctx context.Context, p string) error {
	pl, err := resolve(p)
	if err != nil {
		return err
	}
	if pl.area == "" || pl.name == "" {
		return ErrDenied
	}
	if pl.area == areaOut {
		if hiddenInOut(pl.name) {
			return ErrNoSuchFile
		}
		if err := ses.s.out.Remove(ctx, ses.partner, pl.name); err != nil {
			return ses.clientError("remove", pl, err)
		}
		ses.log.Info("sftp remove", "file", pl.String())
		return nil
	}
	fi, err := ses.root.Lstat(pl.rel())
	if err != nil {
		return ses.clientError("remove", pl, err)
	}
	if fi.IsDir() {
		return ErrDenied
	}
	if err := ses.root.Remove(pl.rel()); err != nil {
		return ses.clientError("remove", pl, err)
	}
	ses.log.Info("sftp remove", "file", pl.String())
	return nil
}

// clientError logs err and returns what the client may see: no server
// paths, only whether the file exists or access was denied.
func (ses *session) clientError(op string, pl place, err error) error {
	switch {
	case errors.Is(err, ErrNoSuchFile), errors.Is(err, fs.ErrNotExist):
		return ErrNoSuchFile
	case errors.Is(err, ErrDenied), errors.Is(err, fs.ErrPermission):
		return ErrDenied
	}
	ses.log.Warn("sftp: "+op+" failed", "file", pl.String(), "err", err)
	return ErrFailure
}

// namedInfo renames a FileInfo.
type namedInfo struct {
	os.FileInfo
	name string
}

func (n namedInfo) Name() string { return n.name }

// listerOf lists fixed entries.
type listerOf []os.FileInfo

// ListAt copies entries from offset.
func (l listerOf) ListAt(out []os.FileInfo, offset int64) (int, error) {
	if offset >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[offset:])
	if n < len(out) {
		return n, io.EOF
	}
	return n, nil
}

// dirLister streams a folder's entries (a folder of 100k files is never
// read whole into memory).
type dirLister struct {
	f    *os.File
	next int64
	eof  bool
}

// ListAt returns the next entries; offsets must follow each other, as the
// request server asks them.
func (l *dirLister) ListAt(out []os.FileInfo, offset int64) (int, error) {
	if offset != l.next {
		return 0, ErrFailure
	}
	n := 0
	for n < len(out) && !l.eof {
		entries, err := l.f.ReadDir(len(out) - n)
		for _, e := range entries {
			fi, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			out[n] = fi
			n++
		}
		if errors.Is(err, io.EOF) {
			l.eof = true
		} else if err != nil {
			return n, ErrFailure
		}
	}
	l.next += int64(n)
	if l.eof && n < len(out) {
		return n, io.EOF
	}
	return n, nil
}

// Close closes the folder.
func (l *dirLister) Close() error { return l.f.Close() }

// outLister streams a listing of out/ from the OutFolder.
type outLister struct {
	l    OutList
	ses  *session
	next int64
	eof  bool
}

// ListAt returns the next entries; offsets must follow each other, as the
// request server asks them.
func (l *outLister) ListAt(out []os.FileInfo, offset int64) (int, error) {
	if offset != l.next {
		return 0, ErrFailure
	}
	n := 0
	for n < len(out) && !l.eof {
		files, err := l.l.Next(len(out) - n)
		for _, f := range files {
			out[n] = outInfo{f}
			n++
		}
		if errors.Is(err, io.EOF) {
			l.eof = true
		} else if err != nil {
			return n, l.ses.clientError("list", place{area: areaOut}, err)
		}
	}
	l.next += int64(n)
	if l.eof && n < len(out) {
		return n, io.EOF
	}
	return n, nil
}

// Close ends the listing.
func (l *outLister) Close() error { return l.l.Close() }
