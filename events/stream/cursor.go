package stream

import (
	"context"
	"fmt"
)

// MaxNameLen bounds a subscriber's name, in bytes.
const MaxNameLen = 256

// CursorStore keeps each subscriber's durable cursor: the change sequence
// of the last posting whose events its sink has confirmed. Implementations
// are safe for concurrent use; package streamtest holds their contract
// suite.
type CursorStore interface {
	// Cursor returns the subscriber's cursor, or an error wrapping
	// ErrUnknownSubscriber when none was ever set.
	Cursor(ctx context.Context, subscriber string) (uint64, error)
	// SetCursor records seq as the subscriber's cursor, durably when it
	// returns nil. It sets the cursor as given, backwards too (an
	// operator's replay); relays only move cursors forward.
	SetCursor(ctx context.Context, subscriber string, seq uint64) error
	// Cursors returns every subscriber's cursor.
	Cursors(ctx context.Context) (map[string]uint64, error)
	// DeleteCursor forgets a subscriber; deleting an unknown one is not
	// an error.
	DeleteCursor(ctx context.Context, subscriber string) error
	// Close releases the store.
	Close() error
}

// CheckName reports whether name can name a subscriber: 1 to MaxNameLen
// bytes.
func CheckName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("%w: %q (1 to %d bytes)", ErrInvalidName, name, MaxNameLen)
	}
	return nil
}
