package gateway

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/inbox"
)

// folderProfile is a partner whose stock counts arrive as CSV files in a
// watched folder beside its profile.
func folderProfile(id string) string {
	return `id: ` + id + `
name: ` + id + `
role: supplier
transports:
  inbound:
    - folder: {path: ` + id + `-in, min_age: 50ms}
documents:
  - type: csv
    content: snapshot
    mapping:
      columns: {sku: sku, location: location, quantity: qty}
      bucket: on_hand
`
}

// TestReloadWatchesNewPartnersFolder onboards a partner while serve runs:
// its profile is written, the profiles are reloaded (what SIGHUP does),
// and a file dropped in its folder is taken and posted without a restart.
func TestReloadWatchesNewPartnersFolder(t *testing.T) {
	dir := t.TempDir()
	partnersDir := filepath.Join(dir, "partners")
	os.MkdirAll(partnersDir, 0o755)
	if err := os.WriteFile(filepath.Join(partnersDir, "alpha.yaml"), []byte(folderProfile("alpha")), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners, cfg.Workers = filepath.Join(dir, "data"), partnersDir, 2
	cfg.SFTP.Listen, cfg.HTTP.Listen = "", ""
	cfg.Folders.Rescan = 100 * time.Millisecond
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	tr, err := g.BuildTransports()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var served sync.WaitGroup
	served.Go(func() {
		if err := g.Serve(ctx, tr.Senders, tr.Services()...); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	defer func() { cancel(); served.Wait() }()

	if err := os.WriteFile(filepath.Join(partnersDir, "beta.yaml"), []byte(folderProfile("beta")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := g.ReloadPartners(); err != nil {
		t.Fatal(err)
	}
	drop := filepath.Join(partnersDir, "beta-in")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(drop, "archive")); err == nil {
			break // the watcher has set the new folder up
		}
		if time.Now().After(deadline) {
			t.Fatal("the new partner's folder is not watched after the reload")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := os.WriteFile(filepath.Join(drop, "stock.csv"), []byte("sku,location,qty\nBETA-1,DAL,42\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for {
		ms, err := g.Inbox.List(inbox.Filter{Partner: "beta"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 1 && ms[0].State == inbox.Done {
			break
		}
		if len(ms) == 1 && ms[0].State == inbox.Failed {
			t.Fatalf("beta's file failed: %+v", ms[0].Errors)
		}
		if time.Now().After(deadline) {
			t.Fatalf("beta's file not processed after the reload: %d messages", len(ms))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b := balance(t, g, "BETA-1", "DAL"); b.OnHand != 42 {
		t.Fatalf("BETA-1 at DAL: on hand %d, want 42", b.OnHand)
	}
}
