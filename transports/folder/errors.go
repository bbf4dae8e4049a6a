package folder

import "errors"

// Sentinel errors of the folder transport.
var (
	// ErrConfig: the watcher configuration is incomplete or inconsistent.
	ErrConfig = errors.New("folder: bad configuration")
	// ErrNotOurs: Settle was given a path outside the archive of every
	// watched folder.
	ErrNotOurs = errors.New("folder: not a file of a watched folder's archive")
	// ErrNotFound: the file to settle is neither archived nor being
	// handed over.
	ErrNotFound = errors.New("folder: file not found")
	// ErrBadName: an outbound file name is empty, hidden or not a plain
	// file name.
	ErrBadName = errors.New("folder: bad file name")
)
