package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/gateway"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/reservations"
	"github.com/dockside-edi/dockside/transports/sftp"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// runWithEnv runs one command with the given environment.
func runWithEnv(vars map[string]string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	e := &env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return vars[k] }, Now: time.Now}
	code := run(context.Background(), e, args)
	return code, stdout.String(), stderr.String()
}

// TestMigrateCommand: migrate creates the schema once, from --storage or
// DOCKSIDE_STORAGE, and --check tells a current schema from one behind.
func TestMigrateCommand(t *testing.T) {
	url := pg.Database(t)
	if code, out, _ := runCLI(t, "migrate", "--storage", url, "--check"); code != exitFail || !strings.Contains(out, "behind") {
		t.Errorf("check before migrating: exit %d, %q", code, out)
	}
	// serve does not create the schema: it says to migrate.
	noSchema := map[string]string{"DOCKSIDE_STORAGE": url, "DOCKSIDE_DATA": t.TempDir()}
	if code, _, errOut := runWithEnv(noSchema, "serve"); code == exitOK || !strings.Contains(errOut, "run dockside migrate") {
		t.Errorf("serve before migrating: exit %d, %q", code, errOut)
	}
	code, out, errOut := runCLI(t, "migrate", "--storage", url)
	if code != exitOK || !strings.Contains(out, "applied audit 0001_entries.sql") || !strings.Contains(out, "applied inbox 0001_inbox.sql") {
		t.Errorf("migrate: exit %d, %q %q", code, out, errOut)
	}
	env := map[string]string{"DOCKSIDE_STORAGE": url, "DOCKSIDE_DATA": t.TempDir()}
	if code, out, errOut := runWithEnv(env, "migrate"); code != exitOK || strings.HasPrefix(out, "applied") || !strings.Contains(out, "0 migrations applied") {
		t.Errorf("migrate again from DOCKSIDE_STORAGE: exit %d, %q %q", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "migrate", "--storage", url, "--check"); code != exitOK || !strings.Contains(out, "audit: current") || !strings.Contains(out, "inbox: current") {
		t.Errorf("check after migrating: exit %d, %q", code, out)
	}
}

func TestMigrateCommandRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no storage", map[string]string{"DOCKSIDE_DATA": t.TempDir()}, []string{"migrate"}, "no PostgreSQL storage configured"},
		{"not postgres", map[string]string{"DOCKSIDE_DATA": t.TempDir()}, []string{"migrate", "--storage", "mysql://u:secret@h/db"}, "not a postgres:// URL"},
		{"unreachable, password hidden", map[string]string{"DOCKSIDE_DATA": t.TempDir()},
			[]string{"migrate", "--storage", "postgres://u:secret@127.0.0.1:1/db?connect_timeout=5"}, "connecting to postgres://u:xxxxx@127.0.0.1:1/db"},
		// serve on PostgreSQL that does not answer: the node does not start.
		{"serve on unreachable postgres", map[string]string{"DOCKSIDE_DATA": t.TempDir(), "DOCKSIDE_STORAGE": "postgres://u:secret@127.0.0.1:1/db"},
			[]string{"serve"}, "storage: pgstore: connecting to postgres://u:xxxxx@127.0.0.1:1/db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runWithEnv(tc.env, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "secret") {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, exitUsage, tc.want)
			}
		})
	}
}

// bboltGateway makes the data folder of a stopped bbolt gateway with
// received messages and audit entries, and returns it.
func bboltGateway(t *testing.T) string {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.Data = filepath.Join(t.TempDir(), "data")
	g, err := gateway.Open(cfg, &gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 5 {
		if _, err := g.Inbox.Receive(ctx, inbox.Arrival{Partner: "acme-3pl", Transport: "sftp", Name: fmt.Sprintf("f%d.edi", i)},
			strings.NewReader(fmt.Sprintf("ISA %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []string{"reload", "replay", "advice"} {
		if _, err := g.Audit.Record(ctx, audit.Entry{Who: "ops", Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		if _, err := g.Outbox.Enqueue(&outbox.Message{Key: fmt.Sprint("advice-", i), Partner: "shopmart", Kind: "846"}, []byte("ISA")); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sftp.NewDiskOut(filepath.Join(cfg.Data, "sftp")).Put(ctx, "acme-3pl", "997-1.x12", []byte("ISA*997~")); err != nil {
		t.Fatal(err)
	}
	res, err := reservations.OpenBolt(cfg.Data)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if err := res.Create(ctx, reservations.Record{Key: "r1", SKU: "WIDGET-RED", Location: "dallas", Quantity: 2, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return cfg.Data
}

// TestMigrateFrom: migrate --from copies a bbolt gateway's stores (here
// inbox, audit log, outbox, reservations hold records) into PostgreSQL
// and verifies them; a second run copies
// nothing; a folder that is no gateway's, or one still served, is
// refused with the reason.
func TestMigrateFrom(t *testing.T) {
	url := pg.Database(t)
	data := bboltGateway(t)
	code, out, errOut := runCLI(t, "migrate", "--from", data, "--to", url)
	if code != exitOK || !strings.Contains(out, "audit: 3 records, 3 copied now, 0 already present, 3 verified equal") ||
		!strings.Contains(out, "inbox: 5 records, 5 copied now, 0 already present, 5 verified equal") ||
		!strings.Contains(out, "outbox: 2 records, 2 copied now, 0 already present, 2 verified equal") ||
		!strings.Contains(out, "reservations: 1 records, 1 copied now, 0 already present, 1 verified equal") ||
		!strings.Contains(out, "sftp_out: 1 records, 1 copied now, 0 already present, 1 verified equal") ||
		!strings.Contains(out, "copied and verified: 9 stores") ||
		!strings.Contains(out, "not copied yet: ledger") {
		t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "migrate", "--from", data, "--to", url)
	if code != exitOK || !strings.Contains(out, "inbox: 5 records, 0 copied now, 5 already present, 5 verified equal") ||
		!strings.Contains(out, "audit: 3 records, 0 copied now, 3 already present") ||
		!strings.Contains(out, "outbox: 2 records, 0 copied now, 2 already present, 2 verified equal") {
		t.Errorf("second run: exit %d\n%s%s", code, out, errOut)
	}
	ctx := context.Background()
	pool, err := pgstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var names string
	if err := pool.QueryRow(ctx, `SELECT string_agg(record->>'name', ' ' ORDER BY id) FROM inbox_messages`).Scan(&names); err != nil || names != "f0.edi f1.edi f2.edi f3.edi f4.edi" {
		t.Errorf("messages in PostgreSQL: %q %v", names, err)
	}

	if code, _, errOut := runCLI(t, "migrate", "--from", t.TempDir(), "--to", url); code != exitUsage || !strings.Contains(errOut, "not the data folder of a Dockside gateway") {
		t.Errorf("an empty folder: exit %d, %s", code, errOut)
	}
	// A gateway still open on the folder holds its files.
	cfg := gateway.DefaultConfig()
	cfg.Data = data
	g, err := gateway.Open(cfg, &gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if code, _, errOut := runCLI(t, "migrate", "--from", data, "--to", url); code != exitUsage || !strings.Contains(errOut, "stop it first") {
		t.Errorf("a folder in use: exit %d, %s", code, errOut)
	}
}
