package stream

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bktCursors = []byte("cursors")

// BoltCursors is the CursorStore in a bbolt file of its own.
type BoltCursors struct {
	db *bolt.DB
}

var _ CursorStore = (*BoltCursors)(nil)

// OpenBoltCursors opens (creating) the cursor file at path.
func OpenBoltCursors(path string) (*BoltCursors, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("stream: creating folder for %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("stream: opening %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bktCursors)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("stream: opening %s: %w", path, err)
	}
	return &BoltCursors{db: db}, nil
}

// Cursor implements CursorStore.
func (s *BoltCursors) Cursor(ctx context.Context, subscriber string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktCursors).Get([]byte(subscriber))
		if v == nil {
			return fmt.Errorf("%w: %q", ErrUnknownSubscriber, subscriber)
		}
		if len(v) != 8 {
			return fmt.Errorf("cursor of %q: %d bytes, want 8", subscriber, len(v))
		}
		seq = binary.BigEndian.Uint64(v)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("stream: cursor: %w", err)
	}
	return seq, nil
}

// SetCursor implements CursorStore.
func (s *BoltCursors) SetCursor(ctx context.Context, subscriber string, seq uint64) error {
	if err := CheckName(subscriber); err != nil {
		return fmt.Errorf("stream: setting cursor: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bktCursors).Put([]byte(subscriber), binary.BigEndian.AppendUint64(nil, seq))
	})
	if err != nil {
		return fmt.Errorf("stream: setting cursor of %q: %w", subscriber, err)
	}
	return nil
}

// Cursors implements CursorStore.
func (s *BoltCursors) Cursors(ctx context.Context) (map[string]uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[string]uint64)
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktCursors).ForEach(func(k, v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("cursor of %q: %d bytes, want 8", k, len(v))
			}
			out[string(k)] = binary.BigEndian.Uint64(v)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("stream: cursors: %w", err)
	}
	return out, nil
}

// DeleteCursor implements CursorStore.
func (s *BoltCursors) DeleteCursor(ctx context.Context, subscriber string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bktCursors).Delete([]byte(subscriber))
	}); err != nil {
		return fmt.Errorf("stream: deleting cursor of %q: %w", subscriber, err)
	}
	return nil
}

// Close implements CursorStore.
func (s *BoltCursors) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("stream: closing cursors: %w", err)
	}
	return nil
}
