package sftp

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// OutFolder keeps the files partners pick up from their out/ folder:
// what [Server.Sender] puts there, and what a partner lists, downloads
// and removes. [DiskOut] keeps them in the partners' jails on this
// node's disk (the default); transports/sftp/postgres keeps them in the
// database that several nodes share, so that a file sent by one node is
// picked up through any. Each partner's files are its own: nothing of
// one partner is listed, read or removed under another. Every
// implementation passes the contract suite of transports/sftp/sftptest.
type OutFolder interface {
	// Put stores body as the partner's file name, atomically: a reader
	// sees the whole previous version or the whole new one. A name that
	// is not plain or starts with a dot is refused (ErrBadName), as is a
	// partner id that is not a plain folder name (ErrBadPartner).
	Put(ctx context.Context, partner, name string, body []byte) error
	// Stat describes one file; ErrNoSuchFile when it does not exist.
	Stat(ctx context.Context, partner, name string) (OutFile, error)
	// List lists the partner's files, a page at a time.
	List(ctx context.Context, partner string) (OutList, error)
	// Open opens a file for reading. The reader reads the version that
	// was current at Open; when that version is replaced or removed
	// meanwhile, it reads it to its end or fails (wrapping
	// ErrNoSuchFile), never returning bytes of another version.
	Open(ctx context.Context, partner, name string) (OutReader, OutFile, error)
	// Remove removes a file; ErrNoSuchFile when it does not exist.
	Remove(ctx context.Context, partner, name string) error
}

// OutFile describes a file of out/.
type OutFile struct {
	Name    string
	Size    int64
	ModTime time.Time
	// SHA256 is the hex SHA-256 of the bytes, or "" when the folder does
	// not keep it (the server then hashes the file after a download).
	SHA256 string
}

// OutList is a listing of out/ being read.
type OutList interface {
	// Next returns up to n more files, and io.EOF (possibly with the
	// last files) when there are no more.
	Next(n int) ([]OutFile, error)
	Close() error
}

// OutReader reads one file of out/.
type OutReader interface {
	io.ReaderAt
	io.Closer
}

// CheckOutName checks a partner id and a file name for an OutFolder: a
// partner id usable as a folder name (ErrBadPartner) and a plain file
// name not starting with a dot (ErrBadName).
func CheckOutName(partner, name string) error {
	if !validPartner(partner) {
		return fmt.Errorf("%w: %q", ErrBadPartner, partner)
	}
	if !validName(name) || hiddenInOut(name) {
		return fmt.Errorf("%w: %q", ErrBadName, name)
	}
	return nil
}

// outInfo is an OutFile as the SFTP listing shows it: a regular file,
// readable by its owner.
type outInfo struct{ f OutFile }

var _ os.FileInfo = outInfo{}

func (o outInfo) Name() string       { return o.f.Name }
func (o outInfo) Size() int64        { return o.f.Size }
func (o outInfo) Mode() fs.FileMode  { return 0o640 }
func (o outInfo) ModTime() time.Time { return o.f.ModTime }
func (o outInfo) IsDir() bool        { return false }
func (o outInfo) Sys() any           { return nil }
