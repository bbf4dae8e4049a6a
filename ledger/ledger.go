package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bucket names of the stored layout (see codec.go).
var (
	bktMeta      = []byte("meta")
	bktMovements = []byte("movements")
	bktSources   = []byte("sources")
	bktPositions = []byte("positions")
	bktPostings  = []byte("postings")

	allBuckets = [][]byte{bktMeta, bktMovements, bktSources, bktPositions, bktPostings}

	keySchema = []byte("schema")
)

// schemaVersion is the stored layout's version. Version 2 files (timeline
// entries and source keys one per key) are upgraded when opened for
// writing (migrate.go).
const schemaVersion = 3

// Defaults for Options.
const (
	// DefaultLockTimeout is how long Open waits for another process to
	// let go of the file.
	DefaultLockTimeout = 5 * time.Second
	// DefaultMaxBatchMovements is how many movements a group commit
	// gathers at most (one larger document still commits alone).
	DefaultMaxBatchMovements = 200_000
	// DefaultInitialMmapSize is the initial memory map: large enough that
	// readers rarely hold up a writer that must grow the map.
	DefaultInitialMmapSize = 1 << 30
)

// Options tune Open. The zero value (or nil) is right for most uses.
type Options struct {
	// ReadOnly opens the file shared, for reading; Post returns
	// ErrReadOnly. The file must exist.
	ReadOnly bool
	// LockTimeout is how long Open waits for the file lock held by another
	// process; zero means DefaultLockTimeout, negative waits forever.
	LockTimeout time.Duration
	// MaxBatchMovements caps a group commit; zero means
	// DefaultMaxBatchMovements.
	MaxBatchMovements int
	// InitialMmapSize is bbolt's initial memory map in bytes; zero means
	// DefaultInitialMmapSize.
	InitialMmapSize int
	// Now is the clock for recorded times; nil means time.Now.
	Now func() time.Time
}

// Ledger is an open ledger file. Its methods are safe for concurrent use.
type Ledger struct {
	db       *bolt.DB
	path     string
	readOnly bool
	now      func() time.Time
	maxBatch int
	keyHash  func(maphash.Seed, []byte) uint64 // the writer's position index; tests force collisions

	reqs     chan *postRequest // to the committer; unbuffered
	quit     chan struct{}     // closed by Close
	stopped  chan struct{}     // closed when the committer has returned
	closing  sync.Once
	closed   atomic.Bool
	closeErr error

	committed commitSignal // fired after each commit that recorded a posting
}

// Open opens the ledger at path, creating the file (and its folder) unless
// opts.ReadOnly is set. Only one process may have a ledger open for writing.
func Open(path string, opts *Options) (*Ledger, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = DefaultLockTimeout
	} else if o.LockTimeout < 0 {
		o.LockTimeout = 0 // bbolt: wait forever
	}
	if o.MaxBatchMovements <= 0 {
		o.MaxBatchMovements = DefaultMaxBatchMovements
	}
	if o.InitialMmapSize <= 0 {
		o.InitialMmapSize = DefaultInitialMmapSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	_, statErr := os.Stat(path)
	if o.ReadOnly {
		if statErr != nil {
			return nil, fmt.Errorf("ledger: opening %s: %w", path, statErr)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("ledger: creating folder for %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{
		Timeout:         o.LockTimeout,
		ReadOnly:        o.ReadOnly,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: o.InitialMmapSize,
		NoStatistics:    true,
		NoFreelistSync:  true,
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("ledger: opening %s: file is locked by another process: %w", path, err)
		}
		return nil, fmt.Errorf("ledger: opening %s: %w", path, err)
	}
	l := &Ledger{db: db, path: path, readOnly: o.ReadOnly, now: o.Now, maxBatch: o.MaxBatchMovements}
	if err := l.initSchema(); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger: opening %s: %w", path, err)
	}
	if errors.Is(statErr, fs.ErrNotExist) && !o.ReadOnly {
		// A new file: make its name durable too.
		if err := syncDir(filepath.Dir(path)); err != nil {
			db.Close()
			return nil, fmt.Errorf("ledger: creating %s: %w", path, err)
		}
	}
	if !o.ReadOnly {
		l.reqs = make(chan *postRequest)
		l.quit = make(chan struct{})
		l.stopped = make(chan struct{})
		go l.committer()
	}
	return l, nil
}

// initSchema creates the buckets of a new file, or checks an existing one.
func (l *Ledger) initSchema() error {
	check := func(tx *bolt.Tx) error {
		meta := tx.Bucket(bktMeta)
		if meta == nil {
			return ErrNotLedger
		}
		v := meta.Get(keySchema)
		if len(v) != 8 {
			return fmt.Errorf("%w: no schema version", ErrNotLedger)
		}
		if got := binary.BigEndian.Uint64(v); got != schemaVersion {
			if got == 2 && tx.Writable() {
				return migrate2to3(tx)
			}
			return fmt.Errorf("%w: file has %d, this build reads %d (a version 2 file is upgraded when opened for writing)", ErrSchema, got, schemaVersion)
		}
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("%w: bucket %q missing", ErrNotLedger, name)
			}
		}
		return nil
	}
	if l.readOnly {
		return l.db.View(check)
	}
	return l.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bktMeta) != nil {
			return check(tx)
		}
		if k, _ := tx.Cursor().First(); k != nil {
			return fmt.Errorf("%w: bbolt file with other buckets", ErrNotLedger)
		}
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("creating bucket %q: %w", name, err)
			}
		}
		return tx.Bucket(bktMeta).Put(keySchema, idKey(schemaVersion))
	})
}

// syncDir fsyncs a folder, so the names created in it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Path returns the file the ledger lives in.
func (l *Ledger) Path() string { return l.path }

// Close waits for the group commit in progress, fails postings still
// waiting with ErrClosed, and closes the file. Calling it again returns the
// first call's result.
func (l *Ledger) Close() error {
	l.closing.Do(func() {
		l.closed.Store(true)
		if l.quit != nil {
			close(l.quit)
			<-l.stopped
		}
		l.committed.fire()
		if err := l.db.Close(); err != nil {
			l.closeErr = fmt.Errorf("ledger: closing %s: %w", l.path, err)
		}
	})
	return l.closeErr
}

// view runs fn in a read transaction after checking ctx and that the
// ledger is open.
func (l *Ledger) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l.closed.Load() {
		return ErrClosed
	}
	err := l.db.View(fn)
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}
