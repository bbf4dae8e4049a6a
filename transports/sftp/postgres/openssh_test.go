package postgres

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/internal/authkeys"
	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/transports/sftp"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// discardInbox takes uploads and keeps nothing (this test downloads).
type discardInbox struct{}

func (discardInbox) Receive(ctx context.Context, a inbox.Arrival, body io.Reader) (*inbox.Message, error) {
	n, err := io.Copy(io.Discard, body)
	return &inbox.Message{ID: 1, Partner: a.Partner, Name: a.Name, Size: n}, err
}

// pickups records the pickups one server reports.
type pickups struct {
	mu  sync.Mutex
	got []string
}

func (p *pickups) PickedUp(partner, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, partner+"/"+name)
}

func (p *pickups) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got)
}

// node is an SFTP server with its own root folder, keeping out/ in a
// store of its own on the shared database.
type node struct {
	srv     *sftp.Server
	addr    string
	root    string
	pickups *pickups
}

// startNode starts a server on a loopback port with the host keys in
// keys (shared, as deploy.md asks of a cluster) and the accounts, its
// out/ in the database of url (its own pool), or on disk when url is "".
func startNode(t testing.TB, url, keys string, accounts sftp.Accounts) *node {
	var out sftp.OutFolder
	t.Helper()
	ctx := context.Background()
	if url != "" {
		pool, err := pgstore.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		if out, err = Open(ctx, pool, nil); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	n := &node{root: t.TempDir(), pickups: &pickups{}}
	n.srv, err = sftp.New(sftp.Config{Root: n.root, HostKeyDir: keys, Out: out, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		accounts, discardInbox{}, n.pickups)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n.addr = ln.Addr().String()
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n.srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return n
}

// openSSH returns a function that runs an OpenSSH sftp batch as user
// (logging in with priv) against a node, pinning the node's host keys.
func openSSH(t *testing.T, bin, user string, priv ed25519.PrivateKey) func(n *node, batch string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	block, err := ssh.MarshalPrivateKey(priv, "test key")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(n *node, batch string) (string, error) {
		var kh bytes.Buffer
		for _, k := range n.srv.HostKeys() {
			kh.WriteString(knownhosts.Line([]string{knownhosts.Normalize(n.addr)}, k) + "\n")
		}
		khFile, bf := filepath.Join(dir, "known_hosts"), filepath.Join(dir, "batch")
		os.WriteFile(khFile, kh.Bytes(), 0o600)
		os.WriteFile(bf, []byte(batch), 0o600)
		_, port, _ := strings.Cut(n.addr, ":")
		cmd := exec.Command(bin, "-F", "/dev/null", "-b", bf, "-i", keyFile, "-P", port,
			"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+khFile, "-o", "GlobalKnownHostsFile=/dev/null",
			"-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
			user+"@127.0.0.1")
		cmd.Env = append(os.Environ(), "HOME="+dir)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
}

// TestOpenSSHPickupThroughAnotherNode: two SFTP servers (two nodes, each
// with its own root folder and its own pool) on one database. A file
// sent through node A is listed, downloaded and removed by the partner
// with OpenSSH's sftp through node B; node B reports the pickup, once;
// neither node wrote it on its disk; another partner sees none of it.
func TestOpenSSHPickupThroughAnotherNode(t *testing.T) {
	bin, err := exec.LookPath("sftp")
	if err != nil {
		t.Skip("OpenSSH sftp client not on PATH")
	}
	ctx := context.Background()
	url := pg.Database(t)
	{
		pool, err := pgstore.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pgstore.Migrate(ctx, pool, Migrations); err != nil {
			t.Fatal(err)
		}
		pool.Close()
	}
	privs := map[string]ed25519.PrivateKey{}
	accts := map[string]sftp.Account{}
	for _, p := range []string{"acme", "beta"} {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := ssh.NewPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		privs[p], accts[p] = priv, sftp.Account{Partner: p, Keys: []authkeys.Key{authkeys.Unrestricted(sp)}}
	}
	accounts := sftp.AccountsFunc(func(user string) (sftp.Account, bool) { a, ok := accts[user]; return a, ok })
	keys := t.TempDir()
	a, b := startNode(t, url, keys, accounts), startNode(t, url, keys, accounts)

	ack := bytes.Repeat([]byte("ISA*00*~GS*FA~ST*997*0001~AK1*IN*1~SE*3*0001~GE*1*1~IEA*1*1~\n"), 45_000) // 2.6 MB: three chunks
	for _, m := range []struct {
		partner, name string
		body          []byte
	}{{"acme", "997-1.x12", ack}, {"beta", "beta-only.x12", []byte("beta's ack")}} {
		r, err := a.srv.Sender().Send(ctx, &outbox.Message{ID: 1, Partner: m.partner, Name: m.name}, m.body)
		if err != nil || !r.Pending {
			t.Fatalf("send through node A: %+v %v", r, err)
		}
	}

	acme := openSSH(t, bin, "acme", privs["acme"])
	local := t.TempDir()
	out, err := acme(b, "ls -l /out\n")
	if err != nil || !strings.Contains(out, "997-1.x12") || strings.Contains(out, "beta-only") {
		t.Fatalf("acme lists out/ through node B: %v\n%s", err, out)
	}
	out, err = acme(b, strings.Join([]string{
		"get /out/997-1.x12 " + filepath.Join(local, "997-1.x12"),
		"-get /out/beta-only.x12 " + filepath.Join(local, "stolen.x12"),
		"-get /../beta/out/beta-only.x12 " + filepath.Join(local, "stolen2.x12"),
		"-rm /out/beta-only.x12",
		"rm /out/997-1.x12",
	}, "\n")+"\n")
	if err != nil {
		t.Fatalf("acme downloads and removes through node B: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(filepath.Join(local, "997-1.x12")); !bytes.Equal(got, ack) {
		t.Errorf("downloaded %d bytes, sent %d", len(got), len(ack))
	}
	for _, f := range []string{"stolen.x12", "stolen2.x12"} {
		if _, err := os.Stat(filepath.Join(local, f)); err == nil {
			t.Errorf("acme got beta's file as %s", f)
		}
	}
	if got := b.pickups.list(); !slices.Equal(got, []string{"acme/997-1.x12"}) {
		t.Errorf("node B reported pickups %v, want acme/997-1.x12 once", got)
	}
	if got := a.pickups.list(); len(got) != 0 {
		t.Errorf("node A reported pickups %v", got)
	}
	if out, err := acme(a, "ls /out\n"); err != nil || strings.Contains(out, "997-1.x12") {
		t.Errorf("after removal through node B, node A lists: %v\n%s", err, out)
	}
	for _, n := range []*node{a, b} {
		for _, p := range []string{"acme", "beta"} {
			if names, _ := os.ReadDir(filepath.Join(n.root, p, "out")); len(names) != 0 {
				t.Errorf("a node's disk holds %s/out/%s", p, names[0].Name())
			}
		}
	}

	// beta, through node A: its own file, untouched by acme's attempts.
	beta := openSSH(t, bin, "beta", privs["beta"])
	out, err = beta(a, "ls /out\nget /out/beta-only.x12 "+filepath.Join(local, "beta.x12")+"\n")
	if err != nil || !strings.Contains(out, "beta-only.x12") || strings.Contains(out, "997-1") {
		t.Fatalf("beta through node A: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(filepath.Join(local, "beta.x12")); string(got) != "beta's ack" {
		t.Errorf("beta downloaded %q", got)
	}
	if got := a.pickups.list(); !slices.Equal(got, []string{"beta/beta-only.x12"}) {
		t.Errorf("node A reported pickups %v", got)
	}
	var st *Store
	st, err = Open(ctx, mustPool(t, url), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stat(ctx, "acme", "997-1.x12"); !errors.Is(err, sftp.ErrNoSuchFile) {
		t.Errorf("the removed file in the database: %v", err)
	}
	if f, err := st.Stat(ctx, "beta", "beta-only.x12"); err != nil || f.Size != int64(len("beta's ack")) {
		t.Errorf("beta's file in the database: %+v %v", f, err)
	}
}

func mustPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgstore.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
