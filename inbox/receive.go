package inbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dockside-edi/dockside/internal/atomicfile"
	bolt "go.etcd.io/bbolt"
)

// Receive stores a file: its bytes first (named by their SHA-256, durable
// before the call returns), then its record. The same bytes from the same
// partner as a message that did not fail are recorded as a Duplicate.
func (s *Store) Receive(ctx context.Context, a Arrival, body io.Reader) (*Message, error) {
	s.blobMu.RLock()
	defer s.blobMu.RUnlock()
	bufp := s.smallBufs.Get().(*[]byte)
	defer s.smallBufs.Put(bufp)
	buf := *bufp
	// A small file (up to InlineSize) is kept in the database, committed
	// with its record: durable by the same commit, shared with the other
	// writes of that commit, instead of a file, its fsync and its
	// folder's fsync.
	n, err := io.ReadFull(&ctxReader{ctx: ctx, r: body}, buf[:min(len(buf), int(min(s.opts.MaxSize, inlineSize))+1)])
	switch {
	case n > 0 && errors.Is(err, io.ErrUnexpectedEOF):
		small := buf[:n]
		sum := sha256.Sum256(small)
		return s.recordWith(a, hex.EncodeToString(sum[:]), int64(n), small)
	case err != nil && !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("inbox: storing file: %w", err)
	}
	sum, size, err := s.storeBlob(ctx, io.MultiReader(bytes.NewReader(buf[:n]), body))
	if err != nil {
		return nil, err
	}
	return s.record(a, sum, size)
}

// inlineSize is the largest file kept in the database rather than as a
// file of its own (see Receive).
const inlineSize = 64 << 10

// record commits the record of stored bytes: a new message in the queue,
// or a duplicate of the first live message with the same bytes. The
// caller holds blobMu (read), so that Purge cannot remove the bytes first.
func (s *Store) record(a Arrival, sum string, size int64) (*Message, error) {
	return s.recordWith(a, sum, size, nil)
}

// recordWith is record; inline, when not nil, is the bytes themselves,
// kept in the database under their hash in the same commit.
func (s *Store) recordWith(a Arrival, sum string, size int64, inline []byte) (*Message, error) {
	now := s.opts.Now().UTC()
	at := a.Time
	if at.IsZero() {
		at = now
	}
	m := &Message{Partner: a.Partner, Transport: a.Transport, Meta: a.Meta, Name: a.Name, Size: size,
		SHA256: sum, ReceivedAt: at.UTC(), UpdatedAt: now, State: Received, Key: a.Key}
	var keyed *Message // the live message sent with the same key
	err := s.tx.Update(func(tx *bolt.Tx) error {
		keyed = nil
		if a.Key != "" {
			prev, err := liveByKey(tx, a.Partner, a.Key)
			if err != nil {
				return err
			}
			if prev != nil && prev.SHA256 != sum {
				return fmt.Errorf("key %q was sent with message %d: %w", a.Key, prev.ID, ErrKeyReused)
			}
			if keyed = prev; prev != nil {
				return nil
			}
		}
		id, err := tx.Bucket(bucketMessages).NextSequence()
		if err != nil {
			return err
		}
		m.ID = id
		m.State, m.DuplicateOf = Received, 0
		if a.Key != "" {
			if err := tx.Bucket(bucketKeys).Put(pairKey(a.Partner, a.Key), idKey(id)); err != nil {
				return err
			}
		}
		hashes := tx.Bucket(bucketHashes)
		hk := pairKey(a.Partner, sum)
		if v := hashes.Get(hk); v != nil {
			first := binary.BigEndian.Uint64(v)
			if prev, err := getMessage(tx, first); err == nil && prev.State != Failed {
				m.State, m.DuplicateOf = Duplicate, first
			}
		}
		if m.State == Received {
			hashes.Put(hk, idKey(id))
			tx.Bucket(bucketQueue).Put(queueKey(a.Partner, id), nil)
		}
		if err := addBlobRef(tx, sum, 1); err != nil {
			return err
		}
		if inline != nil {
			if b := tx.Bucket(bucketBodies); b.Get([]byte(sum)) == nil {
				if err := b.Put([]byte(sum), inline); err != nil {
					return err
				}
			}
		}
		return putMessage(tx, m)
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: recording %s: %w", a.Name, err)
	}
	if keyed != nil {
		return keyed, nil
	}
	if m.State == Received {
		s.wake()
	}
	return m, nil
}

// storeBlob writes body under its SHA-256 and returns the hash and size.
func (s *Store) storeBlob(ctx context.Context, body io.Reader) (string, int64, error) {
	f, err := atomicfile.Create(filepath.Join(s.blobs, "incoming"), 0o640)
	if err != nil {
		return "", 0, fmt.Errorf("inbox: %w", err)
	}
	h := sha256.New()
	limited := &io.LimitedReader{R: body, N: s.opts.MaxSize + 1}
	buf, _ := s.copyBufs.Get().(*[]byte)
	if buf == nil {
		b := make([]byte, 32<<10)
		buf = &b
	}
	n, err := io.CopyBuffer(io.MultiWriter(f, h), &ctxReader{ctx: ctx, r: limited}, *buf)
	s.copyBufs.Put(buf)
	if err == nil && n > s.opts.MaxSize {
		err = fmt.Errorf("%w: over %d bytes", ErrTooLarge, s.opts.MaxSize)
	}
	if err != nil {
		f.Abort()
		return "", 0, fmt.Errorf("inbox: storing file: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := f.CommitAs(s.blobPath(sum)); err != nil {
		return "", 0, fmt.Errorf("inbox: %w", err)
	}
	return sum, n, nil
}

func (s *Store) blobPath(sum string) string { return filepath.Join(s.blobs, sum) }

// Body opens the stored bytes of a message: from the database when they
// are kept there (a small file), else their file.
func (s *Store) Body(id uint64) (io.ReadCloser, error) {
	var m *Message
	var inline []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		if m, err = getMessage(tx, id); err != nil {
			return err
		}
		if v := tx.Bucket(bucketBodies).Get([]byte(m.SHA256)); v != nil {
			inline = bytes.Clone(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	if inline != nil {
		return io.NopCloser(bytes.NewReader(inline)), nil
	}
	f, err := os.Open(s.blobPath(m.SHA256))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("inbox: message %d: bytes removed by retention: %w", id, err)
	}
	return f, err
}

func addBlobRef(tx *bolt.Tx, sum string, delta int64) error {
	b := tx.Bucket(bucketBlobRefs)
	var n int64
	if v := b.Get([]byte(sum)); v != nil {
		n = int64(binary.BigEndian.Uint64(v))
	}
	n += delta
	if n <= 0 {
		return b.Delete([]byte(sum))
	}
	return b.Put([]byte(sum), binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
