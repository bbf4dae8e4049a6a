package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/broadcast"
	"github.com/dockside-edi/dockside/cluster"
	clusterpg "github.com/dockside-edi/dockside/cluster/postgres"
	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/pgtest"
	pkgsftp "github.com/pkg/sftp"
	"github.com/robfig/cron/v3"
	"golang.org/x/crypto/ssh"
)

// pg is the PostgreSQL server of the package's tests that need one (the
// cluster tests); it starts at the first that does.
var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// clusterNode is one gateway serving on a shared PostgreSQL, in process.
type clusterNode struct {
	g              *Gateway
	dir            string
	sftpAddr, http string
	stop           func()
}

// startClusterNode opens a gateway with storage url (its own data
// folder) and serves SFTP, AS2 and the web site as `dockside serve`
// does, until the test ends or stop. prepare, if any, change the gateway
// before it serves; opts.Logger, when set, is kept.
func startClusterNode(t *testing.T, url string, opts *Options, prepare ...func(*Gateway)) *clusterNode {
	t.Helper()
	dir := t.TempDir()
	partnersDir := filepath.Join(dir, "partners")
	copyTree(t, "../examples/partners", partnersDir)
	cfg := DefaultConfig()
	cfg.Data, cfg.Partners, cfg.Workers, cfg.Storage = filepath.Join(dir, "data"), partnersDir, 2, url
	cfg.SFTP.Listen, cfg.HTTP.Listen = freeAddr(t), freeAddr(t)
	if opts == nil {
		opts = &Options{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	g, err := Open(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prepare {
		p(g)
	}
	tr, err := g.BuildTransports()
	if err != nil {
		t.Fatal(err)
	}
	station, err := g.BuildAS2(g.PublicURL() + "/as2")
	if err != nil {
		t.Fatal(err)
	}
	tr.Senders["as2"] = station.Sender
	site, err := g.BuildWeb(nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/as2", g.MeteredHandler("as2", g.AcceptingHandler(station.Handler)))
	mux.Handle("/", site.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, tr.Senders, append(tr.Services(), g.HTTPService(mux))...) }()
	var once sync.Once
	n := &clusterNode{g: g, dir: dir, sftpAddr: cfg.SFTP.Listen, http: "http://" + cfg.HTTP.Listen}
	n.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
			station.Store.Close()
			g.Close()
		})
	}
	t.Cleanup(n.stop)
	waitFor(t, "the listeners", func() bool {
		for _, a := range []string{cfg.SFTP.Listen, cfg.HTTP.Listen} {
			c, err := net.Dial("tcp", a)
			if err != nil {
				return false
			}
			c.Close()
		}
		return true
	})
	return n
}

// ready returns /readyz's status code and checks.
func (n *clusterNode) ready(t *testing.T) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(n.http + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Checks map[string]string }
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Checks
}

// upload puts a file in the 3PL's in/ with the SFTP client of pkg/sftp
// and returns the error of the upload (the close, where the server hands
// the file to the inbox).
func (n *clusterNode) upload(t *testing.T, name, content string) error {
	t.Helper()
	key, err := os.ReadFile("../examples/keys/acme-demo_ed25519")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ssh.Dial("tcp", n.sftpAddr, &ssh.ClientConfig{User: "acme", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	c, err := pkgsftp.NewClient(sc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, err := c.Create("in/" + name)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte(content)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (n *clusterNode) received(t *testing.T, name string) bool {
	t.Helper()
	msgs, err := n.g.Inbox.List(inbox.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Name == name {
			return true
		}
	}
	return false
}

const sample846 = "../examples/samples/acme-3pl/inventory-846.edi"

// TestUnreachableStorageRefusesNewWork: with PostgreSQL stopped under a
// serving node, /readyz says not ready, an SFTP upload is refused with a
// message, AS2 answers 503; what was accepted
// before stays; once PostgreSQL is back the node is ready and takes
// files again.
func TestUnreachableStorageRefusesNewWork(t *testing.T) {
	var srv pgtest.Server // this test's own: it stops it
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	pool := pgstoretest.Migrated(t, &srv, Migrations()...)
	n := startClusterNode(t, pool.Config().ConnString(), nil)
	body, err := os.ReadFile(sample846)
	if err != nil {
		t.Fatal(err)
	}
	if code, checks := n.ready(t); code != http.StatusOK || checks["storage"] != "ok" {
		t.Fatalf("readyz with PostgreSQL up: %d %v", code, checks)
	}
	if err := n.upload(t, "before.edi", string(body)); err != nil {
		t.Fatalf("upload with PostgreSQL up: %v", err)
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	code, checks := n.ready(t)
	if code != http.StatusServiceUnavailable || !strings.Contains(checks["storage"], "storage unavailable: PostgreSQL") {
		t.Errorf("readyz with PostgreSQL stopped: %d %v, want 503 naming the storage", code, checks)
	}
	err = n.upload(t, "during.edi", string(body)+"\n")
	var se *pkgsftp.StatusError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "cannot store files now, try again later") {
		t.Errorf("upload with PostgreSQL stopped: %v, want a refusal saying to try again later", err)
	}
	resp, err := http.Post(n.http+"/as2", "application/pkcs7-mime", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(msg), "storage unavailable") {
		t.Errorf("AS2 with PostgreSQL stopped: %d %q (Retry-After %q), want 503 with Retry-After", resp.StatusCode, msg, resp.Header.Get("Retry-After"))
	}

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "readiness after PostgreSQL is back", func() bool { code, _ := n.ready(t); return code == http.StatusOK })
	if err := n.upload(t, "after.edi", string(body)+"\n\n"); err != nil {
		t.Errorf("upload with PostgreSQL back: %v", err)
	}
	if !n.received(t, "after.edi") || !n.received(t, "before.edi") {
		t.Error("files missing after PostgreSQL came back")
	}
	// The inbox is in PostgreSQL: what was refused is not there.
	if n.received(t, "during.edi") {
		t.Error("the node took a file while its storage was unreachable")
	}
}

// TestLeaderOnlyWorkRunsOnOneNode: two nodes serving on one PostgreSQL
// hold the leader lease one at a time; when the leader stops, it
// releases the lease and the other takes over with the next epoch.
func TestLeaderOnlyWorkRunsOnOneNode(t *testing.T) {
	ctx := context.Background()
	pool := pgstoretest.Migrated(t, &pg, Migrations()...)
	url := pool.Config().ConnString()
	lease := func(holder string) *Options {
		l, err := clusterpg.New(ctx, pool, leaderLease, holder, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return &Options{Lease: l}
	}
	nodes := map[string]*clusterNode{"a": startClusterNode(t, url, lease("a")), "b": startClusterNode(t, url, lease("b"))}
	holder := func() (string, int64) {
		var h string
		var epoch int64
		pool.QueryRow(ctx, `SELECT holder, epoch FROM cluster_leases WHERE name = $1 AND expires_at > now()`, leaderLease).Scan(&h, &epoch)
		return h, epoch
	}
	var first string
	var epoch int64
	waitFor(t, "a leader", func() bool { first, epoch = holder(); return first != "" })
	nodes[first].stop()
	var next string
	var nextEpoch int64
	waitFor(t, "the other node to take over", func() bool { next, nextEpoch = holder(); return next != "" && next != first })
	if nextEpoch != epoch+1 {
		t.Errorf("epoch %d after %d", nextEpoch, epoch)
	}
	if _, ok := nodes[next]; !ok {
		t.Errorf("holder %q", next)
	}
}

// TestBboltNodeLeadsAlone: on bbolt the lease is the single-node one.
func TestBboltNodeLeadsAlone(t *testing.T) {
	g, _ := openTest(t, nil)
	if _, ok := g.Lease.(cluster.Single); !ok {
		t.Errorf("lease %T on bbolt, want cluster.Single", g.Lease)
	}
	if err := g.StorageReady(context.Background()); err != nil {
		t.Errorf("bbolt storage not ready: %v", err)
	}
}

// TestCatchUpAdviceAfterTakeover: a node taking the lease of a cluster
// sends the scheduled advice whose time fell within the last two lease
// times unless an advice of the partner since was recorded; a single
// node never does; a time long past is not caught up.
func TestCatchUpAdviceAfterTakeover(t *testing.T) {
	ctx := context.Background()
	g, _ := openTest(t, nil)
	pool := pgstoretest.Migrated(t, &pg, Migrations()...)
	lease, err := clusterpg.New(ctx, pool, leaderLease, "node-a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	everyMinute, _ := broadcast.ParseSchedule("* * * * *")
	halfAnHourAway, _ := broadcast.ParseSchedule(fmt.Sprintf("%d * * * *", (time.Now().Minute()+30)%60))
	runs := map[string]int{}
	jobs := func() []broadcast.Job {
		job := func(name string, s cron.Schedule) broadcast.Job {
			return broadcast.Job{Name: name, Schedule: s, Run: func(context.Context) error { runs[name]++; return nil }}
		}
		return []broadcast.Job{job("shopmart", everyMinute), job("acme-3pl", halfAnHourAway)}
	}
	for _, tc := range []struct {
		name   string
		lease  cluster.Lease
		record bool // an advice of shopmart recorded now
		want   string
	}{
		{"single node", cluster.Single{}, false, "map[]"},
		{"takeover, nothing recorded", lease, false, "map[shopmart:1]"},
		{"takeover, advice recorded since", lease, true, "map[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clear(runs)
			if tc.record {
				if err := g.Advice.Store.Record(ctx, &broadcast.Broadcast{Partner: "shopmart", Time: time.Now(), Mode: "full"}, nil); err != nil {
					t.Fatal(err)
				}
			}
			g.Lease = tc.lease
			g.catchUpAdvice(ctx, jobs())
			if fmt.Sprint(runs) != tc.want {
				t.Errorf("ran %v, want %s", runs, tc.want)
			}
		})
	}
}
