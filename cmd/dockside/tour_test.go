package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/gateway"
	"github.com/dockside-edi/dockside/specs"
)

// TestIngestWhileServing: ingest on a data folder a serve holds says so at
// once, names what to do, and names no store file or lock internals; a
// serve without a PID file (an older one) is told by its lock, with the
// same advice.
func TestIngestWhileServing(t *testing.T) {
	data, config := startServe(t)
	sample := filepath.Join("..", "..", "examples", "samples", "acme-3pl", "inventory-846.edi")
	internals := []string{"ledger.db", "inbox.db", "locked by another process", "timeout", "bbolt"}
	check := func(name string, want ...string) {
		t.Helper()
		code, out, errOut := runCLI(t, "ingest", "--config", config, "--partner", "acme-3pl", sample)
		if code != exitUsage || out != "" {
			t.Errorf("%s: exit %d, stdout %q", name, code, out)
		}
		for _, w := range append(want, data, "stop it first") {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s: stderr %q does not say %q", name, errOut, w)
			}
		}
		for _, bad := range internals {
			if strings.Contains(errOut, bad) {
				t.Errorf("%s: stderr %q names %q", name, errOut, bad)
			}
		}
	}
	check("by the PID file", "serve (at http://127.0.0.1:")
	if err := os.Remove(filepath.Join(data, gateway.PIDFile)); err != nil {
		t.Fatal(err)
	}
	check("by the lock", "in use by another dockside process")
}

// TestX12HelpNamesEverySet: the help of x12 validate names every set the
// embedded specs check, and x12 json every one but the acknowledgements
// as typed; a spec added without its help fails here.
func TestX12HelpNamesEverySet(t *testing.T) {
	c, err := specs.Load()
	if err != nil {
		t.Fatal(err)
	}
	_, validate, _ := runCLI(t, "x12", "validate", "--help")
	_, json, _ := runCLI(t, "x12", "json", "--help")
	for _, v := range c.Versions() {
		for _, set := range c.Sets(v) {
			if !strings.Contains(validate, set) {
				t.Errorf("x12 validate --help does not name %s (%s):\n%s", set, v, validate)
			}
			if set != "997" && set != "999" && !strings.Contains(json, set) {
				t.Errorf("x12 json --help does not name %s (%s):\n%s", set, v, json)
			}
		}
	}
}

// TestCommandSummaries: the command lists read alike (every summary in
// lower case, as listed beside its name) and a group's help opens with
// its summary as a sentence.
func TestCommandSummaries(t *testing.T) {
	var walk func(path string, cs []*command)
	walk = func(path string, cs []*command) {
		for _, c := range cs {
			if c.summary == "" || c.summary != strings.ToLower(c.summary[:1])+c.summary[1:] {
				t.Errorf("%s %s: summary %q does not start in lower case", path, c.name, c.summary)
			}
			if c.subs != nil {
				_, out, _ := runCLI(t, append(strings.Fields(path + " " + c.name)[1:], "--help")...)
				if want := "\n\n" + sentence(c.summary) + ".\n"; !strings.Contains(out, want) || want == "\n\n"+c.summary+".\n" {
					t.Errorf("%s %s --help does not open with %q:\n%s", path, c.name, want, out)
				}
				walk(path+" "+c.name, c.subs)
			}
		}
	}
	walk("dockside", commands())
}

// TestServeLogNamesPartnersFolder: serve's first line says where the
// partner profiles it runs are, so that a newcomer on the demo knows which
// folder to edit before 'dockside reload'.
func TestServeLogNamesPartnersFolder(t *testing.T) {
	dir := t.TempDir()
	data, config := filepath.Join(dir, "data"), filepath.Join(dir, "dockside.yaml")
	// No partners folder: the demo's, written into the data folder.
	cfg := "data: " + data + "\nworkers: 1\nhttp:\n  listen: 127.0.0.1:0\nsftp:\n  listen: \"\"\n"
	if err := os.WriteFile(config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &lockedBuffer{}
	e := &env{Stdin: strings.NewReader(""), Stdout: logs, Stderr: logs, Getenv: func(string) string { return "" }, Now: time.Now}
	done := make(chan int, 1)
	go func() { done <- run(ctx, e, []string{"serve", "--config", config}) }()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("serve exited %d:\n%s", code, logs.String())
		}
	}()
	want := "partners_dir=" + gateway.DemoPartnersDir(data)
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs.String(), want); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serve's log does not say %q:\n%s", want, logs.String())
		}
	}
}

// TestAdviceSaysNotSent: advice without --send says in words that it was
// only built, and how to send it.
func TestAdviceSaysNotSent(t *testing.T) {
	data := t.TempDir()
	// An empty ledger has nothing to tell (no advice of zero items): ACME's
	// count first.
	if code, out, errOut := runCLI(t, "ingest", "--partner", "acme-3pl", "--data", data, "../../examples/samples/acme-3pl/inventory-846.edi"); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, "advice", "shopmart", "--data", data)
	if code != exitOK || !strings.HasPrefix(out, "ISA*") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, ", not sent (built only; --send queues it)\n") || strings.Contains(errOut, "not_sent") {
		t.Errorf("stderr %q", errOut)
	}
}

// TestReadCommandsNeedADataFolder: a read command pointed at a data
// folder that does not exist (DOCKSIDE_DATA forgotten, another working
// folder) says so, rather than making a new empty one and printing an
// empty table.
func TestReadCommandsNeedADataFolder(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "dockside-data")
	for _, args := range [][]string{
		{"messages", "list"}, {"messages", "show", "1"}, {"messages", "replay", "1"}, {"outbox", "list"}, {"advice", "shopmart"},
	} {
		code, out, errOut := runCLI(t, append(args, "--data", missing)...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, "no data folder at "+missing) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
		if _, err := os.Stat(missing); err == nil {
			t.Fatalf("%v made %s", args, missing)
		}
	}
}
