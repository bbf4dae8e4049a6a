package gateway

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/web"
)

// withOperatorToken gives a cluster node the operator token "ops" with
// secret, as every node of a cluster is configured with the same tokens.
func withOperatorToken(secret string) func(*Gateway) {
	return func(g *Gateway) {
		g.Config.HTTP.Tokens = []TokenConfig{{Name: "ops", SHA256: web.HashToken(secret), Role: "operator"}}
	}
}

// noRedirects is a client that shows redirects rather than following them.
var noRedirects = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// dashboardLogin logs in on base's dashboard with the token secret and
// returns the session cookie.
func dashboardLogin(t *testing.T, base, secret string) *http.Cookie {
	t.Helper()
	resp, err := noRedirects.PostForm(base+"/login", url.Values{"token": {secret}, "next": {"/partners"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %s", resp.Status)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "dockside_session" && c.Value != "" {
			return c
		}
	}
	t.Fatal("login set no session cookie")
	return nil
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// dashboardGet fetches a dashboard page with cookie and returns its status
// and body.
func dashboardGet(t *testing.T, page string, cookie *http.Cookie) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", page, nil)
	req.AddCookie(cookie)
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// dashboardPost posts a dashboard form with cookie and csrf and returns
// the status and the redirect's location.
func dashboardPost(t *testing.T, page string, cookie *http.Cookie, csrf string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", page, strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookie)
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// TestClusterSessionSharedAcrossNodes: behind an HTTP balancer a login
// made on node 1 holds on node 2 (both sign with the key kept in the
// shared database), its CSRF token too (a dashboard POST on node 2
// succeeds), and a cookie signed with another key, or tampered with, is
// refused by both. A node given http.session_key_file signs with it.
func TestClusterSessionSharedAcrossNodes(t *testing.T) {
	pool := pgstoretest.Migrated(t, &pg, Migrations()...)
	url := pool.Config().ConnString()
	secret, _, err := web.NewToken("ops", web.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	n1 := startClusterNode(t, url, nil, withOperatorToken(secret))
	n2 := startClusterNode(t, url, nil, withOperatorToken(secret))

	cookie := dashboardLogin(t, n1.http, secret)
	status, body := dashboardGet(t, n1.http+"/partners", cookie)
	m := csrfField.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("node 1's partners page: %d, csrf field found: %v", status, m != nil)
	}
	csrf := m[1]

	if status, _ := dashboardGet(t, n2.http+"/partners", cookie); status != http.StatusOK {
		t.Fatalf("node 2 with node 1's session: %d, want 200", status)
	}
	if status, loc := dashboardPost(t, n2.http+"/partners/reload", cookie, csrf); status != http.StatusSeeOther || loc != "/partners?flash=reloaded" {
		t.Fatalf("node 2: reload with node 1's session and CSRF token: %d to %q", status, loc)
	}
	if status, _ := dashboardPost(t, n2.http+"/partners/reload", cookie, csrf+"x"); status != http.StatusForbidden {
		t.Fatalf("node 2: a wrong CSRF token: %d, want 403", status)
	}

	// http.session_key_file takes precedence over the database's key: a
	// node given one signs with it, so the sessions of the others are
	// not its own, and the other way round.
	keyFile := filepath.Join(t.TempDir(), "session.key")
	if err := os.WriteFile(keyFile, bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	n3 := startClusterNode(t, url, nil, withOperatorToken(secret), func(g *Gateway) { g.Config.HTTP.SessionKeyFile = keyFile })
	if status, _ := dashboardGet(t, n3.http+"/partners", cookie); status != http.StatusSeeOther {
		t.Errorf("node 3, with its key file, took node 1's session: %d", status)
	}
	if status, _ := dashboardGet(t, n1.http+"/partners", dashboardLogin(t, n3.http, secret)); status != http.StatusSeeOther {
		t.Errorf("node 1 took the session of node 3 (its key file): %d", status)
	}

	// A cookie of the same form, signed with another key (what another
	// gateway, or a node drawing its own key, would make).
	otherKey := make([]byte, 32)
	rand.Read(otherKey)
	exp := time.Now().Add(time.Hour).Unix()
	mac := hmac.New(sha256.New, otherKey)
	hash := sha256.Sum256([]byte(secret))
	fmt.Fprintf(mac, "session\x00%s\x00%x\x00%d", "ops", hash[:], exp)
	forged := &http.Cookie{Name: "dockside_session", Value: base64.RawURLEncoding.EncodeToString([]byte("ops")) + "." +
		strconv.FormatInt(exp, 10) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))}
	parts := strings.Split(cookie.Value, ".")
	tampered := &http.Cookie{Name: "dockside_session", Value: parts[0] + "." + strconv.FormatInt(exp+3600, 10) + "." + parts[2]}
	for _, c := range []struct {
		name   string
		cookie *http.Cookie
	}{{"another key's", forged}, {"a tampered", tampered}} {
		for i, n := range []*clusterNode{n1, n2} {
			if status, _ := dashboardGet(t, n.http+"/partners", c.cookie); status != http.StatusSeeOther {
				t.Errorf("node %d: %s cookie: page %d, want 303 to the login", i+1, c.name, status)
			}
			if status, _ := dashboardPost(t, n.http+"/partners/reload", c.cookie, csrf); status == http.StatusSeeOther || status < 300 {
				t.Errorf("node %d: %s cookie: reload answered %d", i+1, c.name, status)
			}
		}
	}
}

// logBuffer is a log destination tests read while the gateway writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestClusterReloadReachesEveryNode: a reload asked on node 1 (POST
// /api/v1/reload) makes every node reload its own partners folder: node 2
// has the new partner, node 3, whose new profile does not load, keeps
// its profiles and logs an ERROR naming the file; the audit log records
// only the reloads that were asked. A node whose listening connection
// was cut connects again, warns that it may have missed a reload, and
// follows the next.
func TestClusterReloadReachesEveryNode(t *testing.T) {
	pool := pgstoretest.Migrated(t, &pg, Migrations()...)
	url := pool.Config().ConnString()
	secret, _, err := web.NewToken("ops", web.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	logs := []*logBuffer{{}, {}, {}}
	var nodes []*clusterNode
	for _, l := range logs {
		nodes = append(nodes, startClusterNode(t, url, &Options{Logger: slog.New(slog.NewTextHandler(l, nil))}, withOperatorToken(secret)))
	}
	// A notification reaches the nodes that listen when it is sent: wait
	// until the three listen (a node starting later loaded its profiles
	// at its start).
	listening := func() bool {
		var n int
		pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN `+reloadChannel+`'`).Scan(&n)
		return n == len(nodes)
	}
	waitFor(t, "the nodes to listen", listening)
	before := nodes[2].g.Partners().Len()
	for i, n := range nodes {
		profile := folderProfile("zeta")
		if i == 2 {
			profile = "id: zeta\nrole: nonsense\n"
		}
		if err := os.WriteFile(filepath.Join(n.dir, "partners", "zeta.yaml"), []byte(profile), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	reload := func() {
		t.Helper()
		req, _ := http.NewRequest("POST", nodes[0].http+"/api/v1/reload", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("reload on node 1: %s", resp.Status)
		}
	}
	reload()
	if _, err := nodes[0].g.Partners().ByID("zeta"); err != nil {
		t.Fatalf("node 1 after its reload: %v", err)
	}
	waitFor(t, "node 2 to have the new partner", func() bool {
		_, err := nodes[1].g.Partners().ByID("zeta")
		return err == nil
	})
	waitFor(t, "node 3's ERROR", func() bool {
		return strings.Contains(logs[2].String(), "level=ERROR msg=\"partner profiles not reloaded after a reload on another node")
	})
	if l := logs[2].String(); !strings.Contains(l, "zeta.yaml") {
		t.Errorf("node 3's log does not name the file:\n%s", l)
	}
	if n := nodes[2].g.Partners().Len(); n != before {
		t.Errorf("node 3 has %d profiles after its failed reload, want the %d it had", n, before)
	}
	if !strings.Contains(logs[1].String(), "partner profiles reloaded because another node of the cluster reloaded") {
		t.Errorf("node 2 does not log why it reloaded:\n%s", logs[1].String())
	}
	if strings.Contains(logs[0].String(), "because another node") {
		t.Error("node 1 reloaded again at its own notification")
	}
	// The listening connections are cut: each node connects again, says
	// that it may have missed a reload, and follows the next one.
	if _, err := pool.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+reloadChannel+`'`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "node 2 to say it listens again", func() bool {
		return strings.Contains(logs[1].String(), "level=WARN msg=\"listening again to the other nodes' reloads")
	})
	waitFor(t, "the nodes to listen again", listening)
	for _, n := range nodes[:2] {
		if err := os.WriteFile(filepath.Join(n.dir, "partners", "eta.yaml"), []byte(folderProfile("eta")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reload()
	waitFor(t, "node 2 to follow a reload after reconnecting", func() bool {
		_, err := nodes[1].g.Partners().ByID("eta")
		return err == nil
	})

	entries, _, err := nodes[0].g.Audit.List(context.Background(), audit.Filter{Action: audit.ActionReload})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Who != "ops" || entries[1].Who != "ops" {
		t.Errorf("audit log: %+v, want the two reloads asked by ops", entries)
	}
}
