package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
)

// Incoming is a file a transport is writing, hashed (SHA-256) while the
// bytes arrive, so that Store.Adopt can store it at the end without
// reading it again.
//
// Writes may come in any order: a background goroutine hashes the file
// from its start as far as the written bytes are contiguous, reading them
// back from the page cache, and another starts their write-back to disk
// so that the final fsync is short. Whatever is left (a tail written out
// of order, holes never written) is hashed by Sum, while the file is
// fsynced. A write or truncation that
// touches bytes already hashed makes Sum hash the whole file again, so the
// hash is always that of the file's bytes at Sum.
//
// Every write to the file must go through the Incoming.
type Incoming struct {
	f *os.File

	mu      sync.Mutex
	cond    *sync.Cond // signals the goroutines (bytes to hash or write back, seal, close) and Sum (writes done)
	written spans      // byte ranges written, for the contiguous prefix
	hashed  int64      // [0, hashed) is in h
	reading int64      // the hasher has read (or is reading) [0, reading)
	stale   bool       // bytes already read changed: Sum hashes everything again
	writers int        // writes in progress
	sealed  bool       // Sum was called: no more writes
	stopped bool       // the goroutines must end
	flushed int64      // write-back started for [0, flushed)
	done    sync.WaitGroup

	h hash.Hash // the hasher's until done, then Sum's

	sizes incomingSizes

	sumOnce sync.Once
	sum     string
	size    int64
	sumErr  error
	closed  bool
}

// Sizes of the background hashing: it waits for hashStep contiguous bytes
// before it reads, reads at most hashChunk at a time, and starts the
// write-back every writebackStep bytes hashed.
const (
	hashStep      = 256 << 10
	hashChunk     = 1 << 20
	writebackStep = 8 << 20
	// maxSpans bounds the written ranges tracked; a client that scatters
	// more holes than that is hashed at the end instead.
	maxSpans = 4096
)

// incomingSizes are the sizes of an Incoming's background work (tests
// make them small).
type incomingSizes struct{ hashStep, hashChunk, writebackStep int64 }

// NewIncoming starts tracking f, a new empty file opened for reading and
// writing. The Incoming owns f: Close closes it.
func NewIncoming(f *os.File) *Incoming {
	return newIncomingSized(f, incomingSizes{hashStep, hashChunk, writebackStep})
}

func newIncomingSized(f *os.File, sizes incomingSizes) *Incoming {
	in := &Incoming{f: f, h: sha256.New(), sizes: sizes}
	in.cond = sync.NewCond(&in.mu)
	in.done.Go(in.hashLoop)
	in.done.Go(in.writebackLoop)
	return in
}

// File returns the file (for its name and Stat; write through WriteAt).
func (in *Incoming) File() *os.File { return in.f }

// WriteAt writes p at off.
func (in *Incoming) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("inbox: write at %d: negative offset", off)
	}
	in.mu.Lock()
	if in.sealed || in.closed {
		in.mu.Unlock()
		return 0, ErrSealed
	}
	in.writers++
	in.mu.Unlock()

	n, err := in.f.WriteAt(p, off)

	in.mu.Lock()
	defer in.mu.Unlock()
	in.writers--
	if n > 0 {
		in.wrote(off, off+int64(n))
	}
	if in.writers == 0 && in.sealed {
		in.cond.Broadcast()
	}
	return n, err
}

// wrote records that [start, end) holds new bytes. Called with mu held,
// after the bytes are in the file.
func (in *Incoming) wrote(start, end int64) {
	if in.stale {
		return
	}
	// The hasher never reads past reading, which only grows: a write below
	// it may have changed bytes that were read before it.
	if start < in.reading {
		in.markStale()
		return
	}
	before := in.written.prefix()
	if !in.written.add(start, end) {
		in.markStale()
		return
	}
	if after := in.written.prefix(); after != before && (after-in.hashed >= in.sizes.hashStep || after-in.flushed >= in.sizes.writebackStep) {
		in.cond.Broadcast()
	}
}

// markStale gives up hashing while the file is written: Sum hashes it
// whole. Called with mu held.
func (in *Incoming) markStale() {
	in.stale = true
	in.written = nil
	in.cond.Broadcast()
}

// Truncate changes the file's size.
func (in *Incoming) Truncate(size int64) error {
	if size < 0 {
		return fmt.Errorf("inbox: truncate to %d: negative size", size)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.sealed || in.closed {
		return ErrSealed
	}
	// Held across the truncation, so that the hasher does not start a read
	// of bytes it removes.
	if size < in.reading {
		in.markStale()
	} else {
		in.written.clip(size)
	}
	return in.f.Truncate(size)
}

// hashLoop hashes the contiguous written prefix as it grows, until Sum or
// Close, or until a change to hashed bytes makes it pointless.
func (in *Incoming) hashLoop() {
	buf := make([]byte, in.sizes.hashChunk)
	for {
		in.mu.Lock()
		for !in.stopped && !in.sealed && !in.stale && in.written.prefix()-in.hashed < in.sizes.hashStep {
			in.cond.Wait()
		}
		if in.stopped || in.sealed || in.stale {
			in.mu.Unlock()
			return
		}
		start := in.hashed
		end := min(in.written.prefix(), start+in.sizes.hashChunk)
		in.reading = end
		in.mu.Unlock()

		n, err := in.f.ReadAt(buf[:end-start], start)
		if err != nil || int64(n) != end-start {
			in.mu.Lock()
			in.markStale() // Sum reads the file again and reports the error
			in.mu.Unlock()
			return
		}
		in.h.Write(buf[:n])

		in.mu.Lock()
		in.hashed = end
		in.mu.Unlock()
	}
}

// writebackLoop starts the write-back of the contiguous written prefix
// every writebackStep bytes, ahead of the hashing.
func (in *Incoming) writebackLoop() {
	for {
		in.mu.Lock()
		for !in.stopped && !in.sealed && in.written.prefix()-in.flushed < in.sizes.writebackStep {
			in.cond.Wait()
		}
		if in.stopped || in.sealed {
			in.mu.Unlock()
			return
		}
		start, end := in.flushed, in.written.prefix()
		in.flushed = end
		in.mu.Unlock()
		startWriteback(in.f, start, end-start)
	}
}

// Sum ends the writing and returns the SHA-256 (hex) and size of the
// file's bytes, once they are on disk (fsync, done while the bytes not
// hashed yet are hashed). It waits for writes in progress; later writes
// fail with ErrSealed. Calls after the first return the same result.
func (in *Incoming) Sum(ctx context.Context) (string, int64, error) {
	in.sumOnce.Do(func() { in.sum, in.size, in.sumErr = in.finish(ctx) })
	return in.sum, in.size, in.sumErr
}

func (in *Incoming) finish(ctx context.Context) (string, int64, error) {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return "", 0, ErrSealed
	}
	in.sealed = true
	in.cond.Broadcast()
	for in.writers > 0 {
		in.cond.Wait()
	}
	in.mu.Unlock()
	in.done.Wait()

	synced := make(chan error, 1)
	go func() { synced <- in.f.Sync() }()
	sum, size, err := in.hashRest(ctx)
	if serr := <-synced; err == nil && serr != nil {
		err = fmt.Errorf("inbox: %w", serr)
	}
	return sum, size, err
}

// hashRest hashes what the hasher left: the bytes after its last chunk,
// or the whole file when bytes it read changed.
func (in *Incoming) hashRest(ctx context.Context) (string, int64, error) {
	fi, err := in.f.Stat()
	if err != nil {
		return "", 0, fmt.Errorf("inbox: %w", err)
	}
	size := fi.Size()
	from := in.hashed
	if in.stale || from > size {
		in.h.Reset()
		from = 0
	}
	rest := &ctxReader{ctx: ctx, r: io.NewSectionReader(in.f, from, size-from)}
	if n, err := io.CopyBuffer(in.h, rest, make([]byte, in.sizes.hashChunk)); err != nil {
		return "", 0, fmt.Errorf("inbox: hashing: %w", err)
	} else if n != size-from {
		return "", 0, fmt.Errorf("inbox: hashing: read %d of %d bytes", n, size-from)
	}
	return hex.EncodeToString(in.h.Sum(nil)), size, nil
}

// Close stops the hashing and closes the file (it does not remove it).
func (in *Incoming) Close() error {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return nil
	}
	in.closed = true
	in.stopped = true
	in.cond.Broadcast()
	in.mu.Unlock()
	in.done.Wait()
	return in.f.Close()
}
