package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/gateway"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/reservations"
	"github.com/dockside-edi/dockside/transports/sftp"
	bolt "go.etcd.io/bbolt"
)

var update = flag.Bool("update", false, "rewrite the data folder table of docs/storage.md")

// The generated table of docs/storage.md sits between these lines.
const (
	tableBegin = "<!-- Generated from dataFolder (cmd/dockside/migrate_datafolder.go) by `go test ./cmd/dockside -run TestDataFolderTable -update`; do not edit. -->\n"
	tableEnd   = "<!-- End of the generated table. -->\n"
)

// TestDataFolderTable: docs/storage.md holds the table dataFolder makes,
// and dataFolder names the stores storeCopies copies, each at least once.
func TestDataFolderTable(t *testing.T) {
	copies := map[string]bool{}
	for _, c := range storeCopies() {
		copies[c.store] = false
	}
	for _, e := range dataFolder() {
		switch {
		case e.store != "" && (e.by == "" || e.why != ""):
			t.Errorf("%s: copied by %q: give by, and no why", e.path, e.store)
		case e.store == "" && (e.why == "" || e.by != ""):
			t.Errorf("%s: not copied: give why, and no by", e.path)
		case strings.HasSuffix(e.path, ".db") && len(e.buckets) == 0:
			t.Errorf("%s: a bbolt file without its buckets", e.path)
		}
		if _, ok := copies[e.store]; e.store != "" && !ok {
			t.Errorf("%s: copied by %q, which storeCopies lacks", e.path, e.store)
		}
		copies[e.store] = true
	}
	for store, named := range copies {
		if !named {
			t.Errorf("storeCopies copies %q, which no entry of dataFolder names", store)
		}
	}

	path := filepath.Join("..", "..", "docs", "storage.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := bytes.Cut(doc, []byte(tableBegin))
	_, after, ok2 := bytes.Cut(rest, []byte(tableEnd))
	if !ok1 || !ok2 {
		t.Fatalf("docs/storage.md lacks the lines around the data folder table:\n%s%s", tableBegin, tableEnd)
	}
	want := slices.Concat(before, []byte(tableBegin), []byte(dataFolderTable()), []byte(tableEnd), after)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(doc, want) {
		t.Errorf("the data folder table of docs/storage.md differs from dataFolder: go test ./cmd/dockside -run TestDataFolderTable -update")
	}
}

// TestEntryFor: entries match by name pattern; a folder entry covers
// what is under it, a file entry only itself.
func TestEntryFor(t *testing.T) {
	for _, tc := range []struct{ rel, want string }{
		{"ledger.db", "ledger.db"},
		{"sftp/acme/out/997.x12", "sftp/*/out/"},
		{"sftp/acme/in/sub/x.part", "sftp/*/in/"},
		{"inbox/blobs/ab12", "inbox/blobs/"},
		{"keys/ssh_host_rsa_key", "keys/"},
		{"ledger.db.bak", ""},
		{"sftp/acme/other/x", ""},
		{"sftp/out", ""},
		{"as2/as2.db/x", ""},
		{"inbox/inbox.db.tmp", ""},
		{"drop/northwind/archive/20260301-x.csv", "drop/*/archive/"},
		{"drop/northwind/x.csv", "drop/"},
	} {
		e, ok := entryFor(dataFolder(), tc.rel)
		if ok != (tc.want != "") || e.path != tc.want {
			t.Errorf("%s: entry %q (found %v), want %q", tc.rel, e.path, ok, tc.want)
		}
	}
}

// TestDataFolderAccounted runs a bbolt gateway as the demo does (serve
// with the demo partners, SFTP and HTTP on loopback), then gives every
// store something to hold, and checks that dataFolder accounts for
// every file of its data folder and every top-level bucket of its bbolt
// files, and that each copied entry was there to be checked. A store
// added to the data folder without an entry fails here: add it to
// dataFolder, copied (storeCopies) or why not. Then migrate --from
// copies the folder.
func TestDataFolderAccounted(t *testing.T) {
	data := demoRun(t)
	entries := dataFolder()
	seen := map[string]bool{}
	err := filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(data, p)
		rel = filepath.ToSlash(rel)
		e, ok := entryFor(entries, rel)
		if !ok {
			t.Errorf("%s: in the data folder, not in dataFolder (cmd/dockside/migrate_datafolder.go): does migrate --from copy it?", rel)
			return nil
		}
		seen[e.path] = true
		if len(e.buckets) > 0 {
			for _, b := range topBuckets(t, p) {
				if !slices.Contains(e.buckets, b) {
					t.Errorf("%s: bucket %q is not in dataFolder's list for %s: does migrate --from copy it?", rel, b, e.path)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.store != "" && !seen[e.path] {
			t.Errorf("%s (copied by %s) is not in the demo run's data folder: the test checks nothing of it", e.path, e.store)
		}
	}
	for _, p := range []string{"keys/", "as2/as2-key.pem", "session-key", "operator-token", "demo-partners/", "sftp/*/in/", "webhook-cursors.db.migrated"} {
		if !seen[p] {
			t.Errorf("%s is not in the demo run's data folder", p)
		}
	}

	url := pg.Database(t)
	code, out, errOut := runCLI(t, "migrate", "--from", data, "--to", url)
	if code != exitOK || !strings.Contains(out, "stream: 3 records, 3 copied now") || !strings.Contains(out, "webhook: 1 records, 1 copied now") ||
		!strings.Contains(out, "inbox: 2 records, 2 copied now") || !strings.Contains(out, "not copied: sftp/acme-3pl/in/kept.edi: the node's own") ||
		strings.Count(out, "not copied:") != 1 {
		t.Errorf("migrate --from the demo run: exit %d\n%s%s", code, out, errOut)
	}
	ctx := context.Background()
	pool, err := pgstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	// erp moved by serve from the older file, late still in it.
	var cursors string
	if err := pool.QueryRow(ctx, `SELECT string_agg(name || '=' || seq, ' ' ORDER BY name) FROM stream_cursors`).Scan(&cursors); err != nil ||
		cursors != "nats=0 webhook/erp=2 webhook/late=1" {
		t.Errorf("cursors in PostgreSQL: %q %v", cursors, err)
	}
}

// topBuckets returns the top-level buckets of the bbolt file at path.
func topBuckets(t *testing.T, path string) []string {
	t.Helper()
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer db.Close()
	var names []string
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, string(name))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return names
}

// demoRun returns the data folder of a stopped bbolt gateway that served
// as the demo does, then received, sent, reserved and disabled: every
// store holds something.
func demoRun(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	config := filepath.Join(dir, "dockside.yaml")
	cfgText := "data: " + data + "\nworkers: 1\nhttp:\n  listen: 127.0.0.1:0\nsftp:\n  listen: 127.0.0.1:0\n"
	if err := os.WriteFile(config, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	// A version before change-cursors.db kept the webhook subscribers'
	// cursors here; serve moves them.
	oldCursors(t, data, "erp", 2)
	t.Run("serve", func(t *testing.T) { serveWith(t, data, config) }) // stops at the subtest's end

	cfg := gateway.DefaultConfig()
	cfg.Data = data
	g, err := gateway.Open(cfg, &gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for i, body := range []string{"ISA small", strings.Repeat("ISA large ", 10<<10)} { // inline, and a blob
		if _, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: "acme-3pl", Transport: "sftp", Name: fmt.Sprintf("f%d.edi", i)},
			strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := g.Outbox.Enqueue(&outbox.Message{Key: "advice-1", Partner: "shopmart", Kind: "846"}, []byte("ISA")); err != nil {
		t.Fatal(err)
	}
	if err := g.Cursors.SetCursor(ctx, "nats", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Webhooks.Disable("subscriber/erp", "https://erp.example/hook", "410 Gone", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	// Written after the last start: serve has not moved these yet.
	oldCursors(t, data, "late", 1)
	if err := sftp.NewDiskOut(filepath.Join(data, "sftp")).Put(ctx, "acme-3pl", "997-1.x12", []byte("ISA*997~")); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(data, "sftp", "acme-3pl", "in")
	if err := os.MkdirAll(in, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "kept.edi"), []byte("ISA kept for the sweep"), 0o640); err != nil {
		t.Fatal(err)
	}
	res, err := reservations.OpenBolt(data)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if err := res.Create(ctx, reservations.Record{Key: "r1", SKU: "WIDGET-RED", Location: "dallas", Quantity: 2, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return data
}

// oldCursors writes a cursor into data's webhook-cursors.db, the file of
// a version before change-cursors.db.
func oldCursors(t *testing.T, data, name string, seq uint64) {
	t.Helper()
	old, err := stream.OpenBoltCursors(filepath.Join(data, "webhook-cursors.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := old.SetCursor(context.Background(), name, seq); err != nil {
		t.Fatal(err)
	}
}
