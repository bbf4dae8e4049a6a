package gateway

import (
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockside-edi/dockside/web"
)

// webOn opens a gateway on the data folder data (the example partners)
// with the operator token secret, builds its web site and returns its
// handler; the gateway closes with close.
func webOn(t *testing.T, data, keyFile, secret string) (h http.Handler, close func()) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners, cfg.Workers = data, "../examples/partners", 1
	cfg.HTTP.SessionKeyFile = keyFile
	cfg.HTTP.Tokens = []TokenConfig{{Name: "ops", SHA256: web.HashToken(secret), Role: "operator"}}
	g, err := Open(cfg, &Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := g.BuildWeb(nil)
	if err != nil {
		g.Close()
		t.Fatal(err)
	}
	return srv.Handler(), func() { g.Close() }
}

// loginOn logs in on h and returns the session cookie.
func loginOn(t *testing.T, h http.Handler, secret string) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"token": {secret}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "dockside_session" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("login: %d, no session cookie", rec.Code)
	return nil
}

// pageWith answers GET /partners on h with cookie.
func pageWith(h http.Handler, cookie *http.Cookie) int {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/partners", nil)
	req.AddCookie(cookie)
	h.ServeHTTP(rec, req)
	return rec.Code
}

// TestSessionSurvivesRestartOnBbolt: on bbolt the key is kept in the data
// folder (mode 0600), so a restarted serve keeps its operators logged in;
// another data folder has its own key.
func TestSessionSurvivesRestartOnBbolt(t *testing.T) {
	secret, _, _ := web.NewToken("ops", web.RoleOperator)
	data := filepath.Join(t.TempDir(), "data")
	h, closeFirst := webOn(t, data, "", secret)
	cookie := loginOn(t, h, secret)
	closeFirst()
	fi, err := os.Stat(filepath.Join(data, SessionKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("the data folder's session key: %v, %v", fi, err)
	}
	h, closeAgain := webOn(t, data, "", secret)
	defer closeAgain()
	if code := pageWith(h, cookie); code != http.StatusOK {
		t.Errorf("after a restart: %d, want 200", code)
	}
	other, closeOther := webOn(t, filepath.Join(t.TempDir(), "data"), "", secret)
	defer closeOther()
	if code := pageWith(other, cookie); code != http.StatusSeeOther {
		t.Errorf("another data folder: %d, want 303 to the login", code)
	}
}

// TestSessionKeyFileShared: gateways given the same http.session_key_file
// accept each other's sessions, whatever their data folders.
func TestSessionKeyFileShared(t *testing.T) {
	secret, _, _ := web.NewToken("ops", web.RoleOperator)
	key := filepath.Join(t.TempDir(), "session.key")
	if err := os.WriteFile(key, []byte(strings.Repeat("k", 48)), 0o600); err != nil {
		t.Fatal(err)
	}
	a, closeA := webOn(t, filepath.Join(t.TempDir(), "data"), key, secret)
	defer closeA()
	b, closeB := webOn(t, filepath.Join(t.TempDir(), "data"), key, secret)
	defer closeB()
	if code := pageWith(b, loginOn(t, a, secret)); code != http.StatusOK {
		t.Errorf("b with a's session: %d, want 200", code)
	}
}

// TestSessionKeyFileRefused: a key file that is short, long, not a file
// or readable by others stops the web site from being built, with an
// error naming the file and never its content.
func TestSessionKeyFileRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("s", size)), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name string
		path string
		want error
	}{
		{"short", write("short", 31, 0o600), ErrSessionKey},
		{"long", write("long", 4097, 0o600), ErrSessionKey},
		{"group-readable", write("group", 32, 0o640), ErrSessionKey},
		{"world-readable", write("world", 32, 0o644), ErrSessionKey},
		{"a folder", dir, ErrSessionKey},
		{"missing", filepath.Join(dir, "missing"), fs.ErrNotExist},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := readSessionKey(c.path)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.path) {
				t.Fatalf("err = %v, want %v naming %s", err, c.want, c.path)
			}
			if strings.Contains(err.Error(), "ssssssss") {
				t.Fatalf("the error shows the key: %v", err)
			}
		})
	}
	if _, err := readSessionKey(write("good", 32, 0o600)); err != nil {
		t.Fatalf("a good key: %v", err)
	}
	g, _ := openTest(t, nil)
	g.Config.HTTP.SessionKeyFile = filepath.Join(dir, "world")
	if _, err := g.BuildWeb(nil); !errors.Is(err, ErrSessionKey) {
		t.Fatalf("BuildWeb with a world-readable key: %v", err)
	}
}
