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
	"sync/atomic"
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
// was cut connects again, warns that it was lost, and follows the next;
// node 3, behind since its failed reload, tries again when it listens
// again.
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
		apiReload(t, nodes[0], secret)
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
	waitFor(t, "node 3 to try its reload again when it listens again", func() bool {
		return strings.Count(logs[2].String(), "level=ERROR msg=\"partner profiles not reloaded after a reload on another node") == 2
	})
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

// TestClusterReloadCaughtUpAfterMissedNotification: node 2's listening
// connection is cut and held down while node 1 reloads with a new
// profile in both partners folders: node 2 misses the notification and
// keeps its profiles. Once it listens again it reads the cluster's
// newer reload generation, reloads at once and logs why; node 1, up to
// date, does not reload when it listens again, and neither does node 2
// the next time; node 2 then follows the next reload notified.
func TestClusterReloadCaughtUpAfterMissedNotification(t *testing.T) {
	pool := pgstoretest.Migrated(t, &pg, Migrations()...)
	url := pool.Config().ConnString()
	secret, _, err := web.NewToken("ops", web.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	var hold atomic.Bool // node 2's listener stays down at its next connection
	release, held := make(chan struct{}), make(chan struct{}, 1)
	holdListener := func(g *Gateway) {
		g.testHooks.listen = func(ctx context.Context) {
			if !hold.Load() {
				return
			}
			select {
			case held <- struct{}{}:
			default:
			}
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
	}
	logs := []*logBuffer{{}, {}}
	nodes := []*clusterNode{
		startClusterNode(t, url, &Options{Logger: slog.New(slog.NewTextHandler(logs[0], nil))}, withOperatorToken(secret)),
		startClusterNode(t, url, &Options{Logger: slog.New(slog.NewTextHandler(logs[1], nil))}, withOperatorToken(secret), holdListener),
	}
	listeners := func() int {
		var n int
		pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN `+reloadChannel+`'`).Scan(&n)
		return n
	}
	cut := func() {
		t.Helper()
		if _, err := pool.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN `+reloadChannel+`'`); err != nil {
			t.Fatal(err)
		}
	}
	addProfile := func(id string) {
		t.Helper()
		for _, n := range nodes {
			if err := os.WriteFile(filepath.Join(n.dir, "partners", id+".yaml"), []byte(folderProfile(id)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	reload := func() {
		t.Helper()
		apiReload(t, nodes[0], secret)
	}
	has := func(n *clusterNode, id string) bool {
		_, err := n.g.Partners().ByID(id)
		return err == nil
	}
	const caughtUp = `level=INFO msg="partner profiles reloaded: another node reloaded while this one was not listening"`
	const followed = `level=INFO msg="partner profiles reloaded because another node of the cluster reloaded"`
	const relistened = `level=WARN msg="listening again to the other nodes' reloads`
	waitFor(t, "the nodes to listen", func() bool { return listeners() == 2 })

	// Node 2 is not listening while node 1 reloads.
	hold.Store(true)
	cut()
	waitFor(t, "node 2's listener held down", func() bool {
		select {
		case <-held:
			return true
		default:
			return false
		}
	})
	waitFor(t, "node 1 to listen again", func() bool {
		return listeners() == 1 && strings.Contains(logs[0].String(), relistened)
	})
	addProfile("kappa")
	reload()
	if !has(nodes[0], "kappa") {
		t.Fatal("node 1 does not have the new partner after its reload")
	}
	if has(nodes[1], "kappa") {
		t.Fatal("node 2 has the new partner while not listening: the notification was not missed")
	}
	if own, cluster := nodes[1].g.reloadGen.Load(), nodes[0].g.reloadGen.Load(); own >= cluster {
		t.Fatalf("node 2 at reload generation %d, node 1 at %d: node 1's reload did not bump it", own, cluster)
	}

	// Released, node 2 listens again and catches up at once.
	hold.Store(false)
	close(release)
	waitFor(t, "node 2 to catch the missed reload up", func() bool { return has(nodes[1], "kappa") })
	waitFor(t, "node 2's INFO", func() bool { return strings.Contains(logs[1].String(), caughtUp) })
	if l := logs[1].String(); !strings.Contains(l, relistened) {
		t.Errorf("node 2 does not warn that its listening connection was lost:\n%s", l)
	}
	if own, cluster := nodes[1].g.reloadGen.Load(), nodes[0].g.reloadGen.Load(); own != cluster {
		t.Errorf("node 2 at reload generation %d after catching up, want node 1's %d", own, cluster)
	}

	// Up to date, node 2 does not reload when it listens again, and
	// follows the next reload by its notification.
	cut()
	waitFor(t, "node 2 to listen again, up to date", func() bool {
		return listeners() == 2 && strings.Count(logs[1].String(), relistened) == 2
	})
	addProfile("lambda")
	reload()
	waitFor(t, "node 2 to follow the next reload", func() bool { return has(nodes[1], "lambda") })
	waitFor(t, "node 2's INFO for the notified reload", func() bool { return strings.Contains(logs[1].String(), followed) })
	if n := strings.Count(logs[1].String(), "partner profiles reloaded"); n != 2 {
		t.Errorf("node 2 reloaded %d times for the cluster, want 2 (the missed reload, the notified one):\n%s", n, logs[1].String())
	}
	if l := logs[0].String(); strings.Contains(l, "partner profiles reloaded") {
		t.Errorf("node 1, up to date, reloaded when it listened again or at its own notification:\n%s", l)
	}

	// An older node's notification, its name alone, is followed.
	addProfile("mu")
	if _, err := pool.Exec(context.Background(), "SELECT pg_notify($1, 'an-older-node')", reloadChannel); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "node 2 to follow an older node's notification", func() bool { return has(nodes[1], "mu") })
	// The INFO comes after the profiles are in use: wait for it too.
	waitFor(t, "node 2's INFO naming the older node", func() bool {
		return strings.Contains(logs[1].String(), followed+" node=an-older-node")
	})
}

func TestParseReloadNotice(t *testing.T) {
	for _, tc := range []struct {
		payload string
		want    reloadNotice
	}{
		{`{"node":"n1","generation":7}`, reloadNotice{Node: "n1", Generation: 7}},
		{`{"node":"n1"}`, reloadNotice{Node: "n1"}},
		{`{"node":"n1","generation":-3}`, reloadNotice{Node: "n1"}},
		{`{"node":"n1","generation":"7"}`, reloadNotice{Node: `{"node":"n1","generation":"7"}`}},
		{`{"generation":7}`, reloadNotice{Node: `{"generation":7}`}},
		{`{"node":"n1",`, reloadNotice{Node: `{"node":"n1",`}},
		{"host-12-ab12cd34", reloadNotice{Node: "host-12-ab12cd34"}}, // an older node: its name alone
		{"", reloadNotice{}},
	} {
		if got := parseReloadNotice(tc.payload); got != tc.want {
			t.Errorf("parseReloadNotice(%q) = %+v, want %+v", tc.payload, got, tc.want)
		}
	}
}

// FuzzParseReloadNotice: any payload parses, to a generation that is
// never negative, and what is not a notice is a node name.
func FuzzParseReloadNotice(f *testing.F) {
	for _, s := range []string{`{"node":"n1","generation":7}`, "host-1-ab", "{", `{"node":""}`, `{"node":"a","generation":1e30}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		n := parseReloadNotice(payload)
		if n.Generation < 0 {
			t.Errorf("%q: generation %d", payload, n.Generation)
		}
		if n.Generation != 0 && n.Node == "" {
			t.Errorf("%q: a generation without a node", payload)
		}
		if !strings.HasPrefix(payload, "{") && n != (reloadNotice{Node: payload}) {
			t.Errorf("%q: %+v, want the payload as a node name", payload, n)
		}
	})
}

// apiReload asks node n to reload its partner profiles (POST
// /api/v1/reload with the operator token secret).
func apiReload(t *testing.T, n *clusterNode, secret string) {
	t.Helper()
	req, _ := http.NewRequest("POST", n.http+"/api/v1/reload", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reload on %s: %s", n.http, resp.Status)
	}
}
