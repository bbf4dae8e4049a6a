package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/pgtest"
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
		// serve must not run on bbolt while the configuration names PostgreSQL.
		{"serve on postgres", map[string]string{"DOCKSIDE_DATA": t.TempDir(), "DOCKSIDE_STORAGE": "postgres://u@127.0.0.1:1/db"},
			[]string{"serve"}, "does not run on PostgreSQL yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runWithEnv(tc.env, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "secret") {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, exitUsage, tc.want)
			}
		})
	}
}
