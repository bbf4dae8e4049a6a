package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dockside-edi/dockside/gateway"
	berrors "go.etcd.io/bbolt/errors"
)

// apiClient calls a running serve's operator API: the read commands use it
// when serve holds the data folder, reload always.
type apiClient struct {
	base  string // http://127.0.0.1:8080
	token string
	hc    *http.Client
}

// errNoServer: no serve process holds the data folder.
var errNoServer = errors.New("no running serve for this data folder")

// runningServer returns a client for the serve that holds the data folder
// data, found by its PID file (<data>/serve.pid, a live process) and the
// address file it writes; the token is DOCKSIDE_TOKEN, else the operator
// token serve minted in the data folder. errNoServer when none runs.
func runningServer(e *env, data string) (*apiClient, error) {
	b, err := os.ReadFile(filepath.Join(data, gateway.PIDFile))
	if err != nil {
		return nil, errNoServer
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return nil, errNoServer
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return nil, errNoServer // a PID file left by a serve that crashed
	}
	// A crashed serve's PID may have been reused: its listener says.
	if base, err := gateway.ReadHTTPAddress(data); err == nil {
		u, err := url.Parse(base)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(data, gateway.HTTPAddressFile), err)
		}
		conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
		if err != nil {
			return nil, errNoServer
		}
		conn.Close()
	}
	return serverClient(e, data)
}

// serverClient builds the client for the serve of data, without checking
// that it runs.
func serverClient(e *env, data string) (*apiClient, error) {
	base, err := gateway.ReadHTTPAddress(data)
	if err != nil {
		return nil, fmt.Errorf("serve holds %s but its HTTP address is unknown (no %s: is its HTTP listener off?)",
			data, filepath.Join(data, gateway.HTTPAddressFile))
	}
	token := strings.TrimSpace(e.Getenv("DOCKSIDE_TOKEN"))
	if token == "" {
		t, err := os.ReadFile(filepath.Join(data, gateway.OperatorTokenFile))
		if err != nil {
			return nil, fmt.Errorf("no API token: set DOCKSIDE_TOKEN (the configuration has tokens) or run serve without tokens (%w)", err)
		}
		token = strings.TrimSpace(string(t))
	}
	return &apiClient{base: base, token: token, hc: &http.Client{Timeout: 60 * time.Second}}, nil
}

// apiError is an error answer of the API.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("the server answered %d %s: %s", e.Status, e.Code, e.Message)
}

// call sends method path?query and decodes the JSON answer into out (nil:
// discarded).
func (c *apiClient) call(ctx context.Context, method, path string, query url.Values, out any) error {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("calling the running serve: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("reading the answer of %s: %w", u, err)
	}
	if resp.StatusCode >= 300 {
		var eb struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		json.Unmarshal(body, &eb)
		return &apiError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decoding the answer of %s: %w", u, err)
	}
	return nil
}

// isLocked reports whether err is a store's file lock held by another
// process (a running serve).
func isLocked(err error) bool { return errors.Is(err, berrors.ErrTimeout) }

// viaServer is how a read command defers to a running serve: when serve
// holds the data folder (its PID file names a live process, or opening
// failed on the lock), run is given a client for its API and its result
// returned, with a note on stderr; otherwise ok is false and the command
// reads the data folder itself. openErr is the error of opening the data
// folder, or nil when the command has not tried yet.
func viaServer(e *env, cmd, data string, openErr error, run func(c *apiClient) int) (code int, ok bool) {
	c, err := runningServer(e, data)
	if errors.Is(err, errNoServer) {
		if openErr == nil || !isLocked(openErr) {
			return 0, false
		}
		c, err = serverClient(e, data) // locked, yet no PID file: an older serve
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "dockside %s: %v\n", cmd, err)
		return exitUsage, true
	}
	fmt.Fprintf(e.Stderr, "dockside %s: serve holds %s; asking it at %s\n", cmd, data, c.base)
	return run(c), true
}

// readDone ends a read command: exit 0, or 2 with the error said.
func readDone(e *env, cmd string, err error) int {
	if err != nil {
		fmt.Fprintf(e.Stderr, "dockside %s: %v\n", cmd, err)
		return exitUsage
	}
	return exitOK
}

// readStores reads the gateway's stores for a read command: through the
// API of the serve that holds the data folder (found by its PID file, or
// when opening the stores fails on their lock), else directly.
func readStores[T any](e *env, gf gatewayFlags, cmd string, remote func(*apiClient) (T, error), local func(*gateway.Gateway) (T, error)) (T, error) {
	var zero T
	cfg, err := gf.load(e)
	if err != nil {
		return zero, err
	}
	c, err := runningServer(e, cfg.Data)
	if err == nil {
		fmt.Fprintf(e.Stderr, "dockside %s: serve holds %s; asking it at %s\n", cmd, cfg.Data, c.base)
		return remote(c)
	}
	if !errors.Is(err, errNoServer) {
		return zero, err
	}
	if _, err := os.Stat(cfg.Data); errors.Is(err, os.ErrNotExist) {
		// Opening would make a new, empty data folder and read nothing.
		return zero, fmt.Errorf("no data folder at %s (set --data or DOCKSIDE_DATA, or run serve first)", cfg.Data)
	}
	g, err := gf.open(e, cliLogger(e, false))
	if isLocked(err) {
		if c, cerr := serverClient(e, cfg.Data); cerr == nil {
			fmt.Fprintf(e.Stderr, "dockside %s: serve holds %s; asking it at %s\n", cmd, cfg.Data, c.base)
			return remote(c)
		}
	}
	if err != nil {
		return zero, err
	}
	defer g.Close()
	return local(g)
}
