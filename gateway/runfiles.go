package gateway

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dockside-edi/dockside/internal/atomicfile"
)

// Files serve writes into the data folder while it runs, so that commands
// and operators find it without looking for process names. Both are
// removed when serve stops.
const (
	// PIDFile holds serve's process id ("kill -HUP $(cat
	// dockside-data/serve.pid)" reloads the partner profiles).
	PIDFile = "serve.pid"
	// HTTPAddressFile holds the base URL of serve's HTTP listener
	// (http://127.0.0.1:8080), the address it actually listens on.
	HTTPAddressFile = "http-address"
	// OperatorTokenFile holds the operator token minted for a
	// configuration without tokens (mode 0600, never logged).
	OperatorTokenFile = demoTokenFile
)

// WritePIDFile writes this process's id to the data folder's PIDFile and
// returns its path and a function that removes it.
func WritePIDFile(data string) (string, func(), error) {
	path := filepath.Join(data, PIDFile)
	if err := atomicfile.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return "", nil, fmt.Errorf("writing the PID file: %w", err)
	}
	return path, func() { os.Remove(path) }, nil
}

// ReadHTTPAddress returns the base URL a running serve of the data folder
// listens on, from its HTTPAddressFile.
func ReadHTTPAddress(data string) (string, error) {
	b, err := os.ReadFile(filepath.Join(data, HTTPAddressFile))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// writeHTTPAddress records the address the HTTP listener listens on; the
// function it returns removes it.
func (g *Gateway) writeHTTPAddress(addr string) func() {
	path := filepath.Join(g.Config.Data, HTTPAddressFile)
	if err := atomicfile.WriteFile(path, []byte("http://"+addr+"\n"), 0o644); err != nil {
		g.log.Warn("writing the HTTP address file", "file", path, "err", err)
		return func() {}
	}
	return func() { os.Remove(path) }
}
