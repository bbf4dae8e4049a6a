package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dockside-edi/dockside/gateway"
)

// TestServerClientTrust: the CLI sends the operator token only to a
// loopback (or unspecified) address read from the data folder, never to
// another host a file names, and reads no symbolic link there.
func TestServerClientTrust(t *testing.T) {
	tests := []struct {
		name    string
		address string // http-address content; "" leaves it absent
		link    string // "address" or "token": that file is a symbolic link
		urlEnv  string // DOCKSIDE_URL
		listen  string // the configured http.listen
		want    string // base, or "" when refused
		wantErr string
	}{
		{name: "loopback", address: "http://127.0.0.1:8080\n", want: "http://127.0.0.1:8080"},
		{name: "loopback v6", address: "http://[::1]:8080", want: "http://[::1]:8080"},
		{name: "localhost", address: "http://localhost:8080", want: "http://localhost:8080"},
		{name: "all addresses", address: "http://[::]:8080", want: "http://[::1]:8080"},
		{name: "all v4", address: "http://0.0.0.0:8080", want: "http://127.0.0.1:8080"},
		{name: "remote host", address: "http://203.0.113.9:8080", wantErr: "not a loopback address"},
		{name: "remote name", address: "http://attacker.example:80", wantErr: "not a loopback address"},
		{name: "user info", address: "http://x@127.0.0.1:8080", wantErr: "not a base URL"},
		{name: "path", address: "http://127.0.0.1:8080/evil", wantErr: "not a base URL"},
		{name: "remote, operator says", address: "http://203.0.113.9:8080", urlEnv: "http://203.0.113.9:8080/", want: "http://203.0.113.9:8080"},
		{name: "remote, operator says other", address: "http://203.0.113.9:8080", urlEnv: "http://203.0.113.10:8080", wantErr: "not a loopback address"},
		{name: "remote, configured listen", address: "http://10.1.2.3:8080", listen: "10.1.2.3:8080", want: "http://10.1.2.3:8080"},
		{name: "remote, other listen", address: "http://10.1.2.3:8080", listen: "10.1.2.3:9090", wantErr: "not a loopback address"},
		{name: "address symlink", address: "http://127.0.0.1:8080", link: "address", wantErr: "symbolic link"},
		{name: "token symlink", address: "http://127.0.0.1:8080", link: "token", wantErr: "symbolic link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, elsewhere := t.TempDir(), t.TempDir()
			write := func(name, content, kind string) {
				path := filepath.Join(data, name)
				if tt.link == kind {
					target := filepath.Join(elsewhere, name)
					if err := os.WriteFile(target, []byte(content), 0o600); err != nil {
						t.Fatal(err)
					}
					if err := os.Symlink(target, path); err != nil {
						t.Fatal(err)
					}
					return
				}
				if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write(gateway.HTTPAddressFile, tt.address, "address")
			write(gateway.OperatorTokenFile, "secret-token\n", "token")
			e := &env{Getenv: func(k string) string {
				if k == "DOCKSIDE_URL" {
					return tt.urlEnv
				}
				return ""
			}}
			c, err := serverClient(e, data, tt.listen)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("serverClient = %v, %v; want an error with %q", c, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret-token") {
					t.Errorf("the error shows the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.base != tt.want || c.token != "secret-token" {
				t.Errorf("client at %q with token %q; want %q", c.base, c.token, tt.want)
			}
		})
	}
}

// TestServerClientNoRedirect: a redirect from the server is not followed,
// so the token does not travel on with it.
func TestServerClientNoRedirect(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			elsewhere.Add(1)
		}
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/api/v1/reload", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	data := t.TempDir()
	os.WriteFile(filepath.Join(data, gateway.HTTPAddressFile), []byte(srv.URL), 0o644)
	os.WriteFile(filepath.Join(data, gateway.OperatorTokenFile), []byte("secret-token"), 0o600)
	c, err := serverClient(&env{Getenv: func(string) string { return "" }}, data, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.call(t.Context(), "POST", "/api/v1/reload", nil, nil); err == nil {
		t.Error("a redirect was followed")
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the token went to the redirect's target %d times", n)
	}
}
