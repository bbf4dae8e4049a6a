package gateway

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunFilesPermissions: the operator token serve mints is written
// 0600 and never logged; the PID file is harmless and readable.
func TestRunFilesPermissions(t *testing.T) {
	data := t.TempDir()
	var logs bytes.Buffer
	g := &Gateway{Config: &Config{Data: data}, log: slog.New(slog.NewTextHandler(&logs, nil))}
	if _, err := g.apiTokens(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(data, OperatorTokenFile)
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 {
		t.Errorf("%s is %v, want -rw-------", OperatorTokenFile, fi.Mode())
	}
	secret, _ := os.ReadFile(path)
	if s := strings.TrimSpace(string(secret)); s == "" || strings.Contains(logs.String(), s) {
		t.Errorf("token %q empty or in the logs", s)
	}
	pid, remove, err := WritePIDFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(pid); err != nil || fi.Mode() != 0o644 {
		t.Errorf("%s: %v %v", PIDFile, fi, err)
	}
	remove()
	if _, err := os.Lstat(pid); !os.IsNotExist(err) {
		t.Errorf("the PID file stays: %v", err)
	}
}
