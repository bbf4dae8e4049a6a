package sftp

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// The folders of a partner's jail, and the hidden one for uploads in
// progress.
const (
	areaIn   = "in"
	areaOut  = "out"
	incoming = ".incoming"
)

// place is a resolved path of the virtual tree: the root (""), an area
// ("in", "out"), or a file in an area.
type place struct {
	area string
	name string
}

// rel is the place's path relative to the partner's folder.
func (p place) rel() string {
	switch {
	case p.area == "":
		return "."
	case p.name == "":
		return p.area
	}
	return p.area + "/" + p.name
}

func (p place) String() string { return "/" + strings.TrimPrefix(p.rel(), ".") }

// resolve maps a client's path to a place. Paths are cleaned as absolute
// paths first, so ".." never leaves the root; only the two areas and the
// files directly in them exist.
func resolve(p string) (place, error) {
	p = path.Clean("/" + p)
	if p == "/" {
		return place{}, nil
	}
	area, name, _ := strings.Cut(p[1:], "/")
	if area != areaIn && area != areaOut {
		return place{}, ErrNoSuchFile
	}
	if name == "" {
		return place{area: area}, nil
	}
	if strings.Contains(name, "/") {
		return place{}, ErrNoSuchFile
	}
	if !validName(name) {
		return place{}, ErrDenied
	}
	return place{area: area, name: name}, nil
}

// validName: a plain file name: 1 to 255 bytes, no slash, no control
// character, not "." or "..".
func validName(name string) bool {
	if name == "" || len(name) > 255 || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c == 0x7f || c == '/' {
			return false
		}
	}
	return true
}

// validPartner: a partner id usable as a folder name: letters, digits,
// '.', '_', '-', not starting with a dot or dash, at most 128 bytes.
func validPartner(id string) bool {
	if id == "" || len(id) > 128 || id[0] == '.' || id[0] == '-' {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// isTempName reports whether an upload name is a client's temporary name,
// which counts only once renamed: "*.part", "*.filepart", dot files, and
// names holding ".ocTransferId".
func isTempName(name string) bool {
	lower := strings.ToLower(name)
	return strings.HasPrefix(name, ".") || strings.HasSuffix(lower, ".part") ||
		strings.HasSuffix(lower, ".filepart") || strings.Contains(lower, ".octransferid")
}

// hiddenInOut reports whether a name in out/ is ours (a file being
// written): such files are neither listed nor readable.
func hiddenInOut(name string) bool { return strings.HasPrefix(name, ".") }

// jailDir returns Root/<partner>, creating its folders if needed.
func (s *Server) jailDir(partner string) (string, error) {
	if !validPartner(partner) {
		return "", fmt.Errorf("%w: %q", ErrBadPartner, partner)
	}
	dir := filepath.Join(s.cfg.Root, partner)
	for _, sub := range []string{areaIn, areaOut, incoming} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return "", fmt.Errorf("sftp: %w", err)
		}
	}
	return dir, nil
}

// openJail opens the partner's folder as an os.Root, which refuses any
// path (symbolic links included) that leads out of it.
func (s *Server) openJail(partner string) (*os.Root, error) {
	dir, err := s.jailDir(partner)
	if err != nil {
		return nil, err
	}
	return os.OpenRoot(dir)
}

// openRegular opens rel in root for reading, only if it is a regular file
// (never through a symbolic link).
func openRegular(root *os.Root, rel string, flag int) (*os.File, fs.FileInfo, error) {
	before, err := root.Lstat(rel)
	if err != nil {
		return nil, nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, nil, ErrNoSuchFile
	}
	f, err := root.OpenFile(rel, flag, 0)
	if err != nil {
		return nil, nil, err
	}
	after, err := f.Stat()
	if err != nil || !os.SameFile(before, after) {
		f.Close()
		return nil, nil, ErrNoSuchFile // replaced between the two looks
	}
	return f, after, nil
}
