package folder

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/inbox"
)

// Transport is the transport name of what this package hands the inbox,
// and of the Dropper's messages.
const Transport = "folder"

// Meta keys of an inbox.Arrival from a Watcher.
const (
	MetaDir  = "folder.dir"  // the watched folder
	MetaFile = "folder.file" // the file's path when it was taken
	MetaPath = "folder.path" // its path in archive/ (see Watcher.Settle)
)

// Subfolders of a watched folder.
const (
	ProcessingDir = "processing"
	ArchiveDir    = "archive"
	FailedDir     = "failed"
)

// Defaults.
const (
	DefaultMinAge   = 2 * time.Second
	DefaultRescan   = 30 * time.Second
	DefaultDebounce = 100 * time.Millisecond
	DefaultWorkers  = 2
)

// Inbox stores received files; *inbox.Store satisfies it.
type Inbox interface {
	Receive(ctx context.Context, a inbox.Arrival, body io.Reader) (*inbox.Message, error)
}

var _ Inbox = (*inbox.Store)(nil)

// WatchDir is one watched folder.
type WatchDir struct {
	// Partner is the partner the folder's files come from.
	Partner string
	// Path is the folder (absolute, or relative to the working folder).
	Path string
	// MinAge is how long a file must stay unchanged (size and
	// modification time) before it is taken (default DefaultMinAge).
	// Ignored when DoneSuffix is set.
	MinAge time.Duration
	// DoneSuffix, when set, makes a file complete only once a file of
	// the same name plus this suffix exists ("stock.csv" + ".done"); the
	// done-file is removed when the file is taken.
	DoneSuffix string
}

// Config configures a Watcher.
type Config struct {
	Dirs []WatchDir
	// Rescan is how often every folder is listed again (default 30 s).
	Rescan time.Duration
	// Debounce is how long a path must be quiet after an event before it
	// is looked at (default 100 ms).
	Debounce time.Duration
	// Workers is how many files are handed to the inbox at once
	// (default 2).
	Workers int
	// Logger receives the records of taken files (default slog.Default()).
	Logger *slog.Logger
}

func (c *Config) setDefaults() error {
	dirs, err := normalizeDirs(c.Dirs)
	if err != nil {
		return err
	}
	c.Dirs = dirs
	if c.Rescan <= 0 {
		c.Rescan = DefaultRescan
	}
	if c.Debounce <= 0 {
		c.Debounce = DefaultDebounce
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// normalizeDirs checks watched folders and returns them with absolute
// paths and default minimum ages. No folder at all is valid: the watcher
// idles until SetDirs gives it some.
func normalizeDirs(in []WatchDir) ([]WatchDir, error) {
	dirs := make([]WatchDir, len(in))
	seen := map[string]bool{}
	for i, d := range in {
		if d.Path == "" || d.Partner == "" {
			return nil, fmt.Errorf("%w: folder %d needs a partner and a path", ErrConfig, i)
		}
		abs, err := filepath.Abs(d.Path)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		d.Path = abs
		if seen[abs] {
			return nil, fmt.Errorf("%w: %s is watched twice", ErrConfig, abs)
		}
		seen[abs] = true
		if d.DoneSuffix != "" && (strings.ContainsAny(d.DoneSuffix, `/\`) || strings.Trim(d.DoneSuffix, ".") == "") {
			return nil, fmt.Errorf("%w: done suffix %q", ErrConfig, d.DoneSuffix)
		}
		if d.MinAge <= 0 {
			d.MinAge = DefaultMinAge
		}
		dirs[i] = d
	}
	return dirs, nil
}

// ignored reports whether a name is never taken: dot files and temporary
// names.
func ignored(name string) bool {
	lower := strings.ToLower(name)
	return strings.HasPrefix(name, ".") || strings.HasSuffix(lower, ".part") ||
		strings.HasSuffix(lower, ".filepart") || strings.HasSuffix(lower, ".tmp")
}
