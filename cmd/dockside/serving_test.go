package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
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

// serveConfig writes a configuration with a new data folder, a copy of
// the example partners, HTTP on a free loopback port and no SFTP.
func serveConfig(t *testing.T) (data, config string) {
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
	return data, config
}

// startServe runs "dockside serve" in this process on a new data folder
// until the test ends, and returns the data folder and the configuration
// file once serve listens.
func startServe(t *testing.T) (data, config string) {
	t.Helper()
	data, config = serveConfig(t)
	serveWith(t, data, config)
	return data, config
}

// serveWith runs "dockside serve --config config" until the test ends,
// and returns once it listens.
func serveWith(t *testing.T, data, config string) {
	t.Helper()
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
		if _, err := os.Stat(filepath.Join(data, gateway.HTTPAddressFile)); err == nil {
			t.Errorf("serve left its HTTP address file")
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := gateway.ReadHTTPAddress(data); err == nil {
			return
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

// TestReadCommandsWhileServing: stock, history, messages list/show and
// outbox list work while serve holds the data folder (its stores are
// locked): they ask serve's API and print what they print without it.
func TestReadCommandsWhileServing(t *testing.T) {
	data, config := serveConfig(t)
	samples := filepath.Join("..", "..", "examples", "samples", "acme-3pl")
	for _, f := range []string{"inventory-846.edi", "inventory-846-unknown-item.edi", "ship-notice-856.edi"} {
		if code, out, errOut := runCLI(t, "ingest", "--config", config, "--partner", "acme-3pl", filepath.Join(samples, f)); code == exitUsage {
			t.Fatalf("ingest %s: exit %d\n%s%s", f, code, out, errOut)
		}
	}
	if code, out, errOut := runCLI(t, "ingest", "--config", config, "--partner", "shopmart", filepath.Join(samples, "..", "shopmart", "order-940.edi")); code != exitOK {
		t.Fatalf("ingest 940: exit %d\n%s%s", code, out, errOut)
	}
	reads := [][]string{
		{"stock", "--data", data},
		{"stock", "--data", data, "--json"},
		{"stock", "--data", data, "--sku", "WIDGET-RED", "--location", "dallas"},
		{"history", "WIDGET-RED", "--data", data},
		{"history", "WIDGET-RED", "--data", data, "--json"},
		{"history", "GADGET-S", "--data", data, "--limit", "1", "--json"},
		{"messages", "list", "--config", config},
		{"messages", "list", "--config", config, "--state", "failed", "--json"},
		{"messages", "show", "2", "--config", config},
		{"orders", "list", "--config", config},
		{"orders", "list", "--config", config, "--partner", "shopmart", "--state", "sent", "--json"}, // sent to ACME, which fulfils Dallas,
		{"orders", "show", "shopmart", "SO-9001", "--config", config},
		{"orders", "show", "shopmart", "SO-9001", "--config", config, "--json"},
	}
	before := make([]string, len(reads))
	for i, args := range reads {
		code, out, errOut := runCLI(t, args...)
		if code != exitOK || len(out) < 20 {
			t.Fatalf("%v without serve: exit %d\n%s%s", args, code, out, errOut)
		}
		before[i] = out
	}
	serveWith(t, data, config)
	for i, args := range reads {
		code, out, errOut := runCLI(t, args...)
		if code != exitOK || !strings.Contains(errOut, "serve holds "+data) {
			t.Errorf("%v while serving: exit %d, stderr %q", args, code, errOut)
		}
		if out != before[i] {
			t.Errorf("%v while serving prints\n%s\nwithout serve it printed\n%s", args, out, before[i])
		}
	}
	// advice is built by serve.
	code, out, errOut := runCLI(t, "advice", "shopmart", "--config", config)
	if code != exitOK || !strings.HasPrefix(out, "ISA*") || !strings.Contains(out, "LIN*") || !strings.Contains(errOut, "serve holds") ||
		!regexp.MustCompile(`advice \d+ for shopmart: full, \d+ items`).MatchString(errOut) {
		t.Errorf("advice while serving: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "advice", "northwind", "--config", config); code != exitFail || !strings.Contains(errOut, "no advice") {
		t.Errorf("advice northwind while serving: exit %d, %s", code, errOut)
	}
	// partners try checks against the running serve's ledger.
	code, out, errOut = runCLI(t, "partners", "try", "acme-3pl", filepath.Join(samples, "inventory-846.edi"), "--config", config)
	if code != exitOK || !strings.Contains(out, "against the running serve at http://127.0.0.1:") || !strings.Contains(out, ": 7 duplicates, 0 stale counts") {
		t.Errorf("partners try while serving: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "partners", "try", "shopmart", filepath.Join(samples, "..", "shopmart", "order-940-cancel.edi"), "--config", config)
	if code != exitOK || !strings.Contains(out, "cancel order SO-9001: releases what it holds") || !strings.Contains(out, "release order SO-9001: 5 × WIDGET-RED at dallas (all it holds)") {
		t.Errorf("partners try cancel while serving: exit %d\n%s%s", code, out, errOut)
	}
	// A serve that wrote no PID file (an older one): the lock says it runs.
	if err := os.Remove(filepath.Join(data, gateway.PIDFile)); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, reads[0]...); code != exitOK || out != before[0] || !strings.Contains(errOut, "serve holds") {
		t.Errorf("stock by the lock: exit %d, stderr %q\n%s", code, errOut, out)
	}
	if code, out, errOut := runCLI(t, "outbox", "list", "--config", config, "--json"); code != exitOK || !strings.Contains(out, `"partner": "acme-3pl"`) {
		t.Errorf("outbox list while serving: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "messages", "show", "99", "--config", config); code != exitFail || !strings.Contains(errOut, "404") {
		t.Errorf("messages show 99 while serving: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "orders", "show", "shopmart", "SO-404", "--config", config); code != exitFail || !strings.Contains(errOut, "404") {
		t.Errorf("orders show SO-404 while serving: exit %d, %s", code, errOut)
	}
	// Replay goes through serve too (it reloads the profiles first): done
	// once the cross-reference knows the item; a done message is refused.
	table := filepath.Join(filepath.Dir(config), "partners", "tables", "acme-items.csv")
	f, err := os.OpenFile(table, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("AC-9999,099999999999,GADGET-M,12,Medium gadget\n")
	f.Close()
	if code, out, errOut := runCLI(t, "messages", "replay", "2", "--config", config); code != exitOK || !strings.Contains(out, "done (message 2)") {
		t.Errorf("replay after the fix: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "messages", "replay", "2", "--config", config); code != exitFail || !strings.Contains(errOut, "409") {
		t.Errorf("replay of a done message: exit %d, %s", code, errOut)
	}
}

// TestStaleServeFiles: the files of a serve that crashed, whose PID now
// names another live process, do not send the read commands to an API
// that is not there: they read the data folder.
func TestStaleServeFiles(t *testing.T) {
	data, config := serveConfig(t)
	if code, out, errOut := runCLI(t, "ingest", "--config", config, "--partner", "acme-3pl",
		filepath.Join("..", "..", "examples", "samples", "acme-3pl", "inventory-846.edi")); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, errOut)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	for name, content := range map[string]string{gateway.PIDFile: fmt.Sprint(os.Getpid()), gateway.HTTPAddressFile: "http://" + addr} {
		if err := os.WriteFile(filepath.Join(data, name), []byte(content+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runCLI(t, "stock", "--data", data)
	if code != exitOK || !strings.Contains(out, "WIDGET-RED") || strings.Contains(errOut, "serve holds") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "reload", "--data", data); code != exitUsage || !strings.Contains(errOut, "no running serve") {
		t.Errorf("reload: exit %d, %s", code, errOut)
	}
}
