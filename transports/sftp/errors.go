package sftp

import (
	"errors"
	"fmt"

	pkgsftp "github.com/pkg/sftp"
)

// Sentinel errors of the SFTP transport. Those a client can meet wrap the
// SFTP status code it receives.
var (
	// ErrDenied: the operation is not allowed in the partner's jail
	// (writing outside in/, reading outside out/, making folders or
	// links, leaving the jail).
	ErrDenied = fmt.Errorf("permission denied: %w", pkgsftp.ErrSSHFxPermissionDenied)
	// ErrNoSuchFile: the path does not exist in the partner's jail.
	ErrNoSuchFile = fmt.Errorf("no such file: %w", pkgsftp.ErrSSHFxNoSuchFile)
	// ErrTooLarge: an upload exceeds Config.MaxFileSize.
	ErrTooLarge = fmt.Errorf("file too large: %w", pkgsftp.ErrSSHFxFailure)
	// ErrNotStored: the inbox did not store an upload; the file is kept
	// and offered again later.
	ErrNotStored = fmt.Errorf("upload not stored, try again later: %w", pkgsftp.ErrSSHFxFailure)
	// ErrNotAccepting: the inbox takes no files now (Gate); nothing was
	// written.
	ErrNotAccepting = fmt.Errorf("the server cannot store files now, try again later: %w", pkgsftp.ErrSSHFxFailure)
	// ErrFailure: any other failure (details are logged, not sent).
	ErrFailure = fmt.Errorf("failure: %w", pkgsftp.ErrSSHFxFailure)

	// ErrBadPartner: a partner id is not usable as a folder name.
	ErrBadPartner = errors.New("sftp: partner id is not a plain folder name")
	// ErrBadName: a file name is empty, hidden, too long or holds a
	// slash or a NUL.
	ErrBadName = errors.New("sftp: bad file name")
	// ErrConfig: the server configuration is incomplete.
	ErrConfig = errors.New("sftp: bad configuration")
	// ErrHostKey: a pinned host key is malformed or does not match the
	// server's.
	ErrHostKey = errors.New("sftp: host key mismatch")
	// ErrPushTarget: a push target is incomplete.
	ErrPushTarget = errors.New("sftp: bad push target")
)
