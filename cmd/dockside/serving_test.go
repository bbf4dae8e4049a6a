package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/gateway"
)

// lockedBuffer is a bytes.Buffer safe for the serve goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs "dockside serve" in this process on a new data folder
// (HTTP on a free loopback port, no SFTP) until the test ends, and returns
// the data folder and the configuration file once serve listens.
func startServe(t *testing.T) (data, config string) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	config = filepath.Join(dir, "dockside.yaml")
	partnersDir := filepath.Join(dir, "partners")
	copyTreeFS(t, partnersDir)
	cfg := "data: " + data + "\npartners: " + partnersDir + "\nworkers: 1\nhttp:\n  listen: 127.0.0.1:0\nsftp:\n  listen: \"\"\n"
	if err := os.WriteFile(config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &lockedBuffer{}
	e := &env{Stdin: strings.NewReader(""), Stdout: logs, Stderr: logs, Getenv: func(string) string { return "" }, Now: time.Now}
	done := make(chan int, 1)
	go func() { done <- run(ctx, e, []string{"serve", "--config", config}) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("serve exited %d:\n%s", code, logs.String())
		}
		if _, err := os.Stat(filepath.Join(data, gateway.PIDFile)); err == nil {
			t.Errorf("serve left its PID file")
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := gateway.ReadHTTPAddress(data); err == nil {
			return data, config
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not listen:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// copyTreeFS copies the example partners into dst.
func copyTreeFS(t *testing.T, dst string) {
	t.Helper()
	src := filepath.Join("..", "..", "examples", "partners")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// runCLI runs one command with no environment and returns its exit code,
// stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Now: time.Now}
	code := run(context.Background(), e, args)
	return code, stdout.String(), stderr.String()
}

// TestReloadCommand: "dockside reload" reaches the running serve of the
// data folder through its API, without process names.
func TestReloadCommand(t *testing.T) {
	if code, _, errOut := runCLI(t, "reload", "--data", t.TempDir()); code != exitUsage || !strings.Contains(errOut, "no running serve") {
		t.Errorf("without serve: exit %d, %s", code, errOut)
	}
	data, config := startServe(t)
	if code, out, errOut := runCLI(t, "reload", "--config", config); code != exitOK || out != "3 partner profiles reloaded\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	partnersDir := filepath.Join(filepath.Dir(data), "partners")
	if err := os.WriteFile(filepath.Join(partnersDir, "bad.yaml"), []byte("id: bad\nname: Bad\nrole: 3PL\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "reload", "--data", data); code != exitFail || !strings.Contains(out, `role: "3PL" is not one of`) {
		t.Errorf("bad profile: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
