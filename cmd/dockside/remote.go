package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
func runningServer(e *env, data, listen string) (*apiClient, error) {
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
	if b, err := readRunFile(filepath.Join(data, gateway.HTTPAddressFile)); err == nil {
		u, err := trustedBase(e, filepath.Join(data, gateway.HTTPAddressFile), string(b), listen)
		if err != nil {
			return nil, err
		}
		conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
		if err != nil {
			return nil, errNoServer
		}
		conn.Close()
	}
	return serverClient(e, data, listen)
}

// serverClient builds the client for the serve of data, without checking
// that it runs.
func serverClient(e *env, data, listen string) (*apiClient, error) {
	addrFile := filepath.Join(data, gateway.HTTPAddressFile)
	b, err := readRunFile(addrFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("serve holds %s but its HTTP address is unknown (no %s: is its HTTP listener off?)", data, addrFile)
	}
	if err != nil {
		return nil, err
	}
	u, err := trustedBase(e, addrFile, string(b), listen)
	if err != nil {
		return nil, err
	}
	token := strings.TrimSpace(e.Getenv("DOCKSIDE_TOKEN"))
	if token == "" {
		t, err := readRunFile(filepath.Join(data, gateway.OperatorTokenFile))
		if err != nil {
			return nil, fmt.Errorf("no API token: set DOCKSIDE_TOKEN (the configuration has tokens) or run serve without tokens (%w)", err)
		}
		token = strings.TrimSpace(string(t))
	}
	hc := &http.Client{Timeout: 60 * time.Second,
		// The API never redirects: a redirect would carry the token on.
		CheckRedirect: func(*http.Request, []*http.Request) error { return errRedirect }}
	return &apiClient{base: u.String(), token: token, hc: hc}, nil
}

// errRedirect: the server answered a redirect, which the client does not
// follow (the token would go with it).
var errRedirect = errors.New("the server answered a redirect; not followed")

// maxRunFile bounds what is read of serve's files in the data folder.
const maxRunFile = 4 << 10

// readRunFile reads one of the files serve writes to the data folder
// (http-address, operator-token), refusing a symbolic link, anything but
// a regular file and a file owned by another user than the caller or the
// data folder's owner: whoever else can write to the data folder must
// not be able to point the CLI (and its token) elsewhere.
func readRunFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%s is a symbolic link; serve writes a plain file there: remove it", path)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() && !ownsDir(st.Uid, filepath.Dir(path)) {
		return nil, fmt.Errorf("%s belongs to user %d, neither you (%d) nor the data folder's owner; serve writes it as one of them", path, st.Uid, os.Geteuid())
	}
	return io.ReadAll(io.LimitReader(f, maxRunFile))
}

// ownsDir reports whether uid owns dir (serve run as the data folder's
// user, the command as another, root for instance).
func ownsDir(uid uint32, dir string) bool {
	fi, err := os.Stat(dir)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Uid == uid
}

// trustedBase checks the base URL read from file: http to a loopback or
// unspecified address (serve listening on all addresses, reached through
// loopback), or to listen (the configured http.listen, host:port), with
// no user, path or query. Another host is used only when the operator
// names that same URL in DOCKSIDE_URL: the token is never sent to a host
// a file alone names.
func trustedBase(e *env, file, text, listen string) (*url.URL, error) {
	text = strings.TrimSpace(text)
	u, err := url.Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s: %q is not a base URL like http://127.0.0.1:8080", file, text)
	}
	u.Path = ""
	host, port := u.Hostname(), u.Port()
	if host == "localhost" {
		return u, nil
	}
	if ip := net.ParseIP(host); ip != nil {
		switch {
		case ip.IsLoopback():
			return u, nil
		case ip.IsUnspecified():
			loop := "127.0.0.1"
			if ip.To4() == nil {
				loop = "::1"
			}
			u.Host = net.JoinHostPort(loop, port)
			return u, nil
		}
	}
	if listen != "" && u.Host == listen {
		return u, nil
	}
	if want := strings.TrimRight(strings.TrimSpace(e.Getenv("DOCKSIDE_URL")), "/"); want != "" && want == u.String() {
		return u, nil
	}
	return nil, fmt.Errorf("%s names %s, not a loopback address: the API token is not sent there unless you set DOCKSIDE_URL=%s", file, u.Host, u.String())
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
	listen := strings.TrimSpace(e.Getenv("DOCKSIDE_HTTP_LISTEN")) // these commands read no configuration file
	c, err := runningServer(e, data, listen)
	if errors.Is(err, errNoServer) {
		if openErr == nil || !isLocked(openErr) {
			return 0, false
		}
		c, err = serverClient(e, data, listen) // locked, yet no PID file: an older serve
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
	c, err := runningServer(e, cfg.Data, cfg.HTTP.Listen)
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
		if c, cerr := serverClient(e, cfg.Data, cfg.HTTP.Listen); cerr == nil {
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
