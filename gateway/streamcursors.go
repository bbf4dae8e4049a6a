package gateway

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockside-edi/dockside/events/stream"
)

// webhookCursorPrefix puts the webhook subscribers' cursors in the change
// stream's one cursor store (Gateway.Cursors) beside the NATS
// publisher's "nats": subscriber mirror's cursor is "webhook/mirror", so
// a webhook subscriber may be named nats too.
const webhookCursorPrefix = "webhook/"

// webhookRedeliveryPrefix names, in the same store, the redeliveries
// asked on a node of a cluster that does not relay, until the leader
// applies them: "webhook-redeliver/mirror" is the cursor subscriber
// mirror is to restart from.
const webhookRedeliveryPrefix = "webhook-redeliver/"

// prefixedCursors is a view of a CursorStore holding only the cursors
// whose names start with prefix, named without it. Close closes nothing:
// the store is the gateway's.
type prefixedCursors struct {
	store  stream.CursorStore
	prefix string
}

var _ stream.CursorStore = prefixedCursors{}

func (p prefixedCursors) name(subscriber string) (string, error) {
	if err := stream.CheckName(subscriber); err != nil {
		return "", err
	}
	return p.prefix + subscriber, nil
}

// Cursor implements stream.CursorStore.
func (p prefixedCursors) Cursor(ctx context.Context, subscriber string) (uint64, error) {
	n, err := p.name(subscriber)
	if err != nil {
		return 0, err
	}
	return p.store.Cursor(ctx, n)
}

// SetCursor implements stream.CursorStore.
func (p prefixedCursors) SetCursor(ctx context.Context, subscriber string, seq uint64) error {
	n, err := p.name(subscriber)
	if err != nil {
		return err
	}
	return p.store.SetCursor(ctx, n, seq)
}

// Cursors implements stream.CursorStore: the prefix's cursors only.
func (p prefixedCursors) Cursors(ctx context.Context) (map[string]uint64, error) {
	all, err := p.store.Cursors(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for n, seq := range all {
		if s, ok := strings.CutPrefix(n, p.prefix); ok && s != "" {
			out[s] = seq
		}
	}
	return out, nil
}

// DeleteCursor implements stream.CursorStore.
func (p prefixedCursors) DeleteCursor(ctx context.Context, subscriber string) error {
	n, err := p.name(subscriber)
	if err != nil {
		return err
	}
	return p.store.DeleteCursor(ctx, n)
}

// Close implements stream.CursorStore; the store stays open.
func (p prefixedCursors) Close() error { return nil }

// webhookCursors is the webhook subscribers' view of the cursor store.
func (g *Gateway) webhookCursors() stream.CursorStore {
	return prefixedCursors{store: g.Cursors, prefix: webhookCursorPrefix}
}

// oldWebhookCursorsFile is where the webhook subscribers' cursors were
// kept before they moved to change-cursors.db; migrateWebhookCursors
// reads it once.
const oldWebhookCursorsFile = "webhook-cursors.db"

// migrateWebhookCursors moves the cursors of data/webhook-cursors.db, if
// there is such a file, into the webhook subscribers' view of cursors,
// then renames the file to webhook-cursors.db.migrated (kept, not read
// again). A cursor already in the view is not overwritten: a migration
// interrupted before the rename is done again harmlessly.
func migrateWebhookCursors(ctx context.Context, data string, cursors stream.CursorStore) (int, error) {
	path := filepath.Join(data, oldWebhookCursorsFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	old, err := stream.OpenBoltCursors(path)
	if err != nil {
		return 0, fmt.Errorf("migrating webhook cursors: %w", err)
	}
	all, err := old.Cursors(ctx)
	if cerr := old.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("migrating webhook cursors from %s: %w", path, err)
	}
	moved := 0
	for name, seq := range all {
		if _, err := cursors.Cursor(ctx, name); err == nil {
			continue
		} else if !errors.Is(err, stream.ErrUnknownSubscriber) {
			return moved, fmt.Errorf("migrating webhook cursor %s: %w", name, err)
		}
		if err := cursors.SetCursor(ctx, name, seq); err != nil {
			return moved, fmt.Errorf("migrating webhook cursor %s: %w", name, err)
		}
		moved++
	}
	if err := os.Rename(path, path+".migrated"); err != nil {
		return moved, fmt.Errorf("migrating webhook cursors: %w", err)
	}
	return moved, nil
}
