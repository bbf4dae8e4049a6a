package sftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strconv"
	"sync"

	"github.com/dockside-edi/dockside/inbox"
	pkgsftp "github.com/pkg/sftp"
)

// Transport is the transport name of what this package hands the inbox.
const Transport = "sftp"

// Meta keys of an inbox.Arrival from the server.
const (
	MetaUser   = "sftp.user"   // the login name
	MetaPath   = "sftp.path"   // the path in the partner's jail ("/in/orders.edi")
	MetaRemote = "sftp.remote" // the client's address
)

// upload is an upload under a final name: written to .incoming, handed to
// the inbox on close. When the inbox can adopt it, it is written through
// an inbox.Incoming (hashed while it arrives) and adopted; otherwise the
// inbox reads it at close.
type upload struct {
	ses   *session
	name  string
	f     *os.File
	in    *inbox.Incoming // writes f when the inbox adopts; or nil
	w     io.WriterAt     // in, or f
	tmp   string          // its path in the jail (.incoming/upload-*)
	limit int64

	mu     sync.Mutex
	failed error // set by a failed write or a dead transfer
}

var (
	_ io.WriterAt           = (*upload)(nil)
	_ pkgsftp.TransferError = (*upload)(nil)
)

func (ses *session) openUpload(pl place) (io.WriterAt, error) {
	var f *os.File
	var tmp string
	err := os.ErrExist
	for i := 0; i < 10 && errors.Is(err, os.ErrExist); i++ {
		tmp = incoming + "/upload-" + strconv.FormatUint(rand.Uint64(), 36)
		f, err = ses.root.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	}
	if err != nil {
		return nil, ses.clientError("upload", pl, err)
	}
	u := &upload{ses: ses, name: pl.name, f: f, w: f, tmp: tmp, limit: ses.s.cfg.MaxFileSize}
	if ses.s.adopter != nil {
		u.in = inbox.NewIncoming(f)
		u.w = u.in
	}
	return u, nil
}

// closeFile closes the file (and stops its hashing).
func (u *upload) closeFile() {
	if u.in != nil {
		u.in.Close()
		return
	}
	u.f.Close()
}

// WriteAt writes at off, within the size limit.
func (u *upload) WriteAt(p []byte, off int64) (_ int, err error) {
	defer u.ses.recovered("upload write", "/in/"+u.name, &err)
	u.ses.act.begin()
	defer u.ses.act.end()
	if off < 0 || off+int64(len(p)) > u.limit {
		u.fail(ErrTooLarge)
		return 0, ErrTooLarge
	}
	n, err := u.w.WriteAt(p, off)
	if err != nil {
		u.fail(err)
		return n, ErrFailure
	}
	return n, nil
}

// TransferError records that the connection died with the file open: the
// partial file is discarded on close.
func (u *upload) TransferError(err error) { u.fail(err) }

func (u *upload) fail(err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.failed == nil {
		u.failed = err
	}
}

// Close hands the file to the inbox. It fails (and the file is kept in
// in/, offered again by the sweep) when the inbox does not store it.
func (u *upload) Close() (err error) {
	defer u.ses.recovered("upload close", "/in/"+u.name, &err)
	u.ses.act.begin()
	defer u.ses.act.end()
	u.mu.Lock()
	failed := u.failed
	u.mu.Unlock()
	if failed != nil {
		u.closeFile()
		u.ses.root.Remove(u.tmp)
		u.ses.log.Warn("sftp upload discarded", "file", "/in/"+u.name, "err", failed)
		if errors.Is(failed, ErrTooLarge) {
			return ErrTooLarge
		}
		return ErrFailure
	}
	// Not the session's context: a hand-over under way completes even
	// when the client or the server goes away.
	err = u.handoff(context.Background())
	u.closeFile()
	switch {
	case err == nil:
		u.ses.root.Remove(u.tmp)
		return nil
	case errors.Is(err, inbox.ErrTooLarge): // it never will be stored
		u.ses.root.Remove(u.tmp)
		return ErrTooLarge
	}
	// Keep it where the sweep finds it.
	if rerr := u.ses.root.Rename(u.tmp, place{areaIn, u.name}.rel()); rerr != nil {
		u.ses.log.Error("sftp: keeping an upload the inbox refused", "file", "/in/"+u.name, "err", rerr)
		u.ses.root.Remove(u.tmp)
	}
	return ErrNotStored
}

// handoff gives the closed upload to the inbox: adopted when the inbox
// can, read otherwise.
func (u *upload) handoff(ctx context.Context) error {
	if u.in != nil {
		_, err := u.ses.store(u.name, -1, "close", func(a inbox.Arrival) (*inbox.Message, error) {
			return u.ses.s.adopter.Adopt(ctx, a, u.in)
		})
		return err
	}
	fi, err := u.f.Stat()
	if err != nil {
		return err
	}
	_, err = u.ses.handoff(ctx, u.name, u.f, fi.Size(), "close")
	return err
}

// handoff gives a complete file to the inbox, and logs it.
func (ses *session) handoff(ctx context.Context, name string, f *os.File, size int64, via string) (*inbox.Message, error) {
	return ses.store(name, size, via, func(a inbox.Arrival) (*inbox.Message, error) {
		return ses.s.inbox.Receive(ctx, a, io.NewSectionReader(f, 0, size))
	})
}

// store hands a file to the inbox through give, and logs it (size -1:
// not known before).
func (ses *session) store(name string, size int64, via string, give func(inbox.Arrival) (*inbox.Message, error)) (*inbox.Message, error) {
	a := inbox.Arrival{Partner: ses.partner, Transport: Transport, Name: name,
		Meta: map[string]string{MetaUser: ses.user, MetaPath: "/in/" + name, MetaRemote: ses.remote}}
	m, err := storeRecovered(give, a)
	if err != nil {
		ses.log.Error("sftp upload not stored", "file", "/in/"+name, "size", size, "via", via, "err", err)
		return nil, err
	}
	ses.log.Info("sftp upload", "file", "/in/"+name, "size", m.Size, "sha256", m.SHA256, "inbox_id", m.ID,
		"state", string(m.State), "via", via)
	return m, nil
}

// storeRecovered calls give, with a panic (a bug of the inbox) turned
// into an error: the upload is then not stored, and kept for the sweep,
// as when the inbox fails.
func storeRecovered(give func(inbox.Arrival) (*inbox.Message, error), a inbox.Arrival) (m *inbox.Message, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("the inbox panicked: %v\n%s", v, debug.Stack())
		}
	}()
	return give(a)
}

// partial is an upload under a temporary name, written in place in in/
// (so that clients can resume it); it counts when renamed.
type partial struct {
	ses   *session
	name  string
	f     *os.File
	limit int64
}

var _ pkgsftp.TransferError = (*partial)(nil)

func (ses *session) openPartial(pl place, flags pkgsftp.FileOpenFlags) (io.WriterAt, error) {
	if fi, err := ses.root.Lstat(pl.rel()); err == nil && !fi.Mode().IsRegular() {
		return nil, ErrDenied
	}
	flag := os.O_WRONLY | os.O_CREATE
	if flags.Trunc {
		flag |= os.O_TRUNC
	}
	if flags.Excl {
		flag |= os.O_EXCL
	}
	f, err := ses.root.OpenFile(pl.rel(), flag, 0o640)
	if err != nil {
		return nil, ses.clientError("upload", pl, err)
	}
	after, err1 := f.Stat()
	before, err2 := ses.root.Lstat(pl.rel())
	if err1 != nil || err2 != nil || !os.SameFile(before, after) {
		f.Close()
		return nil, ErrDenied
	}
	return &partial{ses: ses, name: pl.name, f: f, limit: ses.s.cfg.MaxFileSize}, nil
}

// WriteAt writes at off, within the size limit.
func (p *partial) WriteAt(b []byte, off int64) (_ int, err error) {
	defer p.ses.recovered("upload write", "/in/"+p.name, &err)
	p.ses.act.begin()
	defer p.ses.act.end()
	if off < 0 || off+int64(len(b)) > p.limit {
		return 0, ErrTooLarge
	}
	n, err := p.f.WriteAt(b, off)
	if err != nil {
		return n, p.ses.clientError("upload", place{areaIn, p.name}, err)
	}
	return n, nil
}

// TransferError keeps the partial file, for the client to resume.
func (p *partial) TransferError(err error) {
	p.ses.log.Info("sftp partial upload interrupted", "file", "/in/"+p.name, "err", err)
}

// Close closes the file; it counts only when renamed.
func (p *partial) Close() error { return p.f.Close() }

// rename moves a file within in/. Renaming to a final name counts as the
// upload: the file is handed to the inbox, and the rename succeeds (and
// the source disappears) only once the inbox has stored it.
func (ses *session) rename(from, to string) error {
	src, err := resolve(from)
	if err != nil {
		return err
	}
	dst, err := resolve(to)
	if err != nil {
		return err
	}
	if src.area != areaIn || dst.area != areaIn || src.name == "" || dst.name == "" {
		return ErrDenied
	}
	if isTempName(dst.name) {
		if fi, err := ses.root.Lstat(src.rel()); err != nil || !fi.Mode().IsRegular() {
			return ErrNoSuchFile
		}
		if err := ses.root.Rename(src.rel(), dst.rel()); err != nil {
			return ses.clientError("rename", src, err)
		}
		return nil
	}
	f, fi, err := openRegular(ses.root, src.rel(), os.O_RDONLY)
	if err != nil {
		return ses.clientError("rename", src, err)
	}
	defer f.Close()
	if fi.Size() > ses.s.cfg.MaxFileSize {
		return ErrTooLarge
	}
	if _, err := ses.handoff(context.Background(), dst.name, f, fi.Size(), fmt.Sprintf("rename from %s", src.name)); errors.Is(err, inbox.ErrTooLarge) {
		return ErrTooLarge
	} else if err != nil {
		return ErrNotStored
	}
	if err := ses.root.Remove(src.rel()); err != nil && !errors.Is(err, os.ErrNotExist) {
		ses.log.Error("sftp: removing a stored upload", "file", src.String(), "err", err)
	}
	return nil
}
