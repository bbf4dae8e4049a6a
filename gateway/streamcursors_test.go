package gateway

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/dockside-edi/dockside/events/stream"
)

// TestWebhookCursorsShareTheStore: the webhook subscribers' cursors live
// in the change stream's cursor store under "webhook/", apart from the
// NATS publisher's "nats": the same name in both does not collide.
func TestWebhookCursorsShareTheStore(t *testing.T) {
	ctx := context.Background()
	store, err := stream.OpenBoltCursors(filepath.Join(t.TempDir(), cursorsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	view := prefixedCursors{store: store, prefix: webhookCursorPrefix}
	if err := store.SetCursor(ctx, "nats", 100); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		seq  uint64
	}{{"nats", 7}, {"mirror", 42}, {"mirror", 40}} {
		if err := view.SetCursor(ctx, c.name, c.seq); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := view.Cursors(ctx); err != nil || !maps.Equal(got, map[string]uint64{"nats": 7, "mirror": 40}) {
		t.Errorf("the webhook view: %v, %v", got, err)
	}
	if got, err := store.Cursors(ctx); err != nil || !maps.Equal(got, map[string]uint64{"nats": 100, "webhook/nats": 7, "webhook/mirror": 40}) {
		t.Errorf("the store: %v, %v", got, err)
	}
	if err := view.DeleteCursor(ctx, "nats"); err != nil {
		t.Fatal(err)
	}
	if _, err := view.Cursor(ctx, "nats"); !errors.Is(err, stream.ErrUnknownSubscriber) {
		t.Errorf("deleted cursor: %v", err)
	}
	if seq, err := store.Cursor(ctx, "nats"); err != nil || seq != 100 {
		t.Errorf("the NATS publisher's cursor after the webhook nats was deleted: %d, %v", seq, err)
	}
	if err := view.SetCursor(ctx, "", 1); !errors.Is(err, stream.ErrInvalidName) {
		t.Errorf("empty name: %v", err)
	}
	if err := view.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Cursors(ctx); err != nil {
		t.Errorf("the view's Close closed the store: %v", err)
	}
}

// TestWebhookCursorsMigrated: the cursors of an older data folder's
// webhook-cursors.db move into change-cursors.db once; the old file is
// renamed and never read again; a cursor already moved (a migration cut
// short before the rename) is not overwritten.
func TestWebhookCursorsMigrated(t *testing.T) {
	for _, tc := range []struct {
		name        string
		old         map[string]uint64 // nil: no old file
		already     map[string]uint64 // in the webhook view before
		want        map[string]uint64
		wantMoved   int
		wantRenamed bool
	}{
		{"none", nil, nil, map[string]uint64{}, 0, false},
		{"fresh", map[string]uint64{"mirror": 42, "nats": 7}, nil, map[string]uint64{"mirror": 42, "nats": 7}, 2, true},
		{"cut short", map[string]uint64{"mirror": 42, "nats": 7}, map[string]uint64{"mirror": 50}, map[string]uint64{"mirror": 50, "nats": 7}, 1, true},
		{"empty", map[string]uint64{}, nil, map[string]uint64{}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			data := t.TempDir()
			if tc.old != nil {
				old, err := stream.OpenBoltCursors(filepath.Join(data, oldWebhookCursorsFile))
				if err != nil {
					t.Fatal(err)
				}
				for n, seq := range tc.old {
					if err := old.SetCursor(ctx, n, seq); err != nil {
						t.Fatal(err)
					}
				}
				old.Close()
			}
			store, err := stream.OpenBoltCursors(filepath.Join(data, cursorsFile))
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			store.SetCursor(ctx, "nats", 100)
			view := prefixedCursors{store: store, prefix: webhookCursorPrefix}
			for n, seq := range tc.already {
				view.SetCursor(ctx, n, seq)
			}
			moved, err := migrateWebhookCursors(ctx, data, view)
			if err != nil || moved != tc.wantMoved {
				t.Fatalf("migrate: %d, %v; want %d", moved, err, tc.wantMoved)
			}
			if got, _ := view.Cursors(ctx); !maps.Equal(got, tc.want) {
				t.Errorf("webhook cursors %v, want %v", got, tc.want)
			}
			if seq, _ := store.Cursor(ctx, "nats"); seq != 100 {
				t.Errorf("the NATS publisher's cursor became %d", seq)
			}
			_, errOld := os.Stat(filepath.Join(data, oldWebhookCursorsFile))
			_, errMigrated := os.Stat(filepath.Join(data, oldWebhookCursorsFile+".migrated"))
			if renamed := errors.Is(errOld, os.ErrNotExist) && errMigrated == nil; renamed != tc.wantRenamed {
				t.Errorf("old file renamed: %v, want %v (%v, %v)", renamed, tc.wantRenamed, errOld, errMigrated)
			}
			if moved, err := migrateWebhookCursors(ctx, data, view); err != nil || moved != 0 {
				t.Errorf("second migration: %d, %v", moved, err)
			}
		})
	}
}
